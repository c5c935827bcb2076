//! Batching across requests. Each tagger session runs on a thread of its own; a model call
//! takes windows from the queued requests in turn, the next request's first and then one of
//! each other request's that fits beside it, round after round. A call has a fixed cost (a
//! few dozen kernels, whatever the batch), so under load many small requests share it; a
//! request alone still runs at once, since nothing waits for a batch to fill; and a request
//! with a thousand windows does not make a small one behind it wait for all of them.
//!
//! A window is one tokenised stretch of text; what comes back for it is, per token, the
//! index of the most likely label and its probability.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use ort::session::{Session, SessionInputValue};
use ort::value::TensorRef;

/// Per token of a window: the most likely label's index and its probability.
pub type Tags = Vec<(usize, f32)>;

/// How to call the model: the part of the tagger the session threads need.
#[derive(Debug, Clone)]
pub struct Runner {
    pub pad_id: u32,
    pub token_type_ids: bool,
    pub logits: String,
    pub classes: usize,
}

impl Runner {
    /// One model call over `windows`, padded to the longest.
    pub fn run(&self, session: &mut Session, windows: &[&[u32]]) -> Result<Vec<Tags>, String> {
        let len = windows.iter().map(|w| w.len()).max().unwrap_or(0);
        let rows = windows.len();
        let mut ids = vec![self.pad_id as i64; rows * len];
        let mut mask = vec![0i64; rows * len];
        for (r, w) in windows.iter().enumerate() {
            for (j, &id) in w.iter().enumerate() {
                ids[r * len + j] = id as i64;
                mask[r * len + j] = 1;
            }
        }
        let types = vec![0i64; if self.token_type_ids { rows * len } else { 0 }];
        fn tensor(shape: [usize; 2], data: &[i64]) -> Result<TensorRef<'_, i64>, String> {
            TensorRef::from_array_view((shape, data)).map_err(|e| format!("input tensor: {e}"))
        }
        let mut inputs: Vec<(&str, SessionInputValue<'_>)> = vec![
            ("input_ids", tensor([rows, len], &ids)?.into()),
            ("attention_mask", tensor([rows, len], &mask)?.into()),
        ];
        if self.token_type_ids {
            inputs.push(("token_type_ids", tensor([rows, len], &types)?.into()));
        }
        let outputs = session.run(inputs).map_err(|e| format!("inference: {e}"))?;
        let (shape, logits) = outputs[self.logits.as_str()]
            .try_extract_tensor::<f32>()
            .map_err(|e| format!("logits: {e}"))?;
        let classes = self.classes;
        if shape.len() != 3
            || shape[0] as usize != rows
            || shape[1] as usize != len
            || shape[2] as usize != classes
        {
            return Err(format!(
                "logits have shape {shape:?}, expected [{rows}, {len}, {classes}]"
            ));
        }
        Ok(windows
            .iter()
            .enumerate()
            .map(|(r, w)| {
                let row = &logits[r * len * classes..];
                (0..w.len())
                    .map(|j| softmax_argmax(&row[j * classes..(j + 1) * classes]))
                    .collect()
            })
            .collect())
    }
}

/// The index and probability of the largest logit.
fn softmax_argmax(row: &[f32]) -> (usize, f32) {
    let (best, max) =
        row.iter().enumerate().fold(
            (0, f32::NEG_INFINITY),
            |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
        );
    let sum: f32 = row.iter().map(|&v| (v - max).exp()).sum();
    (best, 1.0 / sum)
}

/// The session threads and their queue. Dropping it lets the threads finish the calls they
/// are in, then ends them.
pub struct Batcher {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

struct Shared {
    queue: Mutex<Queue>,
    queued: Condvar,
    max_tokens: usize,
    calls: AtomicU64,
    windows: AtomicU64,
}

/// Model calls made so far, and the windows they ran: their ratio is how much batching
/// across requests saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    pub calls: u64,
    pub windows: u64,
}

struct Queue {
    /// Each waiting request's windows, requests in the order they are served.
    requests: VecDeque<VecDeque<Queued>>,
    closed: bool,
}

