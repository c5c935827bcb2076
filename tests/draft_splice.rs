//! The draft and the splice end to end (DESIGN §5): a client streaming a chat through the
//! proxy, a fake cloud on 127.0.0.1 that takes its time, and a scripted drafter whose
//! opener the tests know (one test uses the shipped model instead).

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_opener_arrives_first_and_a_cloud_that_repeats_it_is_not_doubled() {
    let cloud_text = "Sure, here is a plan for [EMAIL_1]: first, list the goals.";
    let upstream = FakeUpstream::start(move |_| slow_cloud(cloud_text)).await;
    let drafter = Scripted::new(&["Sure,", " here", " is"], 2);
    let proxy = Proxy::start_drafting(&upstream, |_| {}, drafter.clone()).await;
    let got = stream(&proxy, &chat_request()).await;

    assert!(
        got.first_content() < Duration::from_millis(300),
        "first words after {:?}",
        got.first_content()
    );
    assert_eq!(
        got.text(),
        format!("Sure, here is a plan for {EMAIL}: first, list the goals.")
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
    assert_eq!(upstream.requests().len(), 1, "no continuation was needed");
    assert!(!upstream.last().text().contains(EMAIL));

    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "matched");
    assert!(record["timings"]["draft_first_token_ms"].as_f64().unwrap() < 300.0);
    assert!(!record.to_string().contains(EMAIL));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_cloud_answer_is_repaired_with_a_masked_continuation() {
    let upstream = FakeUpstream::start(|req| {
        let last = req.json()["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        if last["content"]
            .as_str()
            .unwrap()
            .contains("never repeat them")
        {
            Reply::sse(chat_sse("for asking. Here is the plan.", 5))
        } else {
            slow_cloud("Certainly! A plan has three parts.")
        }
    })
    .await;
    // The opener quotes the user's email: it must leave masked.
    let drafter = Scripted::new(&["Dear", &format!(" {EMAIL},"), " thanks"], 2);
    let proxy = Proxy::start_drafting(&upstream, |_| {}, drafter).await;
    let got = stream(&proxy, &chat_request()).await;

    assert_eq!(
        got.text(),
        format!("Dear {EMAIL}, thanks for asking. Here is the plan.")
    );
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert!(
            !r.text().contains(EMAIL),
            "an original value left the machine"
        );
    }
    let cont = requests[1].json();
    let messages = cont["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "the original turns, then the continuator"
    );
    assert_eq!(
        messages[..2],
        requests[0].json()["messages"].as_array().unwrap()[..]
    );
    let last = messages[2]["content"].as_str().unwrap();
    assert_eq!(messages[2]["role"], "user");
    assert!(
        last.ends_with("\u{ab}Dear [EMAIL_1], thanks\u{bb}"),
        "{last}"
    );
    assert_eq!(cont["stream"], true);

    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "repaired");
    assert_eq!(record["draft"]["continuation"], "instruction");
    assert_eq!(
        record["draft"]["continuation_request"], cont,
        "the audit shows what left"
    );
    assert!(!record.to_string().contains(EMAIL));
}

/// Runs a mismatch with `upstream.prefill = style`; returns the continuation request.
async fn continuation_with(style: &str) -> Value {
    let upstream = FakeUpstream::start(|req| {
        if req.json()["messages"].as_array().unwrap().len() > 2 {
            Reply::sse(chat_sse(" of the work.", 5))
        } else {
            slow_cloud("Absolutely. First things first.")
        }
    })
    .await;
    let drafter = Scripted::new(&["Here", " is", " a", " summary"], 1);
    let style = style.to_owned();
    let proxy = Proxy::start_drafting(
        &upstream,
        move |c| c.upstream.prefill = Some(style),
        drafter,
    )
    .await;
    let got = stream(&proxy, &chat_request()).await;
    assert_eq!(got.text(), "Here is a summary of the work.");
    proxy.stop().await;
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2);
    requests[1].json()
}

