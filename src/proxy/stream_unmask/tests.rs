//! Unit tests of the stream rewriter, one behaviour each.

use super::*;
use crate::privacy::EntityType;

fn vault() -> Arc<Vault> {
    let mut v = Vault::new();
    v.placeholder(EntityType::Person, "Ada \"A\" Lovelace");
    v.placeholder(EntityType::Email, "ada@example.com");
    Arc::new(v)
}

/// Feeds `input` one byte at a time, then `finish`; returns the client's events.
fn run(format: StreamFormat, vault: Arc<Vault>, input: &str) -> Vec<SseEvent> {
    let mut rw = StreamRewriter::new(format, vault);
    let mut out = Vec::new();
    for b in input.as_bytes().chunks(1) {
        rw.push(b, &mut out).unwrap();
    }
    rw.finish(&mut out).unwrap();
    parse(&out)
}

fn parse(bytes: &[u8]) -> Vec<SseEvent> {
    let mut p = SseParser::default();
    let mut items = Vec::new();
    p.push(bytes, &mut items).unwrap();
    p.finish(&mut items).unwrap();
    items
        .into_iter()
        .filter_map(|i| match i {
            SseItem::Event(e) => Some(e),
            SseItem::Comment(_) => None,
        })
        .collect()
}

fn data(events: &[SseEvent]) -> Vec<Value> {
    events
        .iter()
        .map(|e| serde_json::from_str(&e.data).unwrap_or(Value::String(e.data.clone())))
        .collect()
}

