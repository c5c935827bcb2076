//! Soak harness: many concurrent streaming clients for a long time against the real
//! `veilgate serve` binary (a child process, so its RSS is its own), in front of an
//! in-process fake streaming upstream on loopback.
//!
//! `cargo bench --bench soak` — environment: `SOAK_SECS` (default 60), `SOAK_CLIENTS`
//! (default 500), `SOAK_DIRECT_SECS` (default 15), `SOAK_RPS_SECS` (default 10); `VEILGATE__…`
//! variables reach the proxy (e.g. `VEILGATE__PRIVACY__TAGGER=false` for rules only).
//!
//! Phases: (1) the clients straight to the upstream (the baseline), (2) the same clients
//! through veilgate for `SOAK_SECS`, sampling the proxy's RSS every second, (3) small
//! non-streamed requests on 32 keep-alive connections for `SOAK_RPS_SECS`. Each client holds
//! one HTTP/1.1 keep-alive connection and asks for streamed chats back to back; a stream is 20
//! events 20 ms apart whose text quotes `[EMAIL_1]`, which the proxy must turn back into the
//! client's e-mail. Errors: a failed connection or request, a status other than 200, a
//! stream without `[DONE]`, or (through the proxy) a placeholder left or the e-mail missing.
//! At the end it prints the proxy's draft outcomes from `/metrics`.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use veilgate::proxy::body::ProxyBody;

mod common;
use common::runtime;

const EMAIL: &str = "jane.roe@example-mail.com";
const DELTAS: [&str; 5] = ["Sure, ", "I will write to ", "[EMAIL_1]", " today", "."];
const EVENTS: usize = 20;
/// How the fake upstream tells a streamed request (the proxy re-serialises compactly).
const STREAM_FLAG: &[u8] = b"\"stream\":true";
const EVENT_GAP: Duration = Duration::from_millis(20);
const SMALL_REPLY: &str = r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}"#;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn chunk(delta: &str) -> Bytes {
    let v = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
        "model": "m", "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": null}]});
    Bytes::from(format!("data: {v}\n\n"))
}

/// The upstream: streamed chats quote `[EMAIL_1]` over [`EVENTS`] events; everything else
/// gets a small JSON completion.
async fn fake_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(|req: Request<hyper::body::Incoming>| async {
                        let body = req.into_body().collect().await.map(|b| b.to_bytes());
                        let streamed = body
                            .is_ok_and(|b| b.windows(STREAM_FLAG.len()).any(|w| w == STREAM_FLAG));
                        let (tx, rx) = tokio::sync::mpsc::channel(4);
                        tokio::spawn(async move {
                            if !streamed {
                                let _ = tx.send(Bytes::from_static(SMALL_REPLY.as_bytes())).await;
                                return;
                            }
                            for i in 0..EVENTS {
                                if tx.send(chunk(DELTAS[i % DELTAS.len()])).await.is_err() {
                                    return;
                                }
                                tokio::time::sleep(EVENT_GAP).await;
                            }
                            let _ = tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await;
                        });
                        let ctype = if streamed {
                            "text/event-stream"
                        } else {
                            "application/json"
                        };
                        let mut resp = Response::new(ProxyBody::Stream(rx));
                        resp.headers_mut()
                            .insert("content-type", ctype.parse().unwrap());
                        Ok::<_, Infallible>(resp)
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// `veilgate serve` in front of `upstream`; its address once it listens.
fn start_proxy(upstream: SocketAddr) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veilgate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("http://{upstream}/v1"))
        .env(
            "VEILGATE_LOG",
            "warn,veilgate::proxy=info,veilgate::proxy::pipeline=warn",
        )
        .env("NO_COLOR", "1")
        // Identical bodies: without this the detection cache would make masking free.
        .env("VEILGATE__PRIVACY__DETECT_CACHE_ENTRIES", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("veilgate runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("veilgate listens").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse().unwrap();
        }
    };
    // Keep draining stderr so the proxy never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    first_byte_us: Vec<u64>,
    total_us: Vec<u64>,
    errors: u64,
    done: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.first_byte_us.extend(other.first_byte_us);
        self.total_us.extend(other.total_us);
        self.errors += other.errors;
        self.done += other.done;
    }
}

