//! Abuse harness: the attacks of the red-team pass against the real `veilgate serve` binary
//! (a child process, so its RSS is its own) in front of a fake upstream on loopback, each
//! with a normal request timed meanwhile.
//!
//! `cargo bench --bench abuse` — phases:
//! 1. 1,000 idle connections held open; 20 normal requests, one after another.
//! 2. 100 connections each announcing a 15 MB body and sending 1 MB of it, then stalling;
//!    RSS sampled; a normal request; then they go away and RSS is read again.
//! 3. A 16 MiB body of prose, as shipped (refused: beyond the tagger's budget) and with
//!    `privacy.over_budget = "rules_only"` (masked by the rules); small requests meanwhile.
//!
//! `VEILGATE__…` variables reach the proxy.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

mod common;
use common::{json_upstream, runtime};

fn start_proxy(upstream: SocketAddr, env: &[(&str, &str)]) -> (Child, SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veilgate"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("http://{upstream}/v1"))
        .env(
            "VEILGATE_LOG",
            "warn,veilgate::proxy=info,veilgate::proxy::pipeline=warn",
        )
        .env("NO_COLOR", "1")
        .env("VEILGATE__DRAFT__ENABLED", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("veilgate runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("veilgate listens").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || lines.for_each(|l| eprintln!("  proxy: {}", l.unwrap_or_default())));
    (child, addr)
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// CPU seconds the process has used (user + system).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// One chat request with `content`; its status and how long it took.
async fn chat(addr: SocketAddr, content: &str) -> (u16, Duration) {
    let body =
        serde_json::json!({"model": "m", "messages": [{"role": "user", "content": content}]});
    let start = Instant::now();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let req = Request::post(format!("http://{addr}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let status = match tokio::time::timeout(Duration::from_secs(120), client.request(req)).await {
        Ok(Ok(resp)) => {
            let status = resp.status().as_u16();
            let _ = resp.into_body().collect().await;
            status
        }
        _ => 0,
    };
    (status, start.elapsed())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let rt = runtime(2);
    rt.block_on(async {
        let up = json_upstream().await;
        let (mut proxy, addr) = start_proxy(up, &[]);
        let pid = proxy.id();
        let (_, warm) = chat(addr, "warm up").await;
        println!(
            "idle RSS {:.0} MB (first request {:.1} ms)",
            rss_mb(pid),
            ms(warm)
        );

        // 1. Idle connections.
        let mut idle = Vec::new();
        for _ in 0..1000 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut times = Vec::new();
        for _ in 0..20 {
            let (status, t) = chat(addr, "What is the capital of Australia?").await;
            assert_eq!(status, 200);
            times.push(ms(t));
        }
        times.sort_by(f64::total_cmp);
        println!(
            "1,000 idle connections open: 20 normal requests, p50 {:.1} ms, max {:.1} ms",
            times[10], times[19]
        );
        drop(idle);

        // 2. Unfinished 15 MB bodies.
        let head = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            15_000_000
        );
        let chunk = vec![b' '; 1 << 20];
        let mut unfinished = Vec::new();
        let mut refused = 0;
        for _ in 0..100 {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            let _ = conn.write_all(head.as_bytes()).await;
            if conn.write_all(&chunk).await.is_err() {
                refused += 1;
            }
            unfinished.push(conn);
        }
        let mut peak: f64 = 0.0;
        for _ in 0..20 {
            peak = peak.max(rss_mb(pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (status, t) = chat(addr, "hello").await;
        println!(
            "100 unfinished 15 MB bodies: peak RSS {peak:.0} MB, {refused} cut off while \
             sending; a normal request meanwhile {status} in {:.1} ms",
            ms(t)
        );
        drop(unfinished);
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!("  RSS 3 s after they went away: {:.0} MB", rss_mb(pid));

        // 3. A 16 MiB body.
        let prose = "Please ask Maria Gonzalez to call the Berlin office about the invoice. ";
        let big = prose.repeat((16 * 1024 * 1024 - 200) / prose.len());
        for (label, env) in [
            ("as shipped", vec![]),
            (
                "over_budget = rules_only",
                vec![("VEILGATE__PRIVACY__OVER_BUDGET", "rules_only")],
            ),
        ] {
            let (mut p, a) = if env.is_empty() {
                (None, addr)
            } else {
                let (child, a) = start_proxy(up, &env);
                (Some(child), a)
            };
            let ppid = p.as_ref().map_or(pid, |c| c.id());
            let cpu0 = cpu_secs(ppid);
            let big_req = tokio::spawn({
                let big = big.clone();
                async move { chat(a, &big).await }
            });
            let mut small = Vec::new();
            while !big_req.is_finished() {
                let (status, t) = chat(a, "What is the capital of Australia?").await;
                small.push((status, ms(t)));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let (status, t) = big_req.await.unwrap();
            let worst = small.iter().map(|s| s.1).fold(0.0, f64::max);
            println!(
                "16 MiB body ({label}): {status} after {:.2} s, proxy CPU {:.2} s; {} small \
                 requests meanwhile, slowest {worst:.1} ms, statuses {:?}",
                t.as_secs_f64(),
                cpu_secs(ppid) - cpu0,
                small.len(),
                small
                    .iter()
                    .map(|s| s.0)
                    .collect::<std::collections::BTreeSet<_>>()
            );
            if let Some(child) = p.as_mut() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = proxy.kill();
        let _ = proxy.wait();
    });
}
