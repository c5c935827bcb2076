//! The draft and the splice end to end (DESIGN §5): a client streaming a chat through the
//! proxy, a fake cloud on 127.0.0.1 that takes its time, and a scripted drafter whose
//! opener the tests know (one test uses the shipped model instead). Whatever the draft
//! does, exactly one request reaches the cloud, and it is masked.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::{json, Value};
use veilgate::draft::{Draft, Drafter, Stop, Turn};

/// Writes a fixed opener, one word every `pace`.
struct Scripted {
    words: Vec<String>,
    pace: Duration,
    calls: AtomicUsize,
}

impl Scripted {
    fn new(words: &[&str], pace_ms: u64) -> Arc<Scripted> {
        Arc::new(Scripted {
            words: words.iter().map(|w| w.to_string()).collect(),
            pace: Duration::from_millis(pace_ms),
            calls: AtomicUsize::new(0),
        })
    }
}

impl Drafter for Scripted {
    fn draft(&self, turns: &[Turn], sink: &mut dyn FnMut(&str) -> bool) -> Result<Draft, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(turns.last().unwrap().role, "user");
        let started = Instant::now();
        let mut text = String::new();
        let mut stop = Stop::Words;
        for w in &self.words {
            std::thread::sleep(self.pace);
            if !sink(w) {
                stop = Stop::Cancelled;
                break;
            }
            text.push_str(w);
        }
        let ms = started.elapsed().as_secs_f64() * 1e3;
        Ok(Draft {
            drafted: !text.is_empty(),
            words: text.split_whitespace().count(),
            text,
            stop,
            prompt_tokens: 10,
            tokens: self.words.len(),
            first_token_ms: 1.0,
            first_word_ms: Some(1.0),
            total_ms: ms,
        })
    }
}

/// A chat the draft may answer, carrying an email the rules mask.
fn chat_request() -> Value {
    json!({
        "model": "gpt-test",
        "stream": true,
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": format!("Write a short plan for {EMAIL} please.")}
        ]
    })
}

/// The client's view of a stream: each `data:` payload with the time it arrived.
struct Timed {
    events: Vec<(Duration, String)>,
}

impl Timed {
    fn text(&self) -> String {
        let body: String = self
            .events
            .iter()
            .map(|(_, p)| format!("data: {p}\n\n"))
            .collect();
        chat_stream_text(&body)
    }

    fn chunks(&self) -> Vec<Value> {
        self.events
            .iter()
            .filter_map(|(_, p)| serde_json::from_str(p).ok())
            .collect()
    }

    /// When the first non-empty content arrived.
    fn first_content(&self) -> Duration {
        self.events
            .iter()
            .find(|(_, p)| {
                serde_json::from_str::<Value>(p).is_ok_and(|v| {
                    v["choices"][0]["delta"]["content"]
                        .as_str()
                        .is_some_and(|t| !t.is_empty())
                })
            })
            .expect("some content")
            .0
    }
}

async fn stream(proxy: &Proxy, body: &Value) -> Timed {
    let req = Request::post(proxy.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("authorization", "Bearer sk-test-client-key")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let started = Instant::now();
    let fut = async {
        let resp = client().request(req).await.expect("proxy answers");
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let mut events = Vec::new();
        let mut buf = String::new();
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.expect("stream").into_data() else {
                continue;
            };
            buf.push_str(std::str::from_utf8(&data).unwrap());
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                for payload in sse_payloads(&event) {
                    events.push((started.elapsed(), payload));
                }
            }
        }
        Timed { events }
    };
    tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .expect("no hang")
}

/// The cloud: headers at once, its first text after 600 ms.
fn slow_cloud(text: &str) -> Reply {
    Reply::SseAfter {
        headers: Duration::ZERO,
        first: Duration::from_millis(600),
        chunks: chat_sse(text, 7),
    }
}

/// The instruction dialect's continuation request carries the opener between « and ».
fn opener_in(request: &Value) -> String {
    let last = last_message(request)["content"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, rest) = last.rsplit_once('\u{ab}').expect("the continuator");
    rest.strip_suffix('\u{bb}').unwrap().to_owned()
}