struct Queued {
    ids: Vec<u32>,
    request: Arc<Request>,
    index: usize,
}

/// One caller's windows, filled in by whichever threads run them.
struct Request {
    state: Mutex<Results>,
    done: Condvar,
}

struct Results {
    tags: Vec<Option<Tags>>,
    left: usize,
    error: Option<String>,
}

impl Batcher {
    /// Starts one thread per session. A call holds at most `max_tokens` padded tokens
    /// (windows × longest window), which bounds the memory it needs; a longer window still
    /// runs, alone.
    pub fn start(sessions: Vec<Session>, runner: Runner, max_tokens: usize) -> Batcher {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                requests: VecDeque::new(),
                closed: false,
            }),
            queued: Condvar::new(),
            max_tokens,
            calls: AtomicU64::new(0),
            windows: AtomicU64::new(0),
        });
        let threads = sessions
            .into_iter()
            .enumerate()
            .map(|(i, session)| {
                let shared = shared.clone();
                let runner = runner.clone();
                std::thread::Builder::new()
                    .name(format!("tagger-{i}"))
                    .spawn(move || serve(&shared, &runner, session))
                    .expect("cannot start a tagger thread")
            })
            .collect();
        Batcher { shared, threads }
    }

    /// Runs `windows` (token ids) through the model; blocks until all have run.
    pub fn run(&self, windows: Vec<Vec<u32>>) -> Result<Vec<Tags>, String> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let request = Arc::new(Request {
            state: Mutex::new(Results {
                tags: vec![None; windows.len()],
                left: windows.len(),
                error: None,
            }),
            done: Condvar::new(),
        });
        {
            let mut queue = lock(&self.shared.queue);
            if queue.closed {
                return Err("the tagger is shutting down".into());
            }
            queue.requests.push_back(
                windows
                    .into_iter()
                    .enumerate()
                    .map(|(index, ids)| Queued {
                        ids,
                        request: request.clone(),
                        index,
                    })
                    .collect(),
            );
        }
        self.shared.queued.notify_all();
        let mut state = lock(&request.state);
        while state.left > 0 && state.error.is_none() {
            state = request.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        if let Some(e) = state.error.take() {
            return Err(e);
        }
        Ok(state
            .tags
            .drain(..)
            .map(Option::unwrap_or_default)
            .collect())
    }
}

