//! The draft model and the splice, measured (DESIGN §8: local first token ≤ 30 ms p50, client
//! time to first token ≥ 10× earlier than a cloud with 600 ms TTFT).
//!
//! `cargo bench --bench draft -- [--prompts N] [--chats N] [--ttft MS] [--pace MS] [--words N]`
//!
//! 1. Engine: the shipped model drafts openers for the first N prompts of
//!    `../shared/data/draft/draft_heldout.jsonl`, one at a time: prompt-step time, first
//!    word, tokens/s; then the same prompts from two threads at once on two sessions (do
//!    concurrent drafts serialise?).
//! 2. The user's view: streamed chats (the first `--chats` held-out prompts) through
//!    veilgate to a loopback fake cloud that streams a normal answer (`--words` words,
//!    `--pace` ms apart) after `--ttft` ms, with the draft off and on for each continuation
//!    dialect, interleaved prompt by prompt in one run: p50/p99 of first content (all, and
//!    the drafted ones), of the complete answer, the drafted share, and the cloud requests
//!    per client request.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use veilgate::config::Config;
use veilgate::draft::{DraftModel, DraftOptions, Stop, Turn};

fn prompts(n: usize) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/draft/draft_heldout.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .take(n)
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["prompt"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    println!(
        "{name:<44} n={:<4} p50 {:>8.2} ms  p99 {:>8.2} ms",
        v.len(),
        percentile(&v, 0.5),
        percentile(&v, 0.99)
    );
}