fn last_message(body: &Value) -> Value {
    body["messages"].as_array().unwrap().last().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drafted_reply_costs_one_masked_cloud_request_and_reads_as_one_text() {
    // The cloud continues the opener and, as models often do, repeats it first.
    let upstream =
        FakeUpstream::start(|_| slow_cloud("Dear [EMAIL_1], thanks for asking. Here is the plan."))
            .await;
    // The opener quotes the user's email: it must leave masked.
    let drafter = Scripted::new(&["Dear", &format!(" {EMAIL},"), " thanks"], 2);
    let proxy = Proxy::start_drafting(&upstream, generous_budget, drafter).await;
    let got = stream(&proxy, &chat_request()).await;

    assert!(
        got.first_content() < Duration::from_millis(300),
        "first words after {:?}",
        got.first_content()
    );
    assert_eq!(
        got.text(),
        format!("Dear {EMAIL}, thanks for asking. Here is the plan.")
    );
    let chunks = got.chunks();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let id = &chunks[0]["id"];
    assert!(
        chunks.iter().all(|c| &c["id"] == id),
        "one id for the whole stream"
    );
    assert!(chunks
        .iter()
        .skip(1)
        .all(|c| c["choices"][0]["delta"].get("role").is_none()));
    assert!(chunks
        .iter()
        .any(|c| c["choices"][0]["finish_reason"] == "stop"));
    assert_eq!(got.events.last().unwrap().1, "[DONE]");

    let requests = upstream.requests();
    assert_eq!(requests.len(), 1, "one cloud request per client request");
    let sent = requests[0].json();
    assert!(!requests[0].text().contains(EMAIL), "a value left unmasked");
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "the original turns, then the continuator"
    );
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(opener_in(&sent), "Dear [EMAIL_1], thanks");
    assert_eq!(sent["stream"], true);

    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "continued");
    assert_eq!(record["draft"]["continuation"], "instruction");
    assert_eq!(record["draft"]["cut_by_budget"], false);
    assert_eq!(
        record["draft"]["continuation_request"], sent,
        "the audit shows what left"
    );
    assert!(record["timings"]["draft_first_token_ms"].as_f64().unwrap() < 300.0);
    assert!(!record.to_string().contains(EMAIL));
}

