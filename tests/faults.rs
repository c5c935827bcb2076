//! Faults the happy-path tests do not reach: an upstream whose TCP connection is reset
//! mid-stream, malformed event streams, a 100 MB upstream body (memory stays bounded), and
//! start-up with a missing or corrupt tagger model or rules directory (the binary refuses
//! with a message naming the path).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use common::serve::{run_to_exit, ServeProcess};
use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn chat(content: &str, stream: bool) -> Value {
    json!({"model": "gpt-test", "stream": stream, "messages": [{"role": "user", "content": content}]})
}

/// A raw TCP upstream: reads one request, answers 200 `text/event-stream` with `chunks`
/// (HTTP/1.1 chunked), then resets the connection (SO_LINGER 0: an RST, not a FIN).
async fn resetting_upstream(chunks: Vec<String>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let chunks = chunks.clone();
            tokio::spawn(async move {
                read_request(&mut stream).await;
                let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                                transfer-encoding: chunked\r\n\r\n"
                    .to_vec();
                for c in &chunks {
                    out.extend_from_slice(format!("{:x}\r\n{c}\r\n", c.len()).as_bytes());
                }
                let _ = stream.write_all(&out).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
                stream.set_zero_linger().unwrap();
                drop(stream);
            });
        }
    });
    addr
}