impl Batcher {
    pub fn calls(&self) -> Calls {
        Calls {
            calls: self.shared.calls.load(Ordering::Relaxed),
            windows: self.shared.windows.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        lock(&self.shared.queue).closed = true;
        self.shared.queued.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session thread: take a batch, run it, hand each window's tags to its request.
fn serve(shared: &Shared, runner: &Runner, mut session: Session) {
    loop {
        let batch = {
            let mut queue = lock(&shared.queue);
            while queue.requests.is_empty() && !queue.closed {
                queue = shared.queued.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
            if queue.requests.is_empty() {
                return;
            }
            take_batch(&mut queue.requests, shared.max_tokens)
        };
        let ids: Vec<&[u32]> = batch.iter().map(|q| q.ids.as_slice()).collect();
        shared.calls.fetch_add(1, Ordering::Relaxed);
        shared
            .windows
            .fetch_add(ids.len() as u64, Ordering::Relaxed);
        // A panic inside the model call must not leave its callers waiting for ever.
        let result = catch_unwind(AssertUnwindSafe(|| runner.run(&mut session, &ids)))
            .unwrap_or_else(|_| Err("the model call panicked".into()));
        match result {
            Ok(tags) => {
                for (q, tags) in batch.into_iter().zip(tags) {
                    let mut state = lock(&q.request.state);
                    state.tags[q.index] = Some(tags);
                    state.left -= 1;
                    if state.left == 0 {
                        q.request.done.notify_one();
                    }
                }
            }
            Err(e) => {
                for q in batch {
                    let mut state = lock(&q.request.state);
                    state.error.get_or_insert_with(|| e.clone());
                    q.request.done.notify_one();
                }
            }
        }
    }
}

/// The first window of the request whose turn it is (that request then goes to the back of
/// the line), and then, round after round, from each request in turn its first window that
/// keeps the padded batch within `max_tokens` and its padding under a fifth of it (a short
/// window is not padded to the length of a long one). Taken windows leave the queue; the rest
/// keep their order.
fn take_batch(requests: &mut VecDeque<VecDeque<Queued>>, max_tokens: usize) -> Vec<Queued> {
    let mut turn = requests.pop_front().expect("the queue is not empty");
    let first = turn.pop_front().expect("a queued request has windows");
    if !turn.is_empty() {
        requests.push_back(turn);
    }
    let (mut longest, mut tokens) = (first.ids.len(), first.ids.len());
    let mut batch = vec![first];
    loop {
        let mut took = false;
        for _ in 0..requests.len() {
            let mut windows = requests.pop_front().expect("counted");
            let fits = windows.iter().position(|q| {
                let wide = longest.max(q.ids.len());
                let padded = wide * (batch.len() + 1);
                padded <= max_tokens && (tokens + q.ids.len()) * 5 >= padded * 4
            });
            if let Some(i) = fits {
                let q = windows.remove(i).expect("found");
                longest = longest.max(q.ids.len());
                tokens += q.ids.len();
                batch.push(q);
                took = true;
            }
            if !windows.is_empty() {
                requests.push_back(windows);
            }
        }
        if !took {
            return batch;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(lens: &[usize]) -> VecDeque<Queued> {
        let request = Arc::new(Request {
            state: Mutex::new(Results {
                tags: Vec::new(),
                left: 0,
                error: None,
            }),
            done: Condvar::new(),
        });
        lens.iter()
            .enumerate()
            .map(|(index, &n)| Queued {
                ids: vec![1; n],
                request: request.clone(),
                index,
            })
            .collect()
    }

    fn queued(lens: &[usize]) -> VecDeque<VecDeque<Queued>> {
        VecDeque::from([request(lens)])
    }

    fn lens(batch: &[Queued]) -> Vec<usize> {
        batch.iter().map(|q| q.ids.len()).collect()
    }

    #[test]
    fn a_batch_starts_with_the_oldest_window_and_takes_those_of_similar_length() {
        let mut queue = queued(&[10, 200, 9, 12, 11, 250]);
        let batch = take_batch(&mut queue, 512);
        assert_eq!(lens(&batch), [10, 9, 12, 11]);
        assert_eq!(lens(queue[0].make_contiguous()), [200, 250]);
        let batch = take_batch(&mut queue, 512);
        // 2 × 250 = 500 padded tokens, 450 real: within budget and under a fifth padding.
        assert_eq!(lens(&batch), [200, 250]);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_batch_stays_within_the_token_budget_but_a_long_window_always_runs() {
        let mut queue = queued(&[300, 300, 600]);
        assert_eq!(lens(&take_batch(&mut queue, 512)), [300]);
        assert_eq!(lens(&take_batch(&mut queue, 512)), [300]);
        assert_eq!(lens(&take_batch(&mut queue, 512)), [600]);
        let mut queue = queued(&[8; 100]);
        assert_eq!(take_batch(&mut queue, 512).len(), 64);
    }

    #[test]
    fn a_small_request_is_served_beside_a_large_one_queued_before_it() {
        let mut queue = VecDeque::from([request(&[256; 1000]), request(&[200])]);
        // The large request's first window, then the small one's beside it.
        assert_eq!(lens(&take_batch(&mut queue, 512)), [256, 200]);
        assert_eq!(queue.len(), 1);
        // With windows too long to share a call, requests take turns.
        let mut queue = VecDeque::from([request(&[400; 3]), request(&[400; 2])]);
        let order: Vec<usize> = (0..5)
            .map(|_| take_batch(&mut queue, 512)[0].index)
            .collect();
        assert_eq!(order, [0, 0, 1, 1, 2]);
    }
}