/// A keep-alive HTTP/1.1 connection to `addr`.
async fn connect(addr: SocketAddr) -> Option<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

fn chat_request(body: &Bytes) -> Request<Full<Bytes>> {
    Request::post("/v1/chat/completions")
        .header("host", "soak")
        .header("content-type", "application/json")
        .body(Full::new(body.clone()))
        .unwrap()
}

/// One client: a keep-alive connection, requests back to back until `deadline`.
async fn client(addr: SocketAddr, body: Bytes, deadline: Instant, check: bool) -> Tally {
    let mut tally = Tally::default();
    let Some(mut sender) = connect(addr).await else {
        tally.errors += 1;
        return tally;
    };
    while Instant::now() < deadline {
        let t = Instant::now();
        let Ok(resp) = sender.send_request(chat_request(&body)).await else {
            tally.errors += 1;
            return tally;
        };
        let ok_status = resp.status() == 200;
        let mut body = resp.into_body();
        let mut text = Vec::new();
        let mut first = None;
        let mut broken = false;
        while let Some(frame) = body.frame().await {
            match frame.map(Frame::into_data) {
                Ok(Ok(data)) => {
                    first.get_or_insert_with(|| t.elapsed());
                    text.extend_from_slice(&data);
                }
                Ok(Err(_)) => {}
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        let total = t.elapsed();
        let text = String::from_utf8_lossy(&text);
        let complete = text.ends_with("data: [DONE]\n\n");
        let restored = !check || (text.contains(EMAIL) && !text.contains("EMAIL_1"));
        if ok_status && !broken && complete && restored {
            tally
                .first_byte_us
                .push(first.unwrap_or(total).as_micros() as u64);
            tally.total_us.push(total.as_micros() as u64);
            tally.done += 1;
        } else {
            tally.errors += 1;
            if broken {
                return tally;
            }
        }
    }
    tally
}

async fn phase(addr: SocketAddr, clients: u64, secs: u64, check: bool) -> (Tally, Duration) {
    let body = Bytes::from(
        serde_json::json!({"model": "m", "stream": true, "messages": [
            {"role": "user", "content": format!("Please write to {EMAIL} about the delay.")}]})
        .to_string(),
    );
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(client(addr, body.clone(), deadline, check)))
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await.unwrap());
    }
    (tally, start.elapsed())
}

/// Small non-streamed requests on `connections` keep-alive connections: (requests, errors).
async fn throughput(addr: SocketAddr, connections: usize, secs: u64) -> (u64, u64, Duration) {
    let body = Bytes::from(
        serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "Say hello."}]})
            .to_string(),
    );
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move {
                let (mut ok, mut errors) = (0u64, 0u64);
                let Some(mut sender) = connect(addr).await else {
                    return (0, 1);
                };
                while Instant::now() < deadline {
                    match sender.send_request(chat_request(&body)).await {
                        Ok(r) if r.status() == 200 => {
                            let _ = r.into_body().collect().await;
                            ok += 1;
                        }
                        Ok(_) => errors += 1,
                        Err(_) => return (ok, errors + 1),
                    }
                }
                (ok, errors)
            })
        })
        .collect();
    let (mut ok, mut errors) = (0, 0);
    for t in tasks {
        let (o, e) = t.await.unwrap();
        ok += o;
        errors += e;
    }
    (ok, errors, start.elapsed())
}

