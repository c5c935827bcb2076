//! `veilgate serve --upstream demo`, run as a newcomer would: every masking route answers,
//! streamed or not, by quoting the masked text it received; the client sees the real values,
//! the demo upstream (its log lines) only placeholders.

mod common;

use bytes::Bytes;
use common::serve::ServeProcess;
use common::*;
use http_body_util::Full;
use hyper::Request;
use serde_json::{json, Value};

const TEXT: &str = "Please mail jane.roe@example-mail.com about card 4111 1111 1111 1111.";
const VALUES: [&str; 2] = ["jane.roe@example-mail.com", "4111 1111 1111 1111"];

/// POSTs a JSON body to the proxy, as an SDK would (no key: demo mode needs none).
async fn post(proxy: &ServeProcess, path: &str, body: &Value) -> Answer {
    send(
        Request::post(proxy.url(path))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap(),
    )
    .await
}

/// The reply text of any of the four formats, whole or streamed.
fn reply_text(body: &str) -> String {
    let pick = |v: &Value| -> Option<String> {
        let candidates = [
            &v["choices"][0]["message"]["content"],
            &v["choices"][0]["delta"]["content"],
            &v["choices"][0]["text"],
            &v["output"][0]["content"][0]["text"],
            &v["content"][0]["text"],
            &v["delta"]["text"],
        ];
        let delta = (v["type"] == "response.output_text.delta").then_some(&v["delta"]);
        candidates
            .into_iter()
            .chain(delta)
            .find_map(|c| c.as_str().map(str::to_owned))
    };
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return pick(&v).unwrap_or_default();
    }
    sse_payloads(body)
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .filter_map(|v| pick(&v))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_upstream_quotes_masked_text_and_the_client_sees_the_values() {
    let proxy = ServeProcess::start(
        &["--upstream", "demo"],
        &[("VEILGATE__PRIVACY__TAGGER", "false")],
    )
    .unwrap_or_else(|(status, out)| panic!("veilgate exited with {status}:\n{out}"));
    let bodies = [
        (
            "/v1/chat/completions",
            json!({"model": "m", "messages": [{"role": "user", "content": TEXT}]}),
        ),
        ("/v1/completions", json!({"model": "m", "prompt": TEXT})),
        ("/v1/responses", json!({"model": "m", "input": TEXT})),
        (
            "/v1/messages",
            json!({"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": TEXT}]}),
        ),
    ];
    for (path, body) in bodies {
        for stream in [false, true] {
            let mut body = body.clone();
            body["stream"] = json!(stream);
            let answer = post(&proxy, path, &body).await;
            assert_eq!(answer.status, 200, "{path}: {}", answer.text());
            let text = reply_text(&answer.text());
            assert_eq!(
                text,
                format!("I received: {TEXT}"),
                "{path} stream={stream}"
            );
            if path == "/v1/chat/completions" && !stream {
                // Usage counts the words of what the upstream received and wrote.
                let usage = &answer.json()["usage"];
                let (input, output) = (
                    usage["prompt_tokens"].as_u64(),
                    usage["completion_tokens"].as_u64(),
                );
                assert!(
                    input.unwrap() >= 4 && output.unwrap() > input.unwrap(),
                    "{usage}"
                );
                assert_eq!(
                    usage["total_tokens"].as_u64(),
                    Some(input.unwrap() + output.unwrap())
                );
            }
        }
    }
    let embeddings = post(
        &proxy,
        "/v1/embeddings",
        &json!({"model": "m", "input": [TEXT, "b"]}),
    )
    .await;
    assert_eq!(embeddings.json()["data"].as_array().unwrap().len(), 2);
    let models = send(
        Request::get(proxy.url("/v1/models"))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(models.json()["data"][0]["id"], "veilgate-demo");
    let model = send(
        Request::get(proxy.url("/v1/models/gpt-4o-mini"))
            .body(Full::default())
            .unwrap(),
    )
    .await;
    assert_eq!(model.json()["id"], "gpt-4o-mini");
    assert_eq!(model.json()["object"], "model");

    let (status, logs) = proxy.stop();
    assert!(status.success(), "{logs}");
    let received: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("the upstream received"))
        .collect();
    assert_eq!(received.len(), 9, "{logs}");
    for line in received {
        assert!(
            line.contains("[EMAIL_1]") && line.contains("[CREDIT_CARD_1]"),
            "{line}"
        );
        for v in VALUES {
            assert!(!line.contains(v), "the demo upstream saw {v}: {line}");
        }
    }
    assert!(logs.contains("demo mode"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_continues_a_drafted_opener_and_never_shows_the_proxys_instruction() {
    let proxy = ServeProcess::start(&["--upstream", "demo"], &[])
        .unwrap_or_else(|(status, out)| panic!("veilgate exited with {status}:\n{out}"));
    let prompt = "What is the capital of Australia?";
    let body = json!({"model": "m", "stream": true,
                      "messages": [{"role": "user", "content": prompt}]});
    let answer = post(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let text = reply_text(&answer.text());
    let (opener, quoted) = text
        .split_once("I received: ")
        .unwrap_or_else(|| panic!("the demo quotes what it received: {text:?}"));
    // The opener the draft wrote, in words of the prompt, then the demo's own paragraph,
    // which quotes the user's message and nothing of the continuation instruction.
    let opener = opener
        .strip_suffix("\n\n")
        .unwrap_or_else(|| panic!("a drafted opener, then a new paragraph: {text:?}"));
    let said: Vec<String> = prompt
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    assert!(
        opener.split_whitespace().count() >= 3
            && opener
                .split_whitespace()
                .all(|w| said.contains(&w.to_lowercase())),
        "{text:?}"
    );
    assert_eq!(quoted, prompt, "{text:?}");
    let (status, logs) = proxy.stop();
    assert!(status.success(), "{logs}");
}
