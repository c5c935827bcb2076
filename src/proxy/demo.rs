//! `--upstream demo`: a stand-in for the cloud on 127.0.0.1 (an ephemeral port, in this
//! process), so a newcomer can watch masking and unmasking without an account.
//!
//! It answers every masking route in its own wire format, streamed or not, by quoting back
//! the texts it received ("I received: …"), which are the masked texts: the proxy puts the
//! real values back before the client sees them. It logs what it received (target
//! `veilgate::demo`), which is exactly what a cloud would have seen. Never the default.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tracing::info;

use super::body::ProxyBody;
use super::splice::align::CONTINUATOR;
use crate::api::sse::write_event;
use crate::api::walk::{visit_texts, TextKind};
use crate::api::Route;

/// Characters per streamed delta, and the pause between deltas (so streaming is visible).
const DELTA_CHARS: usize = 6;
const DELTA_PAUSE: Duration = Duration::from_millis(15);

/// Starts the demo upstream on 127.0.0.1:0; returns its address. It runs until the process
/// ends.
pub async fn spawn() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req| async {
                    Ok::<_, Infallible>(answer(req).await)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

async fn answer(req: Request<Incoming>) -> Response<ProxyBody> {
    let path = req.uri().path().to_string();
    let route = Route::from_path(&path);
    if req.method() == Method::GET && route == Some(Route::Models) {
        let model =
            |id: &str| json!({"id": id, "object": "model", "created": 0, "owned_by": "veilgate"});
        return match path.trim_end_matches('/').strip_prefix("/v1/models/") {
            Some(id) => json_reply(model(id)),
            None => json_reply(json!({"object": "list", "data": [model("veilgate-demo")]})),
        };
    }
    let body = req.into_body().collect().await.map(|b| b.to_bytes());
    let (Some(route), Ok(body)) = (route.filter(|r| r.carries_text()), body) else {
        return error_reply(
            StatusCode::NOT_FOUND,
            "the demo upstream does not serve this",
        );
    };
    let Ok(mut request) = serde_json::from_slice::<Value>(&body) else {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "the demo upstream got invalid JSON",
        );
    };
    let mut texts = Vec::new();
    let _ = visit_texts(route, &mut request, &mut |s, visit| {
        if visit.kind != TextKind::Identifier {
            texts.push(s.clone());
        }
        Ok(())
    });
    let received = texts.join(" | ");
    info!(target: "veilgate::demo", route = route.as_str(), "the upstream received: {received}");
    // A drafted opener's continuation request ends with the instruction to continue it: the
    // demo continues after the opener, in a paragraph of its own, and quotes what it received
    // without that instruction, which is the proxy's, not the user's.
    let continuing = texts.last().is_some_and(|t| t.starts_with(CONTINUATOR));
    let quoted = if continuing {
        format!("\n\nI received: {}", texts[..texts.len() - 1].join(" | "))
    } else {
        format!("I received: {received}")
    };
    let model = request["model"]
        .as_str()
        .unwrap_or("veilgate-demo")
        .to_string();
    let usage = Usage {
        input: words(&received),
        output: words(&quoted),
    };
    if route == Route::Embeddings {
        return json_reply(embeddings(&model, texts.len(), usage));
    }
    if request["stream"] == true {
        let events = stream_events(route, &model, &quoted, usage);
        return stream_reply(events);
    }
    json_reply(whole(route, &model, &quoted, usage))
}

/// What a reply cost, counted in words: the demo has no tokenizer, and words are what a
/// reader can check against the text.
#[derive(Clone, Copy)]
struct Usage {
    input: usize,
    output: usize,
}

impl Usage {
    fn openai(self) -> Value {
        json!({"prompt_tokens": self.input, "completion_tokens": self.output,
            "total_tokens": self.input + self.output})
    }
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// A non-streamed reply of `route`'s format whose text is `text`.
fn whole(route: Route, model: &str, text: &str, usage: Usage) -> Value {
    match route {
        Route::Completions => json!({"id": "cmpl-demo", "object": "text_completion", "created": 0,
            "model": model, "choices": [{"index": 0, "text": text, "logprobs": null,
            "finish_reason": "stop"}], "usage": usage.openai()}),
        Route::Responses => response_object(model, "completed", Some(text)),
        Route::Messages => json!({"id": "msg_demo", "type": "message", "role": "assistant",
            "model": model, "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": usage.input, "output_tokens": usage.output}}),
        _ => json!({"id": "chatcmpl-demo", "object": "chat.completion", "created": 0,
            "model": model, "choices": [{"index": 0, "message": {"role": "assistant",
            "content": text}, "finish_reason": "stop"}], "usage": usage.openai()}),
    }
}

fn embeddings(model: &str, inputs: usize, usage: Usage) -> Value {
    let data: Vec<Value> = (0..inputs.max(1))
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [0.0, 0.5, 1.0]}))
        .collect();
    json!({"object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": usage.input, "total_tokens": usage.input}})
}

