//! No client can take the proxy down: each attack of the red-team pass, reproduced on
//! loopback with bounded counts and times (idle and slow-loris connections, bodies that never
//! finish, many bodies at once, text beyond the tagger's budget, compressed bodies, numbers a
//! float would round), and a normal request still answered.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::serve::ServeProcess;
use common::*;
use http_body_util::Full;
use hyper::Request;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use veilgate::config::OverBudget;

async fn ok_upstream() -> FakeUpstream {
    FakeUpstream::start(|_| Reply::json(chat_completion("fine"))).await
}

fn hello() -> serde_json::Value {
    json!({"model": "m", "messages": [{"role": "user", "content": "hello"}]})
}

/// A normal request answers, and within `within`.
async fn answers_within(proxy: &Proxy, within: Duration) {
    let start = Instant::now();
    let answer = post_json(proxy, "/v1/chat/completions", &hello()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(
        start.elapsed() < within,
        "a normal request took {:?}",
        start.elapsed()
    );
}

/// The head of a chat request whose body is `len` bytes long.
fn head(len: usize) -> String {
    format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {len}\r\n\r\n"
    )
}

/// Reads what the proxy answers on `conn` (up to its first blank line), at most `wait`.
async fn status_of(conn: &mut TcpStream, wait: Duration) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(wait, conn.read(&mut buf))
        .await
        .expect("the proxy answers in time")
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_starve_a_normal_request() {
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(proxy.addr).await.unwrap());
    }
    answers_within(&proxy, Duration::from_secs(1)).await;
    drop(idle);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_limit_idle_connections_make_room() {
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |c| c.server.max_connections = 50).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        let mut conn = TcpStream::connect(proxy.addr).await.unwrap();
        // Slow loris: a request head begun, never finished.
        conn.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        idle.push(conn);
    }
    answers_within(&proxy, Duration::from_secs(1)).await;
    drop(idle);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_clients_are_closed_after_the_header_timeout() {
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |c| c.server.header_read_timeout_ms = 300).await;
    let mut silent = TcpStream::connect(proxy.addr).await.unwrap();
    let mut slow = TcpStream::connect(proxy.addr).await.unwrap();
    slow.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    for conn in [&mut silent, &mut slow] {
        // Closed (EOF) or answered with an error, well before the 5 s we wait.
        let said = status_of(conn, Duration::from_secs(5)).await;
        assert!(
            said.is_empty() || said.starts_with("HTTP/1.1 408"),
            "{said}"
        );
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_finishes_gets_408() {
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |c| c.server.body_read_timeout_ms = 300).await;
    let mut conn = TcpStream::connect(proxy.addr).await.unwrap();
    conn.write_all(head(100).as_bytes()).await.unwrap();
    conn.write_all(b"{\"model\":").await.unwrap();
    let said = status_of(&mut conn, Duration::from_secs(5)).await;
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    assert!(said.contains("body_timeout"), "{said}");
    assert!(upstream.requests().is_empty());
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_buffered_at_once_are_bounded_and_the_budget_comes_back() {
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |c| {
        c.server.max_body_bytes = 1 << 20;
        c.server.max_buffered_body_bytes = 1 << 20;
    })
    .await;
    let mut holding = Vec::new();
    for _ in 0..2 {
        let mut conn = TcpStream::connect(proxy.addr).await.unwrap();
        conn.write_all(head(400_000).as_bytes()).await.unwrap();
        conn.write_all(&[b' '; 1000]).await.unwrap();
        holding.push(conn);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third large body does not fit beside them: 503 with retry-after, at once.
    let mut third = TcpStream::connect(proxy.addr).await.unwrap();
    third.write_all(head(400_000).as_bytes()).await.unwrap();
    let said = status_of(&mut third, Duration::from_secs(2)).await;
    assert!(said.starts_with("HTTP/1.1 503"), "{said}");
    assert!(
        said.to_ascii_lowercase().contains("retry-after: 1"),
        "{said}"
    );
    // Small requests still fit, and once the large ones go away their share comes back.
    answers_within(&proxy, Duration::from_secs(1)).await;
    drop(holding);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let big = json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(700_000)}]});
    let answer = post_json(&proxy, "/v1/chat/completions", &big).await;
    assert_ne!(answer.status, 503, "{}", answer.text());
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_beyond_the_tagger_budget_is_refused_or_masked_by_the_rules() {
    let text = format!("{} write to {EMAIL}", "a plain sentence. ".repeat(100));
    let body = json!({"model": "m", "messages": [{"role": "user", "content": text}]});
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |c| c.privacy.tagger_max_chars = 1000).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(answer.json()["error"]["code"], "text_over_budget");
    assert!(upstream.requests().is_empty());
    // Small requests are not affected.
    answers_within(&proxy, Duration::from_secs(5)).await;
    proxy.stop().await;
    let proxy = Proxy::start(&upstream, |c| {
        c.privacy.tagger_max_chars = 1000;
        c.privacy.over_budget = OverBudget::RulesOnly;
    })
    .await;
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let sent = upstream.last().text();
    assert!(
        !sent.contains(EMAIL) && sent.contains("[EMAIL_1]"),
        "{sent}"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_bodies_are_refused_and_numbers_leave_as_written() {
    let upstream = ok_upstream().await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let gz = Request::post(proxy.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Full::new(Bytes::from_static(b"\x1f\x8b\x08\x00")))
        .unwrap();
    let answer = send(gz).await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json()["error"]["code"],
        "unsupported_content_encoding"
    );
    let raw = r#"{"model":"m","seed":123456789012345678901234567890,"temperature":0.70,"top_p":1.000,"messages":[{"role":"user","content":"hi"}]}"#;
    let req = Request::post(proxy.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(raw.as_bytes())))
        .unwrap();
    assert_eq!(send(req).await.status, 200);
    let sent = upstream.last().text();
    for number in [
        "\"seed\":123456789012345678901234567890",
        "\"temperature\":0.70",
        "\"top_p\":1.000",
    ] {
        assert!(sent.contains(number), "{number} not in {sent}");
    }
    proxy.stop().await;
}

#[test]
fn out_of_range_settings_stop_start_up_naming_the_key() {
    for (key, value, name) in [
        (
            "VEILGATE__PRIVACY__TAGGER_MIN_SCORE",
            "2",
            "privacy.tagger_min_score",
        ),
        (
            "VEILGATE__SERVER__MAX_CONNECTIONS",
            "0",
            "server.max_connections",
        ),
    ] {
        let Err((status, output)) = ServeProcess::start(&[], &[(key, value)]) else {
            panic!("{key}={value} started");
        };
        assert_eq!(status.code(), Some(2), "{output}");
        assert!(output.contains(name), "{output}");
    }
}
