//! Nothing secret in any output: the real `veilgate serve` binary at `VEILGATE_LOG=trace`,
//! with a local access token and an upstream key, gets requests carrying many kinds of
//! personal data on the happy paths and the error paths (upstream 500 quoting placeholders,
//! a stream that dies, an upstream stall, bad JSON, bad UTF-8, a wrong token, an unknown
//! path, HTTP/2). None of the original values, the key or the tokens may appear in its
//! stdout/stderr, its audit log or `/metrics`.

mod common;

use bytes::Bytes;
use common::serve::ServeProcess;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

const TOKEN: &str = "vg-local-token-7c3e91d04b";
const WRONG_TOKEN: &str = "vg-wrong-token-55aa0912";
const UPSTREAM_KEY: &str = "sk-upstream-held-e4f8a1c92d";
const CLIENT_KEY_IN_BODY: &str = "sk-proj-client-b7d20c9e41";

/// Values that must stay on the machine, and never be written anywhere.
const PII: [&str; 10] = [
    "Marcus Whitfield",
    "42 Elm Street",
    "jane.roe@example-mail.com",
    "+1 415 555 0132",
    "536-22-8417",
    "4556 7375 8689 9855",
    "DE57 5001 0517 5407 3248 91",
    "10.23.45.67",
    "AKIA4HZQ7XK2M9PLR3TB",
    "Tr0ub4dor&3xq",
];

fn text() -> String {
    format!(
        "Hi, I'm {} from {}. Mail {}, call {}. SSN {}, card {}, IBAN {}. Server {}, key {}, password={}",
        PII[0], PII[1], PII[2], PII[3], PII[4], PII[5], PII[6], PII[7], PII[8], PII[9]
    )
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": text()}]})
}