fn last_message(body: &Value) -> Value {
    body["messages"].as_array().unwrap().last().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vllm_prefill_continues_the_final_assistant_message() {
    let body = continuation_with("vllm").await;
    assert_eq!(
        last_message(&body),
        json!({"role": "assistant", "content": "Here is a summary"})
    );
    assert_eq!(body["continue_final_message"], true);
    assert_eq!(body["add_generation_prompt"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistral_prefill_marks_the_prefix() {
    let body = continuation_with("mistral").await;
    assert_eq!(
        last_message(&body),
        json!({"role": "assistant", "content": "Here is a summary", "prefix": true})
    );
    assert!(body.get("continue_final_message").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deepseek_prefill_marks_the_prefix() {
    let body = continuation_with("deepseek").await;
    assert_eq!(last_message(&body)["prefix"], true);
    assert_eq!(last_message(&body)["role"], "assistant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_prefill_is_a_final_assistant_message() {
    let body = continuation_with("anthropic").await;
    assert_eq!(
        last_message(&body),
        json!({"role": "assistant", "content": "Here is a summary"})
    );
    assert!(body.get("continue_final_message").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llamacpp_prefill_is_a_final_assistant_message() {
    let body = continuation_with("llamacpp").await;
    assert_eq!(
        last_message(&body),
        json!({"role": "assistant", "content": "Here is a summary"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_speculative_continuation_is_dropped_when_the_cloud_matches() {
    let upstream = FakeUpstream::start(|req| {
        if req.json()["messages"].as_array().unwrap().len() > 2 {
            Reply::sse(chat_sse(" never used", 5))
        } else {
            slow_cloud("Here is a summary of it.")
        }
    })
    .await;
    let drafter = Scripted::new(&["Here", " is", " a"], 1);
    let proxy = Proxy::start_drafting(&upstream, |c| c.draft.speculative = true, drafter).await;
    let got = stream(&proxy, &chat_request()).await;
    assert_eq!(got.text(), "Here is a summary of it.");
    // The continuation left before the cloud's first text (600 ms) was known.
    assert_eq!(upstream.requests().len(), 2);
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "matched");
    assert_eq!(record["draft"]["speculative"], true);
}

/// A drafter whose sessions are all taken (see `draft_model.rs` for the real one's).
struct Busy;

impl Drafter for Busy {
    fn draft(&self, _: &[Turn], _: &mut dyn FnMut(&str) -> bool) -> Result<Draft, String> {
        Ok(Draft::nothing(Stop::Busy, 0.0))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_draft_leaves_the_reply_to_the_cloud_and_says_so() {
    let upstream = FakeUpstream::start(|_| slow_cloud("Plan for [EMAIL_1] ready.")).await;
    let proxy = Proxy::start_drafting(&upstream, |_| {}, Arc::new(Busy)).await;
    let got = stream(&proxy, &chat_request()).await;
    assert_eq!(got.text(), format!("Plan for {EMAIL} ready."));
    assert!(
        got.chunks().iter().all(|c| c["id"] == "c"),
        "the cloud's own chunks"
    );
    assert_eq!(upstream.requests().len(), 1);
    // The stream's task counts it just after the client has the last bytes.
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
    let dir = proxy.stop().await;
    assert_eq!(
        audit_records(&dir).pop().unwrap()["draft"]["outcome"],
        "busy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_faster_than_the_draft_is_proxied_as_is() {
    let upstream = FakeUpstream::start(|_| Reply::sse(chat_sse("Quick answer.", 4))).await;
    let drafter = Scripted::new(&["Slow", " draft"], 400);
    let proxy = Proxy::start_drafting(&upstream, |_| {}, drafter).await;
    let got = stream(&proxy, &chat_request()).await;
    assert_eq!(got.text(), "Quick answer.");
    assert!(
        got.chunks().iter().all(|c| c["id"] == "c"),
        "the cloud's own chunks"
    );
    let dir = proxy.stop().await;
    assert_eq!(
        audit_records(&dir).pop().unwrap()["draft"]["outcome"],
        "abandoned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_error_after_the_opener_ends_the_stream_with_an_error_event() {
    let upstream = FakeUpstream::start(|_| Reply::Whole {
        status: 429,
        headers: vec![("content-type", "application/json".into())],
        body: json!({"error": {"message": "Rate limit for [EMAIL_1]", "type": "rate_limit"}})
            .to_string(),
    })
    .await;
    // The draft's first word comes before the upstream's answer (delayed below by the
    // upstream's own handling time being ~0: so make the draft instant).
    let drafter = Scripted::new(&["Hi"], 0);
    let proxy = Proxy::start_drafting(&upstream, |_| {}, drafter).await;
    let answer = post_json(&proxy, "/v1/chat/completions", &chat_request()).await;
    // Either the cloud's 429 came first (passed through) or the opener did (error event);
    // both tell the client the truth, unmasked, and nothing else.
    let text = answer.text();
    assert!(text.contains(&format!("Rate limit for {EMAIL}")), "{text}");
    if answer.status == 200 {
        let last = sse_payloads(&text).pop().unwrap();
        let v: Value = serde_json::from_str(&last).unwrap();
        assert_eq!(v["error"]["message"], format!("Rate limit for {EMAIL}"));
    } else {
        assert_eq!(answer.status, 429);
    }
    proxy.stop().await;
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
    let proxy = Proxy::start_drafting(&upstream, |_| {}, Scripted::new(&["Hi"], 0)).await;
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
    let upstream = FakeUpstream::start(|_| Reply::sse_lingering("Sure, here it is.", 5)).await;
    let proxy = Proxy::start_drafting(&upstream, |_| {}, Scripted::new(&["Sure,"], 0)).await;
    let read = read_until_done(&proxy, &chat_request()).await;
    assert_eq!(chat_stream_text(&read), "Sure, here it is.");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    assert_eq!(record["draft"]["outcome"], "matched");
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

    // A streamed answer whose headers come before any draft word: they reach the client.
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
    let upstream = FakeUpstream::start(|req| {
        if req.json()["messages"].as_array().unwrap().len() > 1 {
            Reply::sse(chat_sse("and that is the whole story.", 6))
        } else {
            slow_cloud("Zebras are unexpected here.")
        }
    })
    .await;
    let proxy = Proxy::start(&upstream, |c| {
        c.draft.enabled = Some(true);
        // Draft whatever the model thinks, however unsure: this test is about timing.
        c.draft.start_threshold = 0.0;
        c.draft.stop_threshold = 0.0;
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
    assert_eq!(requests.len(), 2, "the fake cloud never repeats the opener");
    let instruction = last_message(&requests[1].json())["content"]
        .as_str()
        .unwrap()
        .to_owned();
    let opener = instruction
        .rsplit_once('\u{ab}')
        .and_then(|(_, rest)| rest.strip_suffix('\u{bb}'))
        .unwrap();
    assert!(!opener.is_empty());
    assert_eq!(got.text(), format!("{opener} and that is the whole story."));
    proxy.stop().await;
}