/// A Responses API `response` object, with one output message when `text` is given.
fn response_object(model: &str, status: &str, text: Option<&str>) -> Value {
    let output: Vec<Value> = text.into_iter().map(message_item).collect();
    json!({"id": "resp_demo", "object": "response", "created_at": 0, "status": status,
        "model": model, "output": output})
}

fn message_item(text: &str) -> Value {
    json!({"id": "msg_demo", "type": "message", "role": "assistant", "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

/// The SSE events (name, data) of a streamed reply of `route`'s format.
fn stream_events(
    route: Route,
    model: &str,
    text: &str,
    usage: Usage,
) -> Vec<(Option<&'static str>, String)> {
    let chars: Vec<char> = text.chars().collect();
    let deltas: Vec<String> = chars
        .chunks(DELTA_CHARS)
        .map(|c| c.iter().collect())
        .collect();
    let mut events: Vec<(Option<&'static str>, Value)> = Vec::new();
    match route {
        Route::Responses => {
            let item = json!({"item_id": "msg_demo", "output_index": 0, "content_index": 0});
            let with = |extra: Value| {
                let mut v = item.clone();
                v.as_object_mut()
                    .unwrap()
                    .extend(extra.as_object().unwrap().clone());
                v
            };
            events.push((
                Some("response.created"),
                json!({"response": response_object(model, "in_progress", None)}),
            ));
            let mut added = message_item("");
            added["status"] = json!("in_progress");
            added["content"] = json!([]);
            events.push((
                Some("response.output_item.added"),
                json!({"output_index": 0, "item": added}),
            ));
            events.push((
                Some("response.content_part.added"),
                with(json!({"part": {"type": "output_text", "text": "", "annotations": []}})),
            ));
            for d in &deltas {
                events.push((
                    Some("response.output_text.delta"),
                    with(json!({"delta": d})),
                ));
            }
            events.push((
                Some("response.output_text.done"),
                with(json!({"text": text})),
            ));
            events.push((
                Some("response.content_part.done"),
                with(json!({"part": {"type": "output_text", "text": text, "annotations": []}})),
            ));
            events.push((
                Some("response.output_item.done"),
                json!({"output_index": 0, "item": message_item(text)}),
            ));
            events.push((
                Some("response.completed"),
                json!({"response": response_object(model, "completed", Some(text))}),
            ));
            for (i, (name, data)) in events.iter_mut().enumerate() {
                data["type"] = json!(name);
                data["sequence_number"] = json!(i);
            }
        }
        Route::Messages => {
            let mut start = whole(Route::Messages, model, text, usage);
            start["content"] = json!([]);
            start["stop_reason"] = Value::Null;
            start["usage"]["output_tokens"] = json!(0);
            events.push((Some("message_start"), json!({"message": start})));
            events.push((
                Some("content_block_start"),
                json!({"index": 0, "content_block": {"type": "text", "text": ""}}),
            ));
            for d in &deltas {
                events.push((
                    Some("content_block_delta"),
                    json!({"index": 0, "delta": {"type": "text_delta", "text": d}}),
                ));
            }
            events.push((Some("content_block_stop"), json!({"index": 0})));
            events.push((Some("message_delta"), json!({"delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": usage.output}})));
            events.push((Some("message_stop"), json!({})));
            for (name, data) in events.iter_mut() {
                data["type"] = json!(name);
            }
        }
        Route::Completions => {
            let chunk = |text: &str, finish: Value| {
                json!({"id": "cmpl-demo", "object": "text_completion",
                "created": 0, "model": model, "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason": finish}]})
            };
            events.extend(deltas.iter().map(|d| (None, chunk(d, Value::Null))));
            events.push((None, chunk("", json!("stop"))));
        }
        _ => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "chatcmpl-demo", "object": "chat.completion.chunk",
                "created": 0, "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            };
            events.push((
                None,
                chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            ));
            events.extend(
                deltas
                    .iter()
                    .map(|d| (None, chunk(json!({"content": d}), Value::Null))),
            );
            events.push((None, chunk(json!({}), json!("stop"))));
        }
    }
    let mut out: Vec<(Option<&'static str>, String)> = events
        .into_iter()
        .map(|(n, v)| (n, v.to_string()))
        .collect();
    if matches!(route, Route::ChatCompletions | Route::Completions) {
        out.push((None, "[DONE]".to_string()));
    }
    out
}

fn stream_reply(events: Vec<(Option<&'static str>, String)>) -> Response<ProxyBody> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        for (name, data) in events {
            let mut bytes = Vec::new();
            write_event(&mut bytes, name, &data);
            if tx.send(Bytes::from(bytes)).await.is_err() {
                return;
            }
            tokio::time::sleep(DELTA_PAUSE).await;
        }
    });
    let mut resp = Response::new(ProxyBody::Stream(rx));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    resp
}

fn json_reply(body: Value) -> Response<ProxyBody> {
    let mut resp = Response::new(ProxyBody::full(body.to_string()));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn error_reply(status: StatusCode, message: &str) -> Response<ProxyBody> {
    let mut resp = json_reply(
        json!({"error": {"message": message, "type": "invalid_request_error",
        "param": null, "code": null}}),
    );
    *resp.status_mut() = status;
    resp
}