fn chat(delta: Value, finish: Value) -> String {
    let chunk = json!({"id": "c1", "object": "chat.completion.chunk", "created": 5,
        "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {chunk}\n\n")
}

#[test]
fn chat_held_text_is_emitted_as_empty_content_then_joins_the_next_chunk() {
    let input = chat(json!({"content": "Hi [PERS"}), Value::Null)
        + &chat(json!({"content": "ON_1]!"}), Value::Null);
    let got = data(&run(StreamFormat::ChatCompletions, vault(), &input));
    let texts: Vec<_> = got
        .iter()
        .map(|c| &c["choices"][0]["delta"]["content"])
        .collect();
    assert_eq!(texts, [&json!("Hi "), &json!("Ada \"A\" Lovelace!")]);
}

#[test]
fn chat_finish_reason_chunk_carries_the_held_text() {
    let input = chat(json!({"content": "bye PERSON_1"}), Value::Null)
        + &chat(json!({}), json!("stop"))
        + "data: [DONE]\n\n";
    let got = data(&run(StreamFormat::ChatCompletions, vault(), &input));
    assert_eq!(got[0]["choices"][0]["delta"]["content"], "bye ");
    assert_eq!(
        got[1]["choices"][0]["delta"]["content"],
        "Ada \"A\" Lovelace"
    );
    assert_eq!(got[1]["choices"][0]["finish_reason"], "stop");
    assert_eq!(got[2], "[DONE]");
}

#[test]
fn chat_tool_arguments_are_unmasked_as_json_per_tool_index() {
    let call = |args: &str| json!({"tool_calls": [{"index": 1, "function": {"arguments": args}}]});
    let input = chat(call("{\"to\":\"[PERSON"), Value::Null)
        + &chat(call("_1]\"}"), Value::Null)
        + &chat(json!({}), json!("tool_calls"));
    let got = data(&run(StreamFormat::ChatCompletions, vault(), &input));
    let args: String = got
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, r#"{"to":"Ada \"A\" Lovelace"}"#);
}

#[test]
fn chat_done_is_preceded_by_a_synthetic_chunk_for_held_text() {
    let input = chat(json!({"content": "to [EMAIL_1"}), Value::Null) + "data: [DONE]\n\n";
    let got = data(&run(StreamFormat::ChatCompletions, vault(), &input));
    assert_eq!(got.len(), 3);
    assert_eq!(got[1]["id"], "c1");
    assert_eq!(got[1]["model"], "m");
    // The unclosed bracket stays; the bare tag is still a placeholder.
    assert_eq!(got[1]["choices"][0]["delta"]["content"], "[ada@example.com");
    assert_eq!(got[2], "[DONE]");
}

#[test]
fn usage_chunk_and_unknown_fields_pass_unchanged() {
    let usage = json!({"id": "c1", "choices": [], "usage": {"total_tokens": 3}, "x_new": [1]});
    let got = data(&run(
        StreamFormat::ChatCompletions,
        vault(),
        &format!("data: {usage}\n\n"),
    ));
    assert_eq!(got, [usage]);
}

#[test]
fn completions_text_is_unmasked_per_choice() {
    let chunk = |i: u64, t: &str| {
        format!(
            "data: {}\n\n",
            json!({"choices": [{"index": i, "text": t, "finish_reason": null}]})
        )
    };
    let input = chunk(0, "[PERSON_") + &chunk(1, "EMAIL_1 ") + &chunk(0, "1]") + "data: [DONE]\n\n";
    let got = data(&run(StreamFormat::Completions, vault(), &input));
    let text = |i: u64| -> String {
        got.iter()
            .flat_map(|c| c["choices"].as_array().cloned().unwrap_or_default())
            .filter(|c| c["index"] == i)
            .map(|c| c["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(text(0), "Ada \"A\" Lovelace");
    assert_eq!(text(1), "ada@example.com ");
}

#[test]
fn responses_done_gets_a_synthetic_delta_first_and_sequence_stays_increasing() {
    let ev = |ty: &str, extra: Value| {
        let mut v = json!({"type": ty, "item_id": "m1", "output_index": 0,
                           "content_index": 0, "sequence_number": 7});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        format!("event: {ty}\ndata: {v}\n\n")
    };
    let input = ev(
        "response.output_text.delta",
        json!({"delta": "hi [PERSON_1", "obfuscation": "zz"}),
    ) + &ev("response.output_text.done", json!({"text": "hi [PERSON_1"}));
    let events = run(StreamFormat::Responses, vault(), &input);
    let got = data(&events);
    let types: Vec<_> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(
        types,
        [
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done"
        ]
    );
    assert_eq!(got[0]["delta"], "hi ");
    assert_eq!(got[1]["delta"], "[Ada \"A\" Lovelace");
    assert_eq!(got[1]["item_id"], "m1");
    assert!(got[1].get("obfuscation").is_none());
    assert_eq!(got[2]["text"], "hi [Ada \"A\" Lovelace");
    let seqs: Vec<_> = got
        .iter()
        .map(|v| v["sequence_number"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [7, 8, 9]);
}

#[test]
fn anthropic_block_stop_gets_a_synthetic_delta_first() {
    let ev = |v: Value| format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap());
    let input = ev(json!({"type": "content_block_delta", "index": 2,
                          "delta": {"type": "text_delta", "text": "Dear PERSON_1"}}))
        + &ev(json!({"type": "content_block_stop", "index": 2}));
    let got = data(&run(StreamFormat::Anthropic, vault(), &input));
    assert_eq!(got[0]["delta"]["text"], "Dear ");
    assert_eq!(
        got[1],
        json!({"type": "content_block_delta", "index": 2,
                              "delta": {"type": "text_delta", "text": "Ada \"A\" Lovelace"}})
    );
    assert_eq!(got[2]["type"], "content_block_stop");
}

#[test]
fn comments_pass_and_non_json_data_is_unmasked_as_text() {
    let input = ": keep-alive\n\nevent: odd\ndata: not json [EMAIL_1]\n\n";
    let mut rw = StreamRewriter::new(StreamFormat::Anthropic, vault());
    let mut out = Vec::new();
    rw.push(input.as_bytes(), &mut out).unwrap();
    assert_eq!(
        out,
        b": keep-alive\n\nevent: odd\ndata: not json ada@example.com\n\n"
    );
}

#[test]
fn empty_vault_forwards_events_verbatim() {
    let input = concat!(
        "event: response.output_text.delta\n",
        "data: {\"delta\":\"[PERSON_1\",\"sequence_number\":4}\n\n"
    );
    let mut rw = StreamRewriter::new(StreamFormat::Responses, Arc::new(Vault::new()));
    let mut out = Vec::new();
    rw.push(input.as_bytes(), &mut out).unwrap();
    assert_eq!(out, input.as_bytes());
    rw.fail("boom", &mut out);
    let got = data(&parse(&out));
    assert_eq!(
        got[1]["sequence_number"], 5,
        "the error continues the numbering"
    );
}

#[test]
fn fail_flushes_held_text_then_appends_the_format_error_event() {
    let mut rw = StreamRewriter::new(StreamFormat::ChatCompletions, vault());
    let mut out = Vec::new();
    let input = chat(json!({"content": "x [PERSON_1"}), Value::Null) + "data: {\"partial";
    rw.push(input.as_bytes(), &mut out).unwrap();
    rw.fail("upstream reset", &mut out);
    let got = data(&parse(&out));
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[1]["choices"][0]["delta"]["content"],
        "[Ada \"A\" Lovelace"
    );
    assert_eq!(got[2]["error"]["message"], "upstream reset");
    assert_eq!(got[2]["error"]["type"], "server_error");

    let mut rw = StreamRewriter::new(StreamFormat::Anthropic, vault());
    let mut out = Vec::new();
    rw.fail("gone", &mut out);
    assert_eq!(
        parse(&out)[0].event.as_deref(),
        Some("error"),
        "Anthropic errors are named events"
    );
    assert_eq!(data(&parse(&out))[0]["error"]["type"], "api_error");
}

#[test]
fn fail_after_the_stream_ended_adds_nothing() {
    let mut rw = StreamRewriter::new(StreamFormat::ChatCompletions, vault());
    let mut out = Vec::new();
    rw.push(b"data: [DONE]\n\n", &mut out).unwrap();
    rw.fail("late", &mut out);
    assert_eq!(out, b"data: [DONE]\n\n");
}

#[test]
fn malformed_upstream_bytes_are_a_stream_error() {
    let mut rw = StreamRewriter::new(StreamFormat::ChatCompletions, vault());
    let mut out = Vec::new();
    assert!(rw.push(b"data: \xFF\xFE\n", &mut out).is_err());
}

#[test]
fn unmask_json_strings_knows_json_text_fields_and_opaque_ones() {
    let mut v = json!({"text": "[PERSON_1]", "arguments": "{\"n\":\"[PERSON_1]\"}",
                       "signature": "[PERSON_1]", "list": ["EMAIL_1"]});
    unmask_json_strings(&vault(), &mut v);
    assert_eq!(
        v,
        json!({"text": "Ada \"A\" Lovelace",
        "arguments": "{\"n\":\"Ada \\\"A\\\" Lovelace\"}",
        "signature": "[PERSON_1]", "list": ["ada@example.com"]})
    );
}