fn engine(prompts: &[String]) {
    let model = DraftModel::load(&DraftOptions::default()).expect("draft model loads");
    let mut prompt_step = Vec::new();
    let mut first_word = Vec::new();
    let (mut tokens, mut decode_ms, mut drafted, mut words) = (0usize, 0.0, 0usize, 0usize);
    let started = Instant::now();
    for p in prompts {
        let d = model
            .draft(&[Turn::new("user", p.as_str())], &mut |_| true)
            .unwrap();
        prompt_step.push(d.first_token_ms);
        if let Some(ms) = d.first_word_ms {
            first_word.push(ms);
        }
        if d.tokens > 1 {
            tokens += d.tokens - 1;
            decode_ms += d.total_ms - d.first_token_ms;
        }
        drafted += d.drafted as usize;
        words += d.words;
    }
    let sequential = started.elapsed().as_secs_f64();
    println!("== engine: {} prompts, one at a time", prompts.len());
    summary("prompt step (context -> first token)", prompt_step);
    summary("first whole word", first_word);
    println!(
        "{:<44} {:.0} tokens/s; drafted {}/{} prompts, {:.1} words per opener",
        "decoding speed",
        tokens as f64 / decode_ms * 1e3,
        drafted,
        prompts.len(),
        words as f64 / drafted.max(1) as f64
    );
    // Two sessions, so that neither thread's drafts step aside as busy.
    let two = DraftModel::load(&DraftOptions {
        sessions: 2,
        ..DraftOptions::default()
    })
    .expect("draft model loads");
    let started = Instant::now();
    let busy: usize = std::thread::scope(|s| {
        let threads: Vec<_> = prompts
            .chunks(prompts.len().div_ceil(2))
            .map(|half| {
                let two = &two;
                s.spawn(move || {
                    half.iter()
                        .filter(|p| {
                            let turns = [Turn::new("user", p.as_str())];
                            two.draft(&turns, &mut |_| true).unwrap().stop == Stop::Busy
                        })
                        .count()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(busy, 0, "two sessions for two threads");
    let parallel = started.elapsed().as_secs_f64();
    println!(
        "{:<44} {:.2} s one at a time, {:.2} s from two threads on two sessions ({:.2}x)",
        "concurrency (same prompts)",
        sequential,
        parallel,
        sequential / parallel
    );
}

/// The fake cloud's answer: after `ttft`, `words` words, one every `pace`.
#[derive(Clone, Copy)]
struct CloudShape {
    ttft: Duration,
    pace: Duration,
    words: usize,
}

/// A fake cloud streaming a normal answer; counts the requests it gets.
async fn cloud(shape: CloudShape, requests: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let requests = requests.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: Request<hyper::body::Incoming>| {
                        let requests = requests.clone();
                        async move {
                            let _ = req.into_body().collect().await;
                            requests.fetch_add(1, Ordering::SeqCst);
                            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
                            tokio::spawn(async move {
                                tokio::time::sleep(shape.ttft).await;
                                for i in 0..shape.words {
                                    if i > 0 {
                                        tokio::time::sleep(shape.pace).await;
                                    }
                                    let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                                    "choices": [{"index": 0, "delta": {"content": format!(" word{i}")}, "finish_reason": null}]});
                                    let _ =
                                        tx.send(Bytes::from(format!("data: {chunk}\n\n"))).await;
                                }
                                let end = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
                                let _ = tx
                                    .send(Bytes::from(format!("data: {end}\n\ndata: [DONE]\n\n")))
                                    .await;
                            });
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "text/event-stream")
                                    .body(Channel(rx))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A response body fed through a channel.
struct Channel(tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for Channel {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// veilgate in front of `upstream`: the draft off (`None`), or on with the continuation in
/// the given dialect (`Some(None)`: the continuator instruction).
async fn proxy(upstream: SocketAddr, draft: Option<Option<&str>>) -> SocketAddr {
    let mut cfg = Config::load(None).unwrap();
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.upstream.base_url = format!("http://{upstream}/v1");
    cfg.draft.enabled = Some(draft.is_some());
    cfg.upstream.prefill = draft.flatten().map(str::to_owned);
    let server = veilgate::proxy::Server::bind(cfg).await.unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

/// One streamed chat as the client sees it.
struct Seen {
    first_content_ms: f64,
    complete_ms: f64,
    /// The first text came in the proxy's own chunks (the draft's), not the cloud's.
    drafted: bool,
}

async fn chat(proxy: SocketAddr, prompt: &str) -> Seen {
    let stream = TcpStream::connect(proxy).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let body =
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": prompt}]});
    let req = Request::post("/v1/chat/completions")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let started = Instant::now();
    let mut body = send.send_request(req).await.unwrap().into_body();
    let mut first: Option<(f64, bool)> = None;
    let mut buf = String::new();
    let mut done = false;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.unwrap().into_data() else {
            continue;
        };
        buf.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            for data in event.lines().filter_map(|l| l.strip_prefix("data: ")) {
                done |= data == "[DONE]";
                let Ok(v) = serde_json::from_str::<Value>(data) else {
                    continue;
                };
                let text = v["choices"][0]["delta"]["content"].as_str();
                if first.is_none() && text.is_some_and(|t| !t.is_empty()) {
                    let ms = started.elapsed().as_secs_f64() * 1e3;
                    first = Some((ms, v["id"] != "c"));
                }
            }
        }
    }
    assert!(done, "the stream ended with [DONE]");
    let (first_content_ms, drafted) = first.expect("some content");
    Seen {
        first_content_ms,
        complete_ms: started.elapsed().as_secs_f64() * 1e3,
        drafted,
    }
}

fn proxied(prompts: &[String], shape: CloudShape) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let budget = Config::default().draft.budget_ms;
        println!(
            "== proxy: {} streamed chats per configuration, interleaved prompt by prompt; cloud: \
             first text after {} ms, then {} words {} ms apart; draft budget {budget} ms",
            prompts.len(),
            shape.ttft.as_millis(),
            shape.words,
            shape.pace.as_millis()
        );
        let dialects = [
            None,
            Some("vllm"),
            Some("mistral"),
            Some("deepseek"),
            Some("anthropic"),
            Some("llamacpp"),
        ];
        let mut configs = vec![("draft off".to_owned(), None)];
        for d in dialects {
            configs.push((format!("draft on, {}", d.unwrap_or("instruction")), Some(d)));
        }
        let mut runs = Vec::new();
        for (name, draft) in &configs {
            let requests = Arc::new(AtomicUsize::new(0));
            let upstream = cloud(shape, requests.clone()).await;
            runs.push((name, proxy(upstream, *draft).await, requests, Vec::new()));
        }
        for p in prompts {
            for (_, addr, _, seen) in runs.iter_mut() {
                seen.push(chat(*addr, p).await);
            }
        }
        let p = |v: &mut Vec<f64>, q: f64| {
            v.sort_by(f64::total_cmp);
            percentile(v, q)
        };
        println!(
            "{:<24} {:>17} {:>17} {:>17} {:>9} {:>13}",
            "", "first content", "drafted: first", "complete answer", "drafted", "upstream req"
        );
        println!(
            "{:<24} {:>17} {:>17} {:>17} {:>9} {:>13}",
            "", "p50 / p99 ms", "p50 / p99 ms", "p50 / p99 ms", "share", "per request"
        );
        let mut off_complete = f64::NAN;
        for (name, _, requests, seen) in &runs {
            let mut first: Vec<f64> = seen.iter().map(|s| s.first_content_ms).collect();
            let mut drafted: Vec<f64> = seen
                .iter()
                .filter(|s| s.drafted)
                .map(|s| s.first_content_ms)
                .collect();
            let mut complete: Vec<f64> = seen.iter().map(|s| s.complete_ms).collect();
            let complete50 = p(&mut complete, 0.5);
            if off_complete.is_nan() {
                off_complete = complete50;
            }
            let pair = |v: &mut Vec<f64>| {
                if v.is_empty() {
                    "-".to_owned()
                } else {
                    format!("{:.1} / {:.1}", p(v, 0.5), p(v, 0.99))
                }
            };
            println!(
                "{:<24} {:>17} {:>17} {:>17} {:>8.0}% {:>13.2}",
                name,
                pair(&mut first),
                pair(&mut drafted),
                pair(&mut complete),
                100.0 * drafted.len() as f64 / seen.len() as f64,
                requests.load(Ordering::SeqCst) as f64 / seen.len() as f64,
            );
        }
        println!(
            "bar: complete p50 with the draft on <= {:.1} ms (draft off + budget)",
            off_complete + budget as f64
        );
    });
}

fn main() {
    let (mut n, mut chats) = (100, 30);
    let mut shape = CloudShape {
        ttft: Duration::from_millis(600),
        pace: Duration::from_millis(20),
        words: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |d: usize| args.next().and_then(|v| v.parse().ok()).unwrap_or(d);
        match a.as_str() {
            "--prompts" => n = value(n),
            "--chats" => chats = value(chats),
            "--ttft" => shape.ttft = Duration::from_millis(value(600) as u64),
            "--pace" => shape.pace = Duration::from_millis(value(20) as u64),
            "--words" => shape.words = value(shape.words),
            _ => {}
        }
    }
    let prompts = prompts(n.max(chats));
    engine(&prompts[..n]);
    proxied(&prompts[..chats], shape);
}