/// Quotes the masked text back in the shape the request's `model` asks for.
fn upstream_reply(r: &Recorded) -> Reply {
    let body = r.json();
    if r.path.ends_with("/messages") {
        let quoted = body["messages"][0]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        return Reply::json(
            json!({"id": "msg_1", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": quoted}], "stop_reason": "end_turn"}),
        );
    }
    let quoted = format!("You said: {}", chat_text(&body));
    match body["model"].as_str().unwrap_or("") {
        "fail500" => Reply::Whole {
            status: 500,
            headers: vec![("content-type", "application/json".into())],
            body: json!({"error": {"message": format!("cannot process {quoted}"), "type": "server_error"}})
                .to_string(),
        },
        "stall" => Reply::Stall,
        "break" => {
            let mut chunks = chat_sse(&quoted, 5);
            chunks.truncate(chunks.len() / 2);
            Reply::SseThenBreak { chunks }
        }
        _ if body["stream"] == true => Reply::sse(chat_sse(&quoted, 4)),
        _ => Reply::json(chat_completion(&quoted)),
    }
}

async fn request(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: String,
    token: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let req = Request::post(url)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = tokio::time::timeout(std::time::Duration::from_secs(20), client.request(req))
        .await
        .expect("no hang")
        .expect("proxy answers");
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_value_key_or_token_reaches_logs_audit_or_metrics() {
    let upstream = FakeUpstream::start(upstream_reply).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let base = upstream.base_url();
    let proxy = ServeProcess::start(
        &["--upstream", &base],
        &[
            ("VEILGATE_LOG", "trace"),
            ("VEILGATE__UPSTREAM__ANTHROPIC_BASE_URL", &base),
            (
                "VEILGATE__UPSTREAM__API_KEY_ENV",
                "VG_LEAK_TEST_UPSTREAM_KEY",
            ),
            ("VG_LEAK_TEST_UPSTREAM_KEY", UPSTREAM_KEY),
            ("VEILGATE__SERVER__ACCESS_TOKEN_ENV", "VG_LEAK_TEST_TOKEN"),
            ("VG_LEAK_TEST_TOKEN", TOKEN),
            ("VEILGATE__UPSTREAM__FIRST_BYTE_TIMEOUT_MS", "1500"),
            ("VEILGATE__AUDIT__PATH", audit.to_str().unwrap()),
        ],
    )
    .unwrap_or_else(|(status, out)| panic!("veilgate exited with {status}:\n{out}"));
    let h1 = client();
    let h2 = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let chat_url = proxy.url("/v1/chat/completions");
    let body = |v: Value| v.to_string().into_bytes();

    let (status, reply) = request(&h1, chat_url.clone(), TOKEN, body(chat("echo", false))).await;
    assert_eq!(status, 200, "{reply}");
    assert!(
        reply.contains(PII[2]),
        "the client gets its values back: {reply}"
    );
    let (status, reply) = request(&h2, chat_url.clone(), TOKEN, body(chat("echo", true))).await;
    assert_eq!(status, 200, "{reply}");
    assert!(chat_stream_text(&reply).contains(PII[5]), "{reply}");
    let (status, reply) = request(&h1, chat_url.clone(), TOKEN, body(chat("fail500", false))).await;
    assert_eq!(status, 500);
    assert!(
        reply.contains(PII[6]),
        "the upstream error is unmasked for the client: {reply}"
    );
    let (status, reply) = request(&h1, chat_url.clone(), TOKEN, body(chat("break", true))).await;
    assert_eq!(status, 200);
    assert!(reply.contains("error"), "{reply}");
    let (status, _) = request(&h1, chat_url.clone(), TOKEN, body(chat("stall", false))).await;
    assert_eq!(status, 504);
    let messages = json!({"model": "claude", "max_tokens": 9, "metadata": {"user_id": PII[2]},
        "messages": [{"role": "user", "content": text()}]});
    let (status, reply) = request(&h1, proxy.url("/v1/messages"), TOKEN, body(messages)).await;
    assert_eq!(status, 200, "{reply}");
    // Error paths that never reach the upstream.
    let mut bad_json = body(chat("echo", false));
    bad_json.truncate(bad_json.len() - 3);
    assert_eq!(request(&h1, chat_url.clone(), TOKEN, bad_json).await.0, 400);
    let mut bad_utf8 = format!(
        "{{\"model\": \"m\", \"messages\": [{{\"role\": \"user\", \"content\": \"{}",
        text()
    )
    .into_bytes();
    bad_utf8.insert(30, 0xff);
    assert_eq!(request(&h1, chat_url.clone(), TOKEN, bad_utf8).await.0, 400);
    let with_client_key = json!({"model": "echo", "api_key": CLIENT_KEY_IN_BODY, "messages": [
        {"role": "user", "content": format!("my key is {CLIENT_KEY_IN_BODY}")}]});
    assert_eq!(
        request(&h1, chat_url.clone(), WRONG_TOKEN, body(with_client_key))
            .await
            .0,
        401
    );
    let unknown = proxy.url(&format!("/v1/users/{}", PII[2]));
    assert_eq!(
        request(&h1, unknown, TOKEN, body(chat("echo", false)))
            .await
            .0,
        404
    );

    let sent: Vec<String> = upstream.requests().iter().map(Recorded::text).collect();
    assert!(
        sent.len() >= 6,
        "{} requests reached the upstream",
        sent.len()
    );
    for (value, text) in PII.iter().flat_map(|v| sent.iter().map(move |t| (v, t))) {
        assert!(
            !text.contains(value),
            "the upstream received {value:?}: {text}"
        );
    }
    let metrics_req = Request::get(proxy.url("/metrics"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Full::default())
        .unwrap();
    let metrics = h1
        .request(metrics_req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap();
    let metrics = String::from_utf8_lossy(&metrics.to_bytes()).into_owned();
    assert!(metrics.contains("veilgate_"), "{metrics}");

    let (status, logs) = proxy.stop();
    assert!(status.success(), "{logs}");
    assert!(
        logs.contains(" DEBUG veilgate"),
        "trace logging is on:\n{logs}"
    );
    assert!(logs.matches("request done").count() >= 8, "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "logs written to a pipe carry no ANSI colours:\n{logs}"
    );
    // Lines inside a request name it and its phase.
    for phase in ["admit", "mask", "forward"] {
        assert!(
            logs.lines()
                .any(|l| l.contains("request{") && l.contains(&format!(":{phase}"))),
            "no line in the {phase} phase's span:\n{logs}"
        );
    }
    let audit = std::fs::read_to_string(&audit).unwrap();
    assert!(audit.lines().count() >= 8, "{audit}");
    let secrets = [
        TOKEN,
        WRONG_TOKEN,
        UPSTREAM_KEY,
        CLIENT_KEY_IN_BODY,
        "4556737586899855",
    ];
    // Below info, no crate but veilgate writes: others may quote what they process (the
    // tokenizer traces every character it normalises).
    for line in logs
        .lines()
        .filter(|l| l.contains(" TRACE ") || l.contains(" DEBUG "))
    {
        // The target is the first word with a `::` path (after the span list).
        let target = line
            .split_whitespace()
            .find(|w| w.contains("::"))
            .and_then(|w| w.split("::").next())
            .unwrap_or("");
        assert_eq!(target, "veilgate", "another crate logs below info: {line}");
    }
    // Values written in pieces: every text with all whitespace and line breaks removed.
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let squeezed = [squeeze(&logs), squeeze(&audit), squeeze(&metrics)];
    for value in PII.iter().chain(&secrets) {
        for (name, text) in [
            ("the logs", &logs),
            ("the audit log", &audit),
            ("/metrics", &metrics),
        ] {
            assert!(!text.contains(value), "{name} contain {value:?}:\n{text}");
        }
        let value = squeeze(value);
        for text in &squeezed {
            assert!(
                !text.contains(&value),
                "{value:?} is written across lines or spaces"
            );
        }
    }
}
