//! Load and latency harness: the proxy against direct access to the same loopback upstream,
//! measured side by side in one run.
//!
//! `cargo bench --bench load -- [--seconds N] [--concurrency C] [--pii]`
//!
//! Three tokio runtimes share the machine: the fake upstream (1 thread), the proxy
//! (`worker_threads` = available cores) and the load generator (1 thread). Each of C client
//! tasks holds one keep-alive HTTP/1.1 connection and sends small non-streamed chat
//! requests back to back. Phases: direct → upstream, then client → veilgate → upstream.
//! Reported: requests/s, p50/p90/p99 latency, and the proxy's added p50/p99.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

mod common;
use common::{json_upstream, runtime};

struct Args {
    seconds: u64,
    concurrency: usize,
    pii: bool,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        concurrency: 32,
        pii: false,
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        match argv[i].as_str() {
            "--seconds" => {
                a.seconds = argv[i + 1].parse().expect("--seconds N");
                i += 1;
            }
            "--concurrency" => {
                a.concurrency = argv[i + 1].parse().expect("--concurrency C");
                i += 1;
            }
            "--pii" => a.pii = true,
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    a
}

/// C connections, each sending `body` back to back for `seconds`; returns latencies (µs).
async fn load(
    addr: SocketAddr,
    body: Bytes,
    seconds: u64,
    concurrency: usize,
) -> (Vec<u64>, u64, Duration) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let mut lat = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let req = Request::post("/v1/chat/completions")
                    .header("host", "bench")
                    .header("content-type", "application/json")
                    .header("authorization", "Bearer sk-bench")
                    .body(Full::new(body.clone()))
                    .unwrap();
                let t = Instant::now();
                match sender.send_request(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        if ok {
                            lat.push(t.elapsed().as_micros() as u64);
                        } else {
                            errors += 1;
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    (all, errors, start.elapsed())
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

struct Phase {
    name: &'static str,
    lat: Vec<u64>,
    errors: u64,
    elapsed: Duration,
}

impl Phase {
    fn report(&self) {
        let rps = self.lat.len() as f64 / self.elapsed.as_secs_f64();
        println!(
            "{:<8} {:>9} req {:>9.0} req/s   p50 {:>6.3} ms   p90 {:>6.3} ms   p99 {:>6.3} ms   errors {}",
            self.name,
            self.lat.len(),
            rps,
            pct(&self.lat, 0.50),
            pct(&self.lat, 0.90),
            pct(&self.lat, 0.99),
            self.errors
        );
    }
}

fn main() {
    let a = args();
    let text = if a.pii {
        "Please email jane.roe@example-mail.com about card 4111 1111 1111 1111, thanks!"
    } else {
        "Write a haiku about the sea at dawn, please."
    };
    let body = Bytes::from(
        serde_json::json!({"model": "m", "messages": [{"role": "user", "content": text}]})
            .to_string(),
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);

    let upstream_rt = runtime(1);
    let upstream = upstream_rt.block_on(json_upstream());

    let proxy_rt = runtime(cores);
    let proxy = proxy_rt.block_on(async {
        // The configuration a user would run with (VEILGATE__… variables apply, e.g.
        // VEILGATE__PRIVACY__TAGGER=false for rules only).
        let mut cfg = veilgate::config::Config::load(None).expect("configuration");
        cfg.server.listen = "127.0.0.1:0".into();
        cfg.upstream.base_url = format!("http://{upstream}/v1");
        // Every request carries the same body: with the detection cache the detectors would
        // run once. Off, the figures are those of text the proxy has not seen.
        cfg.privacy.detect_cache_entries = 0;
        let server = veilgate::proxy::Server::bind(cfg).await.unwrap();
        let addr = server.local_addr();
        tokio::spawn(server.run(std::future::pending()));
        addr
    });

    let client_rt = runtime(1);
    let tagger = veilgate::config::Config::load(None)
        .map(|c| c.privacy.tagger)
        .unwrap_or(true);
    println!(
        "load: {} s per phase, {} connections, {} cores, body {} B{}, detectors: {}",
        a.seconds,
        a.concurrency,
        cores,
        body.len(),
        if a.pii { " (with PII)" } else { " (no PII)" },
        if tagger {
            "rules + tagger"
        } else {
            "rules only"
        }
    );
    // Warm both paths (connection pools, allocator) before measuring.
    client_rt.block_on(load(upstream, body.clone(), 1, a.concurrency));
    client_rt.block_on(load(proxy, body.clone(), 1, a.concurrency));

    let mut phases = Vec::new();
    for (name, addr) in [("direct", upstream), ("proxy", proxy)] {
        let (mut lat, errors, elapsed) =
            client_rt.block_on(load(addr, body.clone(), a.seconds, a.concurrency));
        lat.sort_unstable();
        phases.push(Phase {
            name,
            lat,
            errors,
            elapsed,
        });
    }
    for p in &phases {
        p.report();
    }
    let (d, p) = (&phases[0].lat, &phases[1].lat);
    println!(
        "added by veilgate: p50 {:+.3} ms, p99 {:+.3} ms",
        pct(p, 0.5) - pct(d, 0.5),
        pct(p, 0.99) - pct(d, 0.99)
    );
    // Single-connection latency, where queueing does not hide the per-request cost.
    let mut single = Vec::new();
    for (name, addr) in [("direct/1", upstream), ("proxy/1", proxy)] {
        let (mut lat, errors, elapsed) =
            client_rt.block_on(load(addr, body.clone(), a.seconds.min(5), 1));
        lat.sort_unstable();
        single.push(Phase {
            name,
            lat,
            errors,
            elapsed,
        });
    }
    for p in &single {
        p.report();
    }
    println!(
        "added by veilgate, 1 connection: p50 {:+.3} ms, p99 {:+.3} ms",
        pct(&single[1].lat, 0.5) - pct(&single[0].lat, 0.5),
        pct(&single[1].lat, 0.99) - pct(&single[0].lat, 0.99)
    );
}