/// The proxy's `/metrics` text (empty if it cannot be had).
async fn metrics(addr: SocketAddr) -> String {
    let Some(mut sender) = connect(addr).await else {
        return String::new();
    };
    let req = Request::get(format!("http://{addr}/metrics"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    match sender.send_request(req).await {
        Ok(resp) => resp
            .into_body()
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn pct_ms(values: &mut [u64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable();
    values[((values.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

fn main() {
    let secs = env_or("SOAK_SECS", 60);
    let clients = env_or("SOAK_CLIENTS", 500);
    let direct_secs = env_or("SOAK_DIRECT_SECS", 15).min(secs);
    let rps_secs = env_or("SOAK_RPS_SECS", 10);
    let upstream_rt = runtime(1);
    let upstream = upstream_rt.block_on(fake_upstream());
    let (mut proxy, proxy_addr) = start_proxy(upstream);
    let pid = proxy.id();
    let client_rt = runtime(1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "soak: {clients} streaming clients, {secs} s through veilgate ({direct_secs} s direct), \
         {EVENTS} events x {} ms per stream; load average at start: {}",
        EVENT_GAP.as_millis(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (mut direct, _) = client_rt.block_on(phase(upstream, clients, direct_secs, false));
    let rss_start = rss_kb(pid, "VmRSS");
    let sampler = std::thread::spawn(move || {
        let mut samples = Vec::new();
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            samples.push(rss_kb(pid, "VmRSS"));
            std::thread::sleep(Duration::from_secs(1));
        }
        samples
    });
    let (mut via, elapsed) = client_rt.block_on(phase(proxy_addr, clients, secs, true));
    let samples = sampler.join().unwrap();
    let (ok, rps_errors, rps_elapsed) = client_rt.block_on(throughput(proxy_addr, 32, rps_secs));
    let peak = rss_kb(pid, "VmHWM");
    let metrics = client_rt.block_on(metrics(proxy_addr));
    let _ = proxy.kill();
    let _ = proxy.wait();

    println!(
        "direct:   {} streams, {} errors; first byte p50 {:.2} ms p99 {:.2} ms; total p50 {:.1} ms p99 {:.1} ms",
        direct.done, direct.errors,
        pct_ms(&mut direct.first_byte_us, 0.5), pct_ms(&mut direct.first_byte_us, 0.99),
        pct_ms(&mut direct.total_us, 0.5), pct_ms(&mut direct.total_us, 0.99),
    );
    println!(
        "veilgate: {} streams in {:.1} s ({:.0} streams/s), {} errors; first byte p50 {:.2} ms p99 {:.2} ms; total p50 {:.1} ms p99 {:.1} ms",
        via.done, elapsed.as_secs_f64(), via.done as f64 / elapsed.as_secs_f64(), via.errors,
        pct_ms(&mut via.first_byte_us, 0.5), pct_ms(&mut via.first_byte_us, 0.99),
        pct_ms(&mut via.total_us, 0.5), pct_ms(&mut via.total_us, 0.99),
    );
    println!(
        "added:    first byte p50 {:+.2} ms p99 {:+.2} ms; total p50 {:+.1} ms p99 {:+.1} ms",
        pct_ms(&mut via.first_byte_us, 0.5) - pct_ms(&mut direct.first_byte_us, 0.5),
        pct_ms(&mut via.first_byte_us, 0.99) - pct_ms(&mut direct.first_byte_us, 0.99),
        pct_ms(&mut via.total_us, 0.5) - pct_ms(&mut direct.total_us, 0.5),
        pct_ms(&mut via.total_us, 0.99) - pct_ms(&mut direct.total_us, 0.99),
    );
    let third = samples.len() / 3;
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "proxy RSS: {:.1} MB before, {:.1} MB after 1/3, {:.1} MB at the end, peak {:.1} MB",
        mb(rss_start),
        mb(samples.get(third).copied().unwrap_or(0)),
        mb(samples.last().copied().unwrap_or(0)),
        mb(peak)
    );
    println!(
        "small non-streamed, 32 connections: {:.0} req/s, {} errors",
        ok as f64 / rps_elapsed.as_secs_f64(),
        rps_errors
    );
    let drafts: Vec<&str> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("veilgate_draft_openers_total"))
        .collect();
    println!("draft outcomes: {}", drafts.join(" "));
    if direct.errors + via.errors + rps_errors > 0 {
        println!("ERRORS: the bar is zero");
        std::process::exit(1);
    }
}
