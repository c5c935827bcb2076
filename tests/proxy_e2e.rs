//! The proxy end to end: a client talks to veilgate, veilgate to a fake upstream on
//! 127.0.0.1 that records what it received and quotes it back.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::{json, Value};

/// An upstream that answers chat requests by quoting the user's text, whole or streamed.
async fn echo_upstream(chunk: usize) -> FakeUpstream {
    FakeUpstream::start(move |r| {
        let body = r.json();
        let reply = format!("You said: {}", chat_text(&body));
        if body["stream"] == true {
            Reply::sse(chat_sse(&reply, chunk))
        } else {
            Reply::json(chat_completion(&reply))
        }
    })
    .await
}

fn chat(content: &str, stream: bool) -> Value {
    json!({"model": "gpt-test", "stream": stream, "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": content}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_is_masked_upstream_and_unmasked_for_the_client() {
    let upstream = echo_upstream(3).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), false)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let content = answer.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_round_trip(&upstream.last().text(), &content);
    assert_eq!(
        content,
        format!("You said: You are helpful. {}", pii_message())
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_chat_restores_placeholders_split_across_chunks() {
    for chunk in [1, 2, 3, 7] {
        let upstream = echo_upstream(chunk).await;
        let proxy = Proxy::start(&upstream, |_| {}).await;
        let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
        assert_eq!(answer.status, 200);
        assert!(answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let text = chat_stream_text(&answer.text());
        assert_round_trip(&upstream.last().text(), &text);
        assert_eq!(
            text,
            format!("You said: You are helpful. {}", pii_message()),
            "chunk size {chunk}"
        );
        assert!(answer.text().trim_end().ends_with("data: [DONE]"));
        proxy.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_bytes_split_one_by_one_still_reassemble_exactly() {
    let reply = "Sure, [EMAIL_1] and [CREDIT_CARD_1] — naïve café ✓ [IBAN_1].".to_string();
    let bytes: Vec<u8> = chat_sse(&reply, 5).concat().into_bytes();
    let upstream = FakeUpstream::start(move |_| Reply::Sse {
        chunks: bytes.iter().map(|b| Bytes::from(vec![*b])).collect(),
        delay: Duration::ZERO,
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
    assert_eq!(
        chat_stream_text(&answer.text()),
        format!("Sure, {EMAIL} and {CARD} — naïve café ✓ {IBAN}.")
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_value_gets_the_same_placeholder_in_every_message() {
    let upstream = echo_upstream(4).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": format!("My email is {EMAIL}.")},
        {"role": "assistant", "content": format!("Noted: {EMAIL}.")},
        {"role": "user", "content": format!("Also cc {} and {EMAIL}.", "other.person@example-mail.com")}
    ]});
    post_json(&proxy, "/v1/chat/completions", &body).await;
    let sent = upstream.last().json();
    let contents: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "My email is [EMAIL_1].",
            "Noted: [EMAIL_1].",
            "Also cc [EMAIL_2] and [EMAIL_1]."
        ]
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_text_that_looks_like_a_placeholder_survives() {
    let upstream = echo_upstream(2).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let text = format!("Fill [EMAIL_1] in the template with {EMAIL}.");
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(&text, false)).await;
    assert!(upstream
        .last()
        .text()
        .contains("Fill [EMAIL_1] in the template with [EMAIL_2]."));
    let content = answer.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.ends_with(&text), "{content}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_arguments_are_masked_both_ways() {
    let upstream = FakeUpstream::start(|r| {
        let body = r.json();
        // The model calls a tool, quoting the placeholder it was given.
        let args = json!({"to": "[EMAIL_1]", "note": "card [CREDIT_CARD_1]"}).to_string();
        if body["stream"] == true {
            let head = &args[..9];
            let tail = &args[9..];
            let chunk = |delta: Value, finish: Value| {
                sse_data(&json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}))
            };
            Reply::sse(vec![
                    chunk(json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "send_mail", "arguments": head}}]}), Value::Null),
                    chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": tail}}]}), Value::Null),
                    chunk(json!({}), json!("tool_calls")),
                    "data: [DONE]\n\n".into(),
            ])
        } else {
            Reply::json(json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{
                "index": 0, "finish_reason": "tool_calls",
                "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "send_mail", "arguments": args}}]}}]}))
        }
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let history = json!({"model": "m", "tools": [{"type": "function", "function": {"name": "send_mail", "parameters": {"type": "object"}}}],
    "messages": [
        {"role": "user", "content": format!("Mail {EMAIL} about {CARD}")},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_0", "type": "function",
            "function": {"name": "lookup", "arguments": json!({"email": EMAIL}).to_string()}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": format!("{EMAIL} has IBAN {IBAN}")}
    ]});
    let answer = post_json(&proxy, "/v1/chat/completions", &history).await;
    let sent = upstream.last().text();
    for v in originals() {
        assert!(!sent.contains(v), "an original reached the upstream");
    }
    let sent = upstream.last().json();
    assert_eq!(
        sent["messages"][1]["tool_calls"][0]["function"]["arguments"],
        json!({"email": "[EMAIL_1]"}).to_string()
    );
    assert_eq!(
        sent["messages"][2]["content"],
        "[EMAIL_1] has IBAN [IBAN_1]"
    );
    assert_eq!(
        sent["tools"], history["tools"],
        "unknown fields pass verbatim"
    );
    let args = answer.json()["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"to": EMAIL, "note": format!("card {CARD}")})
    );

    let mut streamed = history.clone();
    streamed["stream"] = json!(true);
    let answer = post_json(&proxy, "/v1/chat/completions", &streamed).await;
    let args: String = sse_payloads(&answer.text())
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"to": EMAIL, "note": format!("card {CARD}")})
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_embeddings_completions_and_messages_are_masked() {
    let upstream = FakeUpstream::start(|r| {
        let quoted = r.text();
        Reply::json(json!({"echo": quoted}))
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let msg = pii_message();
    let cases = [
        (
            "/v1/responses",
            json!({"model": "m", "instructions": format!("Reply to {EMAIL}"), "input": [{"role": "user", "content": [{"type": "input_text", "text": msg}]}]}),
        ),
        ("/v1/responses", json!({"model": "m", "input": msg})),
        (
            "/v1/embeddings",
            json!({"model": "m", "input": [msg, "plain"]}),
        ),
        ("/v1/completions", json!({"model": "m", "prompt": msg})),
        (
            "/v1/messages",
            json!({"model": "claude", "max_tokens": 10, "system": format!("Customer {EMAIL}"),
            "messages": [{"role": "user", "content": [{"type": "text", "text": msg}]}]}),
        ),
    ];
    for (path, body) in cases {
        let answer = post_json(&proxy, path, &body).await;
        assert_eq!(answer.status, 200, "{path}");
        let last = upstream.last();
        assert_eq!(last.path, path);
        assert_round_trip(&last.text(), answer.json()["echo"].as_str().unwrap());
    }
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_and_anthropic_streams_are_unmasked() {
    let upstream = FakeUpstream::start(|r| {
        let anthropic = r.path.ends_with("/messages");
        let text = "Done: [EMAIL_1] / [IBAN_1]";
        let pieces = ["Done: [EM", "AIL_1] / [IB", "AN_1]"];
        let chunks = if anthropic {
            let mut c = vec!["event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\"}}\n\n".to_string(),
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n".to_string()];
            for p in pieces {
                c.push(format!("event: content_block_delta\ndata: {}\n\n", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})));
            }
            c.push("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n".into());
            c.push("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".into());
            c
        } else {
            let mut c = Vec::new();
            for (i, p) in pieces.iter().enumerate() {
                c.push(format!("event: response.output_text.delta\ndata: {}\n\n", json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": p, "sequence_number": i + 1})));
            }
            c.push(format!("event: response.output_text.done\ndata: {}\n\n", json!({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0, "content_index": 0, "text": text, "sequence_number": 4})));
            c
        };
        Reply::sse(chunks)
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let msg = pii_message();
    let expected = format!("Done: {EMAIL} / {IBAN}");

    let answer = post_json(
        &proxy,
        "/v1/responses",
        &json!({"model": "m", "stream": true, "input": msg}),
    )
    .await;
    let events: Vec<Value> = sse_payloads(&answer.text())
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, expected);
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap();
    assert_eq!(done["text"], expected);
    let seq: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(
        seq.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase: {seq:?}"
    );

    let answer = post_json(&proxy, "/v1/messages", &json!({"model": "claude", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": msg}]})).await;
    let text: String = sse_payloads(&answer.text())
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .filter(|e| e["type"] == "content_block_delta")
        .map(|e| e["delta"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(text, expected);
    assert!(answer.text().contains("event: message_stop"));
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_headers_and_unknown_fields_pass_through() {
    let upstream = echo_upstream(3).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let mut body = chat("hello", false);
    body["some_future_field"] = json!({"nested": [1, 2.5, "x"]});
    let req = Request::post(proxy.url("/v1/chat/completions?api-version=2024-10-21"))
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-test-client-key")
        .header("openai-organization", "org-test")
        .header("openai-project", "proj_test")
        .header("anthropic-version", "2023-06-01")
        .header("accept-encoding", "gzip")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let answer = send(req).await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers.contains_key("x-veilgate-request-id"));
    let got = upstream.last();
    assert_eq!(got.path, "/v1/chat/completions?api-version=2024-10-21");
    assert_eq!(got.headers["authorization"], "Bearer sk-test-client-key");
    assert_eq!(got.headers["openai-organization"], "org-test");
    assert_eq!(got.headers["openai-project"], "proj_test");
    assert_eq!(got.headers["anthropic-version"], "2023-06-01");
    assert_eq!(got.headers["accept-encoding"], "identity");
    assert_eq!(got.json()["some_future_field"], body["some_future_field"]);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_key_replaces_the_client_key_when_configured() {
    std::env::set_var("VEILGATE_TEST_UPSTREAM_KEY", "sk-proxy-held-key");
    std::env::set_var("VEILGATE_TEST_ANTHROPIC_KEY", "sk-ant-proxy-held-key");
    let upstream = echo_upstream(3).await;
    let messages =
        json!({"model": "c", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]});
    // The OpenAI key alone: never sent to the Anthropic route, where the client's own
    // credentials pass.
    let proxy = Proxy::start(&upstream, |c| {
        c.upstream.api_key_env = Some("VEILGATE_TEST_UPSTREAM_KEY".into())
    })
    .await;
    post_json(&proxy, "/v1/chat/completions", &chat("hi", false)).await;
    assert_eq!(
        upstream.last().headers["authorization"],
        "Bearer sk-proxy-held-key"
    );
    post_json(&proxy, "/v1/messages", &messages).await;
    let sent = upstream.last();
    assert!(!sent.headers.contains_key("x-api-key"));
    assert_eq!(sent.headers["authorization"], "Bearer sk-test-client-key");
    assert!(!format!("{:?}", sent.headers).contains("sk-proxy-held-key"));
    proxy.stop().await;
    // Both keys: each route gets its own.
    let proxy = Proxy::start(&upstream, |c| {
        c.upstream.api_key_env = Some("VEILGATE_TEST_UPSTREAM_KEY".into());
        c.upstream.anthropic_api_key_env = Some("VEILGATE_TEST_ANTHROPIC_KEY".into());
    })
    .await;
    post_json(&proxy, "/v1/messages", &messages).await;
    assert_eq!(
        upstream.last().headers["x-api-key"],
        "sk-ant-proxy-held-key"
    );
    assert!(!upstream.last().headers.contains_key("authorization"));
    post_json(&proxy, "/v1/chat/completions", &chat("hi", false)).await;
    assert_eq!(
        upstream.last().headers["authorization"],
        "Bearer sk-proxy-held-key"
    );
    assert!(!upstream.last().headers.contains_key("x-api-key"));
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_errors_pass_through_unmasked_with_retry_after() {
    let upstream = FakeUpstream::start(|r| {
        if r.json()["model"] == "limited" {
            Reply::Whole {
                status: 429,
                headers: vec![("content-type", "application/json".into()), ("retry-after", "7".into())],
                body: json!({"error": {"message": "slow down", "type": "rate_limit_error", "param": null, "code": null}}).to_string(),
            }
        } else {
            Reply::Whole {
                status: 500,
                headers: vec![("content-type", "application/json".into())],
                body: json!({"error": {"message": "could not process [EMAIL_1]", "type": "server_error", "param": null, "code": null}}).to_string(),
            }
        }
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let mut body = chat(&pii_message(), false);
    body["model"] = json!("limited");
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers["retry-after"], "7");
    assert_eq!(answer.json()["error"]["type"], "rate_limit_error");
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), false)).await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.json()["error"]["message"],
        format!("could not process {EMAIL}")
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_or_stalled_upstreams_give_502_and_504() {
    let upstream = FakeUpstream::start(|_| Reply::Stall).await;
    let proxy = Proxy::start(&upstream, |c| c.upstream.first_byte_timeout_ms = 300).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat("hi", false)).await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.json()["error"]["code"], "upstream_timeout");
    proxy.stop().await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let proxy = Proxy::start(&upstream, |c| {
        c.upstream.base_url = format!("http://127.0.0.1:{port}/v1")
    })
    .await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat("hi", false)).await;
    assert_eq!(answer.status, 502);
    assert!(answer.headers.contains_key("x-veilgate-request-id"));
    assert_eq!(answer.json()["error"]["type"], "upstream_error");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_dying_mid_stream_ends_with_an_error_event() {
    let mut chunks = chat_sse("Hello [EMAIL_1] and more", 4);
    chunks.truncate(5); // role, "Hell", "o [E", "MAIL", "_1] ", then the connection breaks
    let upstream = FakeUpstream::start(move |_| Reply::SseThenBreak {
        chunks: chunks.clone(),
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
    let payloads = sse_payloads(&answer.text());
    let last: Value = serde_json::from_str(payloads.last().unwrap()).unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upstream"),
        "{last}"
    );
    assert!(
        chat_stream_text(&answer.text()).starts_with(&format!("Hello {EMAIL}")),
        "{}",
        answer.text()
    );
    // The proxy keeps serving.
    assert_eq!(
        post_json(&proxy, "/v1/chat/completions", &chat("hi", true))
            .await
            .status,
        200
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_disconnect_cancels_the_upstream_stream() {
    let gone = Arc::new(AtomicBool::new(false));
    let flag = gone.clone();
    let chunk = sse_data(
        &json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"content": "more "}, "finish_reason": null}]}),
    );
    let upstream = FakeUpstream::start(move |_| Reply::SseForever {
        chunk: chunk.clone(),
        interval: Duration::from_millis(20),
        gone: flag.clone(),
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let req = Request::post(proxy.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(chat("hi", true).to_string())))
        .unwrap();
    let resp = client().request(req).await.unwrap();
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.data_ref().is_some());
    drop(body);
    for _ in 0..100 {
        if gone.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        gone.load(Ordering::SeqCst),
        "upstream stream was not cancelled"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_read_to_done_is_complete_even_if_the_client_hangs_up_then() {
    // The upstream keeps its connection open a while after [DONE]; the client, like the
    // OpenAI SDKs, stops reading at [DONE] and goes.
    let upstream = FakeUpstream::start(|_| Reply::sse_lingering("All done.", 4)).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let read = read_until_done(&proxy, &chat("hi", true)).await;
    assert_eq!(chat_stream_text(&read), "All done.");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["status"], 200);
    assert!(record["error"].is_null(), "{}", record["error"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_get_clear_errors_and_the_proxy_keeps_serving() {
    let upstream = echo_upstream(3).await;
    let proxy = Proxy::start(&upstream, |c| c.server.max_body_bytes = 64 * 1024).await;
    let raw = |path: &str, ctype: &str, body: Vec<u8>| {
        Request::post(proxy.url(path))
            .header("content-type", ctype)
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    let deep = format!(
        "{{\"model\":\"m\",\"messages\":{}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let cases: Vec<(Request<Full<Bytes>>, u16, &str)> = vec![
        (
            raw(
                "/v1/chat/completions",
                "application/json",
                b"{\"model\": \"m\", ".to_vec(),
            ),
            400,
            "invalid_json",
        ),
        (
            raw(
                "/v1/chat/completions",
                "application/json",
                b"[1,2]".to_vec(),
            ),
            400,
            "invalid_json",
        ),
        (
            raw(
                "/v1/chat/completions",
                "application/json",
                deep.into_bytes(),
            ),
            400,
            "invalid_json",
        ),
        (
            raw(
                "/v1/chat/completions",
                "application/json",
                b"{\"a\": \"\xff\xfe\"}".to_vec(),
            ),
            400,
            "invalid_utf8",
        ),
        (
            raw("/v1/chat/completions", "text/plain", b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        (
            raw(
                "/v1/chat/completions",
                "application/json",
                vec![b' '; 200 * 1024],
            ),
            413,
            "request_too_large",
        ),
        (
            raw("/v1/nope", "application/json", b"{}".to_vec()),
            404,
            "unknown_route",
        ),
        (
            Request::get(proxy.url("/v1/chat/completions"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
            405,
            "method_not_allowed",
        ),
    ];
    for (req, status, code) in cases {
        let answer = send(req).await;
        assert_eq!(answer.status.as_u16(), status, "{}", answer.text());
        assert_eq!(answer.json()["error"]["code"], code);
        assert!(answer.json()["error"]["message"].as_str().is_some());
        assert!(
            answer.headers.contains_key("x-veilgate-request-id"),
            "the {status} answer names its request"
        );
        let ok = post_json(&proxy, "/v1/chat/completions", &chat("still there?", false)).await;
        assert_eq!(ok.status, 200);
    }
    assert_eq!(upstream.requests().len(), 8, "no bad request was forwarded");
    let dir = proxy.stop().await;
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (status, error) in [(404, "unknown_route"), (400, "")] {
        let r = records
            .iter()
            .find(|r| r["status"] == status)
            .unwrap_or_else(|| panic!("no audit record with status {status}"));
        assert!(r["masked_request"].is_null(), "nothing left the machine");
        assert!(r["error"].as_str().unwrap().contains(error), "{r}");
    }
    assert!(
        !audit.contains("/v1/nope"),
        "a made-up path is not recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_models_routes() {
    let upstream =
        FakeUpstream::start(|r| Reply::json(json!({"object": "list", "path": r.path}))).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let health = send(
        Request::get(proxy.url("/healthz"))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(health.json()["status"], "ok");
    let models = send(
        Request::get(proxy.url("/v1/models/gpt-test"))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(models.json()["path"], "/v1/models/gpt-test");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_records_what_left_without_raw_values() {
    let upstream = echo_upstream(3).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), false)).await;
    post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
    send(
        Request::post(proxy.url("/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from("{")))
            .unwrap(),
    )
    .await;
    let path = proxy.audit_path.clone();
    let _dir = proxy.stop().await;
    let log = std::fs::read_to_string(&path).unwrap();
    for v in originals() {
        assert!(!log.contains(v), "the audit log holds a raw value");
    }
    assert!(!log.contains("sk-test-client-key"));
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["entities"]["EMAIL"], 1);
    assert_eq!(records[0]["masked_request"], upstream.requests()[0].json());
    assert_eq!(
        records[0]["placeholders"]["[EMAIL_1]"],
        records[1]["placeholders"]["[EMAIL_1]"]
    );
    assert_eq!(records[2]["status"], 400);
    assert!(records[2]["masked_request"].is_null());
    let report = veilgate::audit::verify(&path).unwrap();
    assert!(report.first_break.is_none(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_alone_reaches_the_upstream_masked() {
    let upstream = echo_upstream(3).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let text = "Can you write a short birthday note for Margaret Thompson from the finance team?";
    let answer = post_json(&proxy, "/v1/chat/completions", &chat(text, false)).await;
    let sent = upstream.last().json();
    assert_eq!(
        sent["messages"][1]["content"],
        "Can you write a short birthday note for [PERSON_1] from the finance team?"
    );
    let content = answer.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.contains("Margaret Thompson"), "{content}");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_entities_and_streams_without_values() {
    let upstream = echo_upstream(3).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), false)).await;
    post_json(&proxy, "/v1/chat/completions", &chat(&pii_message(), true)).await;
    send(
        Request::post(proxy.url("/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from("{")))
            .unwrap(),
    )
    .await;
    let metrics = send(
        Request::get(proxy.url("/metrics"))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = metrics.text();
    assert!(
        text.contains("veilgate_requests_total{route=\"chat.completions\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("veilgate_requests_total{route=\"chat.completions\",status=\"400\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("veilgate_entities_masked_total{type=\"EMAIL\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("veilgate_entities_masked_total{type=\"CREDIT_CARD\"} 2"),
        "{text}"
    );
    assert!(text.contains("veilgate_mask_seconds_count 2"), "{text}");
    assert!(text.contains("veilgate_active_streams 0"), "{text}");
    for v in originals() {
        assert!(!text.contains(v));
    }
    proxy.stop().await;
}

/// A detector that always fails, as a crashed model would.
struct Broken;

impl veilgate::privacy::Detector for Broken {
    fn name(&self) -> &str {
        "tagger"
    }

    fn detect(
        &self,
        _: &[&str],
        _: &mut [Vec<veilgate::privacy::Span>],
    ) -> Result<(), veilgate::privacy::DetectError> {
        Err(veilgate::privacy::DetectError {
            detector: "tagger".into(),
            message: "inference failed".into(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_detector_refuses_the_request_and_forwards_nothing() {
    let upstream = echo_upstream(3).await;
    let masker = veilgate::privacy::Masker::new(
        vec![std::sync::Arc::new(Broken)],
        std::sync::Arc::new(veilgate::privacy::dictionary::AllowList::empty()),
    );
    let proxy = Proxy::start_with(&upstream, |_| {}, Some(masker)).await;
    for stream in [false, true] {
        let answer = post_json(
            &proxy,
            "/v1/chat/completions",
            &chat(&pii_message(), stream),
        )
        .await;
        assert_eq!(answer.status, 503);
        assert!(answer.headers.contains_key("x-veilgate-request-id"));
        assert_eq!(answer.json()["error"]["code"], "detector_unavailable");
        assert!(answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tagger"));
    }
    assert!(
        upstream.requests().is_empty(),
        "nothing may leave when a detector fails"
    );
    let health = send(
        Request::get(proxy.url("/healthz"))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(health.status, 200);
    proxy.stop().await;
}
