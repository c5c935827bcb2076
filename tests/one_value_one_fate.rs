//! One value, one fate in the whole request: a value that any detector finds anywhere is
//! masked everywhere it leaves, under one placeholder however it is written, and the
//! model's own placeholders in the history do not move the real values to new numbers.

mod common;

use common::*;
use serde_json::{json, Value};

/// An upstream that answers every chat with a fixed text.
async fn upstream_saying(reply: &'static str) -> FakeUpstream {
    FakeUpstream::start(move |_| Reply::json(chat_completion(reply))).await
}

fn contents(sent: &Value) -> Vec<String> {
    sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            _ => String::new(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_found_in_one_message_is_masked_in_tool_arguments_and_short_turns_too() {
    let upstream = upstream_saying("Done for [PERSON_1].").await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    // The tagger finds the name in the full sentence; alone in a short turn, or as a JSON
    // value in tool arguments, it has no context to find it by.
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "Can you write a short birthday note for Margaret Thompson from the finance team?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "lookup", "arguments": "{\"name\":\"Margaret Thompson\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "margaret thompson: finance, joined 2019"},
        {"role": "assistant", "content": "Margaret Thompson?"},
        {"role": "user", "content": "Yes, Margaret Thompson."}
    ]});
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    let sent = upstream.last();
    assert!(
        !sent.text().to_lowercase().contains("margaret"),
        "the name left in clear somewhere: {}",
        sent.text()
    );
    let sent = sent.json();
    assert_eq!(
        sent["messages"][1]["tool_calls"][0]["function"]["arguments"],
        "{\"name\":\"[PERSON_1]\"}"
    );
    assert_eq!(
        contents(&sent)[1..],
        [
            "",
            "[PERSON_1]: finance, joined 2019",
            "[PERSON_1]?",
            "Yes, [PERSON_1]."
        ]
    );
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        "Done for Margaret Thompson."
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_number_written_two_ways_gets_one_placeholder() {
    let upstream = upstream_saying("Charged [CREDIT_CARD_1]; will call [PHONE_1].").await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": "Charge card 4111 1111 1111 1111 and call +44 20 7946 0958."},
        {"role": "assistant", "content": "Charge 4111111111111111 and call +442079460958, right?"},
        {"role": "user", "content": "Yes. My e-mail is Jane.Roe@Example-Mail.com, or jane.roe@example-mail.com."}
    ]});
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(
        contents(&upstream.last().json()),
        [
            "Charge card [CREDIT_CARD_1] and call [PHONE_1].",
            "Charge [CREDIT_CARD_1] and call [PHONE_1], right?",
            "Yes. My e-mail is [EMAIL_1], or [EMAIL_1]."
        ]
    );
    // The value that comes back is the one the client wrote first.
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        "Charged 4111 1111 1111 1111; will call +44 20 7946 0958."
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_the_model_wrote_in_the_history_keep_the_numbering_stable() {
    let upstream = upstream_saying("Sent to [EMAIL_1].").await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    // Turn 2 of a conversation whose first reply the client kept as the cloud wrote it.
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": format!("My email is {EMAIL}.")},
        {"role": "assistant", "content": "Thanks, I will write to [EMAIL_1]."},
        {"role": "user", "content": format!("Please use {EMAIL} for the invoice too.")}
    ]});
    let answer = post_json(&proxy, "/v1/chat/completions", &body).await;
    assert_eq!(
        contents(&upstream.last().json()),
        [
            "My email is [EMAIL_1].",
            "Thanks, I will write to [EMAIL_1].",
            "Please use [EMAIL_1] for the invoice too."
        ]
    );
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        format!("Sent to {EMAIL}.")
    );
    proxy.stop().await;
}