/// Drafts "Here is a summary" with `upstream.prefill = style` against a cloud whose reply
/// is `cloud`; returns what the client read and the one request the cloud got. The budget is
/// generous: these tests are about the join, and a debug build on a busy machine can spend the
/// default 40 ms on masking alone (a clean-clone CI run did, and sent the plain request).
async fn continued_with(style: &str, cloud: &'static str) -> (String, Value) {
    let upstream = FakeUpstream::start(move |_| Reply::sse(chat_sse(cloud, 5))).await;
    let drafter = Scripted::new(&["Here", " is", " a", " summary"], 1);
    let style = style.to_owned();
    let proxy = Proxy::start_drafting(
        &upstream,
        move |c| {
            c.upstream.prefill = Some(style);
            c.draft.budget_ms = 1_000;
        },
        drafter,
    )
    .await;
    let mut body = chat_request();
    body["messages"][1]["content"] = json!(format!("Summarise the work of {EMAIL}."));
    let got = stream(&proxy, &body).await;
    proxy.stop().await;
    let requests = upstream.requests();
    assert_eq!(requests.len(), 1, "one cloud request per client request");
    assert!(!requests[0].text().contains(EMAIL), "a value left unmasked");
    (got.text(), requests[0].json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_prefill_dialect_continues_the_opener_in_one_request() {
    for style in ["vllm", "mistral", "deepseek", "anthropic", "llamacpp"] {
        let (text, body) = continued_with(style, " of the work.").await;
        assert_eq!(text, "Here is a summary of the work.", "{style}");
        let last = last_message(&body);
        assert_eq!(last["role"], "assistant", "{style}");
        assert_eq!(last["content"], "Here is a summary", "{style}");
        assert_eq!(
            body["messages"].as_array().unwrap().len(),
            3,
            "{style}: the turns, then the prefill"
        );
        let marked = last.get("prefix") == Some(&json!(true));
        assert_eq!(marked, matches!(style, "mistral" | "deepseek"), "{style}");
        let vllm = body.get("continue_final_message") == Some(&json!(true))
            && body["add_generation_prompt"] == false;
        assert_eq!(vllm, style == "vllm", "{style}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuation_that_repeats_or_skips_the_space_joins_without_doubled_or_lost_words() {
    for (cloud, want) in [
        // The opener repeated (case aside): dropped.
        (
            "here is a summary of the work.",
            "Here is a summary of the work.",
        ),
        // No leading space: one is put between the words.
        ("of the work.", "Here is a summary of the work."),
        // Punctuation goes straight on.
        (": three points.", "Here is a summary: three points."),
        // A restart is kept whole, after an ellipsis: the opener reads as broken off.
        (
            "Actually, there is no summary.",
            "Here is a summary\u{2026} Actually, there is no summary.",
        ),
        // A name continues the sentence.
        ("Berlin and Paris.", "Here is a summary Berlin and Paris."),
    ] {
        let (text, _) = continued_with("vllm", cloud).await;
        assert_eq!(text, want, "cloud {cloud:?}");
    }
}

/// A draft budget no busy machine runs out of, for tests of what happens after a draft (the
/// default 40 ms can go on masking alone in a debug build while CI compiles beside it).
fn generous_budget(c: &mut veilgate::config::Config) {
    c.draft.budget_ms = 1_000;
}

/// A drafter whose sessions are all taken (see `draft_model.rs` for the real one's).
struct Busy;

impl Drafter for Busy {
    fn draft(&self, _: &[Turn], _: &mut dyn FnMut(&str) -> bool) -> Result<Draft, String> {
        Ok(Draft::nothing(Stop::Busy, 0.0))
    }
}

/// Sends `body` through a proxy drafting with `drafter` (budget `budget_ms`) and through
/// one with the draft off; asserts that the cloud got the same bytes from both and that the
/// client got the cloud's own stream. Returns the drafting proxy's audit record.
async fn plain_as_with_the_draft_off(drafter: Arc<dyn Drafter>, budget_ms: u64) -> Value {
    let upstream = FakeUpstream::start(|_| slow_cloud("Plan for [EMAIL_1] ready.")).await;
    let drafting =
        Proxy::start_drafting(&upstream, move |c| c.draft.budget_ms = budget_ms, drafter).await;
    let plain = Proxy::start(&upstream, |_| {}).await;
    let got = stream(&drafting, &chat_request()).await;
    assert_eq!(got.text(), format!("Plan for {EMAIL} ready."));
    assert!(
        got.chunks().iter().all(|c| c["id"] == "c"),
        "the cloud's own chunks"
    );
    stream(&plain, &chat_request()).await;
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2, "one request from each proxy");
    assert_eq!(
        requests[0].body, requests[1].body,
        "byte-identical to draft-off"
    );
    plain.stop().await;
    let dir = drafting.stop().await;
    audit_records(&dir).pop().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfident_draft_sends_the_plain_request() {
    let record = plain_as_with_the_draft_off(Scripted::new(&[], 0), 40).await;
    assert_eq!(record["draft"]["outcome"], "unconfident");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_draft_sends_the_plain_request_and_says_so() {
    let upstream = FakeUpstream::start(|_| slow_cloud("Plan for [EMAIL_1] ready.")).await;
    let proxy = Proxy::start_drafting(&upstream, |_| {}, Arc::new(Busy)).await;
    stream(&proxy, &chat_request()).await;
    // The request's task counts it just after the client has the last bytes.
    let line = "veilgate_draft_openers_total{outcome=\"busy\"} 1";
    let mut metrics = String::new();
    for _ in 0..100 {
        let req = Request::get(proxy.url("/metrics"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        metrics = send(req).await.text();
        if metrics.contains(line) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(metrics.contains(line), "{metrics}");
    proxy.stop().await;

    let record = plain_as_with_the_draft_off(Arc::new(Busy), 40).await;
    assert_eq!(record["draft"]["outcome"], "busy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_arriving_while_another_waits_for_its_draft_goes_out_plain_at_once() {
    // The first request's draft writes its first word at 300 ms, so for 300 ms that request
    // is being prepared; a second one arriving at 100 ms finds the machine busy and is not
    // drafted: its plain request leaves at once (under load a draft would slow the masking
    // and wait for the CPU itself).
    let upstream = FakeUpstream::start(|_| slow_cloud("Plan for [EMAIL_1] ready.")).await;
    let drafter = Scripted::new(&["Sure,", " here"], 300);
    let proxy =
        Proxy::start_drafting(&upstream, |c| c.draft.budget_ms = 1_000, drafter.clone()).await;
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = Instant::now();
        let got = stream(&proxy, &chat_request()).await;
        (got, sent)
    };
    let body = chat_request();
    let (first, (second, second_sent)) = tokio::join!(stream(&proxy, &body), second);
    assert_eq!(
        drafter.calls.load(Ordering::SeqCst),
        1,
        "only the first drafted"
    );
    assert!(first.text().starts_with("Sure, here"), "{}", first.text());
    assert_eq!(second.text(), format!("Plan for {EMAIL} ready."));
    assert!(
        second.chunks().iter().all(|c| c["id"] == "c"),
        "the cloud's own stream"
    );
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2, "one cloud request per client request");
    let plain: Vec<Value> = requests
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["messages"].as_array().unwrap().len() == 2)
        .collect();
    assert_eq!(plain.len(), 1, "the second went out as the plain request");
    assert_eq!(
        last_message(&plain[0])["content"],
        "Write a short plan for [EMAIL_1] please."
    );
    // It left at once, not after the first request's draft: the cloud's text comes 600 ms
    // after its request.
    let waited = second.first_content() - Duration::from_millis(600);
    assert!(
        waited < Duration::from_millis(150),
        "the second request waited {waited:?} before leaving ({:?} after it was sent)",
        second_sent.elapsed()
    );
    let dir = proxy.stop().await;
    let mut outcomes: Vec<String> = audit_records(&dir)
        .iter()
        .map(|r| r["draft"]["outcome"].as_str().unwrap().to_owned())
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, ["busy", "continued"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_with_no_word_within_the_budget_sends_the_plain_request_at_the_budget() {
    let upstream = FakeUpstream::start(|_| Reply::sse(chat_sse("Quick answer.", 4))).await;
    let drafter = Scripted::new(&["Slow", " draft"], 400);
    let proxy = Proxy::start_drafting(&upstream, |c| c.draft.budget_ms = 60, drafter.clone()).await;
    let got = stream(&proxy, &chat_request()).await;
    assert_eq!(got.text(), "Quick answer.");
    assert!(
        got.first_content() < Duration::from_millis(350),
        "the plain request waited for the draft: {:?}",
        got.first_content()
    );
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "late");
    assert_eq!(upstream.requests().len(), 1);

    let record = plain_as_with_the_draft_off(drafter, 60).await;
    assert_eq!(record["draft"]["outcome"], "late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_running_out_mid_opener_sends_what_the_client_has_read() {
    // Words at about 100, 200 and 300 ms; the budget ends at 290 ms.
    let upstream = FakeUpstream::start(|_| Reply::sse(chat_sse("and the rest.", 3))).await;
    let drafter = Scripted::new(&["One", " two", " three"], 100);
    let proxy = Proxy::start_drafting(&upstream, |c| c.draft.budget_ms = 290, drafter).await;
    let got = stream(&proxy, &chat_request()).await;
    let requests = upstream.requests();
    assert_eq!(requests.len(), 1);
    let opener = opener_in(&requests[0].json());
    assert_eq!(
        opener, "One two",
        "the opener is cut where the budget ran out"
    );
    assert_eq!(got.text(), "One two and the rest.");
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "continued");
    assert_eq!(record["draft"]["cut_by_budget"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_error_after_the_opener_keeps_the_clouds_type_code_and_status() {
    let upstream = FakeUpstream::start(|_| {
        Reply::After(
            Duration::from_millis(300),
            Box::new(Reply::Whole {
                status: 429,
                headers: vec![
                    ("content-type", "application/json".into()),
                    ("retry-after", "7".into()),
                ],
                body:
                    json!({"error": {"message": "Slow down, [EMAIL_1]", "type": "rate_limit_error",
                    "code": "rate_limit_exceeded", "param": null}})
                    .to_string(),
            }),
        )
    })
    .await;
    let proxy = Proxy::start_drafting(&upstream, generous_budget, Scripted::new(&["Hi"], 0)).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat_request()).await;
    assert_eq!(answer.status, 200, "the opener went out first");
    let last = sse_payloads(&answer.text()).pop().unwrap();
    let v: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    assert_eq!(v["error"]["status"], 429);
    assert_eq!(v["error"]["message"], format!("Slow down, {EMAIL}"));
    // The client reads the value; the audit record and the logs never do.
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "cloud_error");
    let error = record["error"].as_str().unwrap();
    assert!(!error.contains(EMAIL), "{error}");
    assert!(error.contains("429"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drafted_stream_read_to_done_is_complete_even_if_the_client_hangs_up_then() {
    let upstream = FakeUpstream::start(|_| Reply::sse_lingering("here it is.", 5)).await;
    let proxy =
        Proxy::start_drafting(&upstream, generous_budget, Scripted::new(&["Sure,"], 0)).await;
    let read = read_until_done(&proxy, &chat_request()).await;
    assert_eq!(chat_stream_text(&read), "Sure, here it is.");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "continued");
    assert!(record["error"].is_null(), "{}", record["error"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_opener_sent_the_client_gets_the_clouds_status_and_headers() {
    // A 429 and a draft that writes nothing: the SDK must see the 429 and retry-after.
    let upstream = FakeUpstream::start(|_| Reply::Whole {
        status: 429,
        headers: vec![
            ("content-type", "application/json".into()),
            ("retry-after", "7".into()),
            ("x-request-id", "req_cloud_1".into()),
        ],
        body: json!({"error": {"message": "Slow down", "type": "rate_limit_error"}}).to_string(),
    })
    .await;
    let proxy = Proxy::start_drafting(&upstream, |_| {}, Scripted::new(&[], 0)).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat_request()).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers["retry-after"], "7");
    assert_eq!(answer.headers["x-request-id"], "req_cloud_1");
    proxy.stop().await;

    // A draft too slow for the budget: the plain stream, with the cloud's headers.
    let upstream = FakeUpstream::start(|_| Reply::Whole {
        status: 200,
        headers: vec![
            ("content-type", "text/event-stream".into()),
            ("x-request-id", "req_cloud_2".into()),
            ("x-ratelimit-remaining-requests", "41".into()),
        ],
        body: chat_sse("Quick answer.", 4).concat(),
    })
    .await;
    let proxy =
        Proxy::start_drafting(&upstream, |_| {}, Scripted::new(&["Slow", " draft"], 400)).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat_request()).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["x-request-id"], "req_cloud_2");
    assert_eq!(answer.headers["x-ratelimit-remaining-requests"], "41");
    assert!(answer.headers.contains_key("x-veilgate-request-id"));
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gated_out_requests_are_byte_identical_to_plain_proxying() {
    let upstream = FakeUpstream::start(|req| {
        if req.json()["stream"] == true {
            Reply::sse(chat_sse("Plain answer.", 4))
        } else {
            Reply::json(chat_completion("Plain answer."))
        }
    })
    .await;
    let drafter = Scripted::new(&["Never"], 0);
    let drafting = Proxy::start_drafting(&upstream, |_| {}, drafter.clone()).await;
    let plain = Proxy::start(&upstream, |_| {}).await;
    let variants = [
        json!({"stream": false}),
        json!({"n": 2}),
        json!({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}),
        json!({"tool_choice": "none"}),
        json!({"response_format": {"type": "json_object"}}),
        json!({"logprobs": true}),
        json!({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}),
        json!({"stop": ["are"]}),
        json!({"max_tokens": 1}),
        json!({"messages": [{"role": "user", "content": "Answer only yes or no: is water wet?"}]}),
        json!({"messages": [{"role": "user", "content": "Return only the Python code, no explanation."}]}),
        json!({"messages": [{"role": "user", "content": "Wie koche ich ein Ei?"}]}),
    ];
    for extra in variants {
        let mut body = chat_request();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let a = post_json(&drafting, "/v1/chat/completions", &body).await;
        let b = post_json(&plain, "/v1/chat/completions", &body).await;
        assert_eq!(a.status, b.status, "{extra}");
        assert_eq!(a.body, b.body, "{extra}");
    }
    assert_eq!(
        drafter.calls.load(Ordering::SeqCst),
        0,
        "the draft never ran"
    );
    drafting.stop().await;
    plain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_model_answers_before_the_cloud_and_the_reply_reads_as_one_text() {
    let upstream = FakeUpstream::start(|_| slow_cloud("and that is the whole story.")).await;
    let proxy = Proxy::start(&upstream, |c| {
        c.draft.enabled = Some(true);
        // Draft whatever the model thinks, however unsure or short: this test is about timing.
        c.draft.start_threshold = 0.0;
        c.draft.stop_threshold = 0.0;
        c.draft.min_words = 1;
        // A loaded CI machine may take a while over its first step.
        c.draft.budget_ms = 500;
    })
    .await;
    let body = json!({
        "model": "gpt-test",
        "stream": true,
        "messages": [{"role": "user", "content": "Can you explain how photosynthesis works?"}]
    });
    let got = stream(&proxy, &body).await;
    assert!(
        got.first_content() < Duration::from_millis(600),
        "the draft's first words came after {:?}",
        got.first_content()
    );
    let requests = upstream.requests();
    assert_eq!(requests.len(), 1, "one cloud request per client request");
    let opener = opener_in(&requests[0].json());
    assert!(!opener.is_empty());
    assert_eq!(got.text(), format!("{opener} and that is the whole story."));
    proxy.stop().await;
}