/// Reads a request head and its `content-length` body.
async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed before sending a request");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The last `data:` payload of an SSE body, as JSON.
fn last_payload(body: &str) -> Value {
    let payloads = sse_payloads(body);
    let last = payloads.last().expect("at least one event");
    serde_json::from_str(last).unwrap_or_else(|_| panic!("last event is JSON: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_mid_stream_ends_with_an_error_event() {
    let mut chunks = chat_sse(
        "Write to [EMAIL_1] now, then [CREDIT_CARD_1] and more text",
        6,
    );
    chunks.truncate(chunks.len() - 4); // the reset comes mid-sentence
    let addr = resetting_upstream(chunks).await;
    let echo = FakeUpstream::start(|r| Reply::json(chat_completion(&chat_text(&r.json())))).await;
    let proxy = Proxy::start(&echo, |c| {
        c.privacy.tagger = false;
        c.upstream.base_url = format!("http://{addr}/v1");
    })
    .await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
    assert_eq!(answer.status, 200);
    let body = answer.text();
    let last = last_payload(&body);
    assert_eq!(last["error"]["code"], "upstream_error", "{body}");
    assert!(last["error"]["message"]
        .as_str()
        .unwrap()
        .contains("upstream"));
    let text = chat_stream_text(&body);
    assert!(
        text.starts_with(&format!("Write to {EMAIL} now, then {CARD}")),
        "{text}"
    );
    for tag in ["[EMAIL_1]", "[CREDIT_CARD_1]", "EMAIL_", "CREDIT_"] {
        assert!(
            !body.contains(tag),
            "the client sees a placeholder fragment: {body}"
        );
    }
    assert!(
        !body.contains("[DONE]"),
        "a broken stream does not pretend to be complete"
    );
    // Each request gets a fresh reset; the proxy keeps answering with well-formed errors.
    let again = post_json(&proxy, "/v1/chat/completions", &chat("hi", true)).await;
    assert_eq!(
        last_payload(&again.text())["error"]["code"],
        "upstream_error"
    );
    let dir = proxy.stop().await;
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("upstream connection lost mid-stream"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_event_streams_end_with_an_error_event_and_the_proxy_keeps_serving() {
    let good = chat_sse("Hello [EMAIL_1]", 4);
    let bad_utf8 = format!("{}data: \u{0}", good[1]).into_bytes();
    let mut bad_utf8 = bad_utf8;
    bad_utf8.extend_from_slice(b"\xff\xfe\n\n");
    let cases: Vec<Vec<Bytes>> = vec![
        // A line that is not UTF-8 after a good event.
        vec![Bytes::from(good[0].clone()), Bytes::from(bad_utf8)],
        // A data line that never ends, past the 8 MiB line limit.
        vec![
            Bytes::from(good[0].clone()),
            Bytes::from(format!("data: {}", "x".repeat(9 << 20))),
        ],
    ];
    for chunks in cases {
        let upstream = FakeUpstream::start(move |r| {
            if r.json()["stream"] == true {
                Reply::Chunked {
                    content_type: "text/event-stream",
                    chunks: chunks.clone(),
                }
            } else {
                Reply::json(chat_completion("fine"))
            }
        })
        .await;
        let proxy = Proxy::start(&upstream, |c| c.privacy.tagger = false).await;
        let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
        let last = last_payload(&answer.text());
        assert!(
            last["error"]["message"]
                .as_str()
                .unwrap()
                .contains("malformed"),
            "{last}"
        );
        assert!(answer.body.len() < 1 << 20, "the bad line is not forwarded");
        let ok = post_json(&proxy, "/v1/chat/completions", &chat("still there?", false)).await;
        assert_eq!(ok.status, 200);
        proxy.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_upstream_body_is_refused_with_bounded_memory() {
    let mb = Bytes::from(vec![b' '; 1 << 20]);
    let upstream = FakeUpstream::start(move |r| {
        let mut chunks = vec![Bytes::from_static(b"{\"pad\": \"")];
        chunks.extend(std::iter::repeat_n(mb.clone(), 100));
        if r.json()["stream"] == true {
            // One endless SSE line: the event-stream line limit applies.
            chunks[0] = Bytes::from_static(b"data: ");
            Reply::Chunked {
                content_type: "text/event-stream",
                chunks,
            }
        } else {
            Reply::Chunked {
                content_type: "application/json",
                chunks,
            }
        }
    })
    .await;
    let proxy = ServeProcess::start(
        &["--upstream", &upstream.base_url()],
        &[
            ("VEILGATE__PRIVACY__TAGGER", "false"),
            ("VEILGATE__UPSTREAM__MAX_RESPONSE_BYTES", "4194304"),
        ],
    )
    .unwrap_or_else(|(status, out)| panic!("veilgate exited with {status}:\n{out}"));
    let baseline_kb = proxy.status_kb("VmRSS");
    let post = |stream: bool| {
        let req = hyper::Request::post(proxy.url("/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(Bytes::from(
                chat(&pii_message(), stream).to_string(),
            )))
            .unwrap();
        send(req)
    };
    let whole = post(false).await;
    assert_eq!(whole.status, 502, "{}", whole.text());
    assert_eq!(whole.json()["error"]["code"], "bad_gateway");
    assert!(whole.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("4194304 bytes"));
    let streamed = post(true).await;
    assert!(last_payload(&streamed.text())["error"]["message"]
        .as_str()
        .unwrap()
        .contains("malformed"));
    assert!(streamed.body.len() < 1 << 20);
    let peak_kb = proxy.status_kb("VmHWM");
    let (status, out) = proxy.stop();
    assert!(status.success(), "{out}");
    // 200 MB went through; the proxy held at most the limits (4 MiB body, 8 MiB SSE line).
    assert!(
        peak_kb < baseline_kb + 64 * 1024,
        "peak RSS {peak_kb} kB vs {baseline_kb} kB at start"
    );
}

/// `veilgate serve` with these settings must exit non-zero, naming `path` in its message.
fn refuses_to_start(env: &[(&str, &str)], path: &str) {
    let mut env = env.to_vec();
    env.push(("VEILGATE__SERVER__LISTEN", "127.0.0.1:0"));
    let (status, out) = run_to_exit(&["serve"], &env);
    assert!(!status.success(), "veilgate started:\n{out}");
    assert!(out.contains(path), "the message names {path}:\n{out}");
    assert!(!out.contains("listening"), "{out}");
}

#[test]
fn a_missing_or_corrupt_model_or_rules_dir_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let missing = missing.to_str().unwrap();
    refuses_to_start(&[("VEILGATE__PRIVACY__TAGGER_MODEL", missing)], missing);
    refuses_to_start(&[("VEILGATE__PRIVACY__RULES_DIR", missing)], missing);

    let model = dir.path().join("corrupt-model");
    std::fs::create_dir(&model).unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tagger_ok");
    for f in ["tokenizer.json", "config.json"] {
        std::fs::copy(fixture.join(f), model.join(f)).unwrap();
    }
    std::fs::write(model.join("model.onnx"), b"not an onnx model").unwrap();
    let model = model.to_str().unwrap();
    refuses_to_start(&[("VEILGATE__PRIVACY__TAGGER_MODEL", model)], model);

    let rules = dir.path().join("corrupt-rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("broken.toml"), "[[rule]\nname = = \"x\"\n").unwrap();
    refuses_to_start(
        &[("VEILGATE__PRIVACY__RULES_DIR", rules.to_str().unwrap())],
        "broken.toml",
    );
}
