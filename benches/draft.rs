//! The draft model and the splice, measured (DESIGN §8: local first token ≤ 30 ms p50, client
//! time to first token ≥ 10× earlier than a cloud with 600 ms TTFT).
//!
//! `cargo bench --bench draft -- [--prompts N]`
//!
//! 1. Engine: the shipped model drafts openers for the first N prompts of
//!    `../shared/data/draft/draft_heldout.jsonl`, one at a time: prompt-step time, first
//!    word, tokens/s; then the same prompts from two threads at once on two sessions (do
//!    concurrent drafts serialise?).
//! 2. Proxy: streamed chats through veilgate to a loopback fake cloud whose first text comes
//!    600 ms after the request, with the draft on and off, alternating request by request
//!    in one run: client-measured time to first content, p50/p99, and the ratio.

use std::convert::Infallible;
use std::net::SocketAddr;
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

const CLOUD_TTFT: Duration = Duration::from_millis(600);

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

/// A fake cloud: SSE headers at once, its first chunk after [`CLOUD_TTFT`].
async fn cloud() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |req: Request<hyper::body::Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
                        tokio::spawn(async move {
                            tokio::time::sleep(CLOUD_TTFT).await;
                            for piece in ["The answer ", "comes from ", "the cloud."] {
                                let chunk = json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]});
                                let _ = tx.send(Bytes::from(format!("data: {chunk}\n\n"))).await;
                            }
                            let _ = tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await;
                        });
                        let body = Channel(rx);
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "text/event-stream")
                                .body(body)
                                .unwrap(),
                        )
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

async fn proxy(upstream: SocketAddr, draft: bool, always: bool) -> SocketAddr {
    let mut cfg = Config::load(None).unwrap();
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.upstream.base_url = format!("http://{upstream}/v1");
    cfg.draft.enabled = Some(draft);
    if always {
        cfg.draft.start_threshold = 0.0;
    }
    let server = veilgate::proxy::Server::bind(cfg).await.unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

/// Time from sending a streamed chat to its first non-empty content.
async fn first_content(proxy: SocketAddr, prompt: &str) -> f64 {
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
    let mut first = None;
    let mut buf = String::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.unwrap().into_data() else {
            continue;
        };
        buf.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let has_text = event
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter_map(|d| serde_json::from_str::<Value>(d).ok())
                .any(|v| {
                    v["choices"][0]["delta"]["content"]
                        .as_str()
                        .is_some_and(|t| !t.is_empty())
                });
            if has_text && first.is_none() {
                first = Some(started.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    first.expect("some content")
}

fn proxied(prompts: &[String]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let upstream = cloud().await;
        let without = proxy(upstream, false, false).await;
        let with = proxy(upstream, true, false).await;
        let always = proxy(upstream, true, true).await;
        let (mut off, mut on, mut forced) = (Vec::new(), Vec::new(), Vec::new());
        for p in prompts {
            off.push(first_content(without, p).await);
            on.push(first_content(with, p).await);
            forced.push(first_content(always, p).await);
        }
        println!(
            "== proxy: {} streamed chats each way, cloud TTFT {} ms, interleaved",
            prompts.len(),
            CLOUD_TTFT.as_millis()
        );
        let drafted: Vec<f64> = on
            .iter()
            .copied()
            .filter(|&ms| ms < CLOUD_TTFT.as_millis() as f64)
            .collect();
        let p50 = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            percentile(&v, 0.5)
        };
        let (off50, on50, drafted50, forced50) = (p50(&off), p50(&on), p50(&drafted), p50(&forced));
        summary("client first content, draft off", off);
        summary("client first content, draft on (defaults)", on);
        summary("  of which drafted (before the cloud)", drafted);
        summary("client first content, start_threshold = 0", forced);
        println!(
            "{:<44} {:.1}x (defaults, all), {:.1}x (drafted ones), {:.1}x (threshold 0)",
            "earlier than draft off, p50",
            off50 / on50,
            off50 / drafted50,
            off50 / forced50
        );
    });
}

fn main() {
    let mut n = 100;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--prompts" {
            n = args.next().and_then(|v| v.parse().ok()).unwrap_or(n);
        }
    }
    let prompts = prompts(n);
    engine(&prompts);
    proxied(&prompts[..prompts.len().min(40)]);
}
