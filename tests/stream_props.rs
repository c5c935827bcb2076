//! Properties of streamed unmasking that must hold for any chunking of the upstream bytes:
//! the SSE parser, the per-text `StreamUnmasker`, and the whole `StreamRewriter` for Chat
//! Completions, Responses and Anthropic replies.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};
use veilgate::api::sse::{SseEvent, SseItem, SseParser};
use veilgate::privacy::stream::{StreamUnmasker, TextMode};
use veilgate::privacy::{EntityType, Vault};
use veilgate::proxy::stream_unmask::{StreamFormat, StreamRewriter};

// ---------- helpers ----------

/// Cuts `bytes` into pieces whose sizes cycle through `sizes` (each at least 1).
fn pieces<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes.iter().cycle() {
        if at >= bytes.len() {
            break;
        }
        let end = (at + size.max(&1)).min(bytes.len());
        out.push(&bytes[at..end]);
        at = end;
    }
    out
}

/// Cuts `text` into fragments of `sizes` characters (cycled), never inside a character.
fn fragments<'a>(text: &'a str, sizes: &[usize]) -> Vec<&'a str> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes.iter().cycle() {
        if at + 1 >= bounds.len() {
            break;
        }
        let end = (at + size.max(&1)).min(bounds.len() - 1);
        out.push(&text[bounds[at]..bounds[end]]);
        at = end;
    }
    out
}

fn parse_all(chunks: &[&[u8]]) -> Vec<SseItem> {
    let mut parser = SseParser::default();
    let mut items = Vec::new();
    for chunk in chunks {
        parser.push(chunk, &mut items).expect("well-formed stream");
    }
    parser.finish(&mut items).expect("well-formed stream");
    items
}

fn events(items: Vec<SseItem>) -> Vec<SseEvent> {
    items
        .into_iter()
        .filter_map(|item| match item {
            SseItem::Event(e) => Some(e),
            SseItem::Comment(_) => None,
        })
        .collect()
}

/// The vault of the scenarios: ten people (so PERSON_1 and PERSON_10 both exist), an
/// e-mail, an address and a date of birth; values with quotes and a backslash test the
/// JSON escaping.
fn vault() -> Arc<Vault> {
    let mut v = Vault::new();
    v.placeholder(EntityType::Person, "Ada \"Countess\" Lovelace");
    v.placeholder(EntityType::Email, "ada@example.com");
    for i in 2..=10 {
        v.placeholder(EntityType::Person, &format!("Person Nr{i}"));
    }
    v.placeholder(EntityType::Address, "12 St James's Sq\\London");
    v.placeholder(EntityType::DateOfBirth, "10 Dec 1815");
    Arc::new(v)
}

/// Pieces of model text: placeholder variants, near-misses, brackets, digits, multi-byte.
const TOKENS: &[&str] = &[
    "[PERSON_1]",
    "[person_1]",
    "{{PERSON_1}}",
    "{PERSON_1}",
    "<PERSON_1>",
    "[PERSON 1]",
    "PERSON_1",
    "PERSON_10",
    "[PERSON_10]",
    "PERSON_11",
    "[EMAIL_1]",
    "EMAIL_1",
    "[EMAIL_2]",
    "ADDRESS_1",
    "IP ADDRESS_1",
    "IP ",
    "[DATE OF BIRTH 1]",
    "DATE_OF_BIRTH_1",
    "[PHONE_1]",
    "PERS",
    "PERSONA",
    "[",
    "]",
    "{",
    "}",
    "{{",
    "}}",
    "<",
    ">",
    "_",
    " ",
    "  ",
    "x",
    "7",
    "42",
    "1",
    "P",
    "E",
    "I",
    "é",
    "日本",
    "😀",
    "\"",
    "\\",
    "\n",
    ".",
    ",",
    "a",
    "the ",
];

fn token_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..max).prop_map(|t| t.concat())
}

fn sizes(max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        1 => Just(vec![1]),
        4 => prop::collection::vec(1..=max, 1..24),
    ]
}

/// No `[TYPE_N]` of the vault is left. (Looser variants may legitimately remain: in
/// `[PERSON_1]IP ADDRESS_1` the regex reads `IP ADDRESS_1` as one unbracketed tag, which
/// unmasking ignores, so `ADDRESS_1` stays, exactly as `Vault::unmask` leaves it.)
fn no_vault_placeholder(vault: &Vault, text: &str) -> bool {
    vault
        .entries()
        .iter()
        .all(|e| !text.contains(&e.placeholder))
}

// ---------- (a) SSE parser ----------

#[derive(Debug, Clone)]
enum Block {
    Event {
        name: Option<String>,
        data: Vec<String>,
    },
    Comment(String),
}

fn sse_value() -> impl Strategy<Value = String> {
    "[a-z :é日本😀\\[\\]{}_0-9\"]{0,12}"
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        4 => (
            prop::option::of("[a-z_.]{1,10}"),
            prop::collection::vec(sse_value(), 0..4)
        )
            .prop_map(|(name, data)| Block::Event { name, data }),
        1 => sse_value().prop_map(Block::Comment),
    ]
}

/// Serialises blocks with the given line endings (cycled); also returns the items a
/// correct parser must produce.
fn sse_stream(blocks: &[Block], endings: &[u8], bom: bool) -> (Vec<u8>, Vec<SseItem>) {
    let mut bytes = Vec::new();
    if bom {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut expected = Vec::new();
    let mut n = 0;
    let mut line_start = bytes.len();
    let mut end_line = |bytes: &mut Vec<u8>| {
        let mut ending = endings[n % endings.len()];
        // After a lone CR, an empty line ended by LF would read as the CR's own LF.
        if ending == 0 && bytes.len() == line_start && bytes.last() == Some(&b'\r') {
            ending = 1;
        }
        bytes.extend_from_slice(match ending {
            0 => &b"\n"[..],
            1 => b"\r\n",
            _ => b"\r",
        });
        line_start = bytes.len();
        n += 1;
    };
    for b in blocks {
        match b {
            Block::Comment(text) => {
                bytes.extend_from_slice(format!(":{text}").as_bytes());
                end_line(&mut bytes);
                expected.push(SseItem::Comment(text.clone()));
            }
            Block::Event { name, data } => {
                if let Some(name) = name {
                    bytes.extend_from_slice(format!("event: {name}").as_bytes());
                    end_line(&mut bytes);
                }
                for line in data {
                    bytes.extend_from_slice(format!("data: {line}").as_bytes());
                    end_line(&mut bytes);
                }
                end_line(&mut bytes);
                if !data.is_empty() {
                    expected.push(SseItem::Event(SseEvent {
                        event: name.clone(),
                        data: data.join("\n"),
                        ..SseEvent::default()
                    }));
                }
            }
        }
    }
    (bytes, expected)
}

proptest! {
    #[test]
    fn sse_parse_is_independent_of_chunking(
        blocks in prop::collection::vec(block(), 0..12),
        endings in prop::collection::vec(0u8..3, 1..6),
        bom in any::<bool>(),
        cuts in sizes(9),
    ) {
        let (bytes, expected) = sse_stream(&blocks, &endings, bom);
        let whole = parse_all(&[&bytes]);
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(parse_all(&pieces(&bytes, &cuts)), whole.clone());
        prop_assert_eq!(parse_all(&pieces(&bytes, &[1])), whole);
    }
}

// ---------- (b) StreamUnmasker ----------

fn unmask_in_fragments(vault: &Arc<Vault>, mode: TextMode, frags: &[&str]) -> String {
    let mut u = StreamUnmasker::new(vault.clone(), mode);
    let mut out: String = frags.iter().map(|f| u.push(f)).collect();
    out.push_str(&u.finish());
    out
}

/// Tags of every type, their pieces, separators and characters at the edges of `\w`
/// (superscript two, an Arabic-Indic digit, a combining accent).
const TAG_SOUP: &str = "([\\[\\]{}<>_ 0-9a-z²١\u{301}]|PERSON|IP|ADDRESS|DATE|OF|BIRTH|US|SSN|\
    CREDIT|CARD|ID|EMAIL|IBAN|URL|SECRET|HOSTNAME|PHONE|LOCATION|ORGANIZATION|_1|_10| 1){0,30}";

fn every_type_vault() -> Arc<Vault> {
    let mut v = Vault::new();
    for kind in EntityType::ALL {
        for n in 1..=3 {
            v.placeholder(kind, &format!("<{kind} #{n}>"));
        }
    }
    Arc::new(v)
}

proptest! {
    #[test]
    fn stream_unmasker_is_independent_of_fragmentation(
        text in token_text(40),
        cuts in sizes(7),
    ) {
        let vault = vault();
        let frags = fragments(&text, &cuts);
        let plain = unmask_in_fragments(&vault, TextMode::Plain, &frags);
        prop_assert_eq!(plain, vault.unmask(&text).into_owned());
        let json = unmask_in_fragments(&vault, TextMode::Json, &frags);
        prop_assert_eq!(json, vault.unmask_json_fragment(&text).into_owned());
    }

    #[test]
    fn stream_unmasker_matches_unmask_on_tag_soup_of_every_type(
        text in TAG_SOUP,
        cuts in sizes(5),
    ) {
        let vault = every_type_vault();
        let frags = fragments(&text, &cuts);
        let plain = unmask_in_fragments(&vault, TextMode::Plain, &frags);
        prop_assert_eq!(plain, vault.unmask(&text).into_owned());
    }

    #[test]
    fn stream_unmasker_releases_text_that_cannot_start_a_placeholder(
        words in prop::collection::vec("[a-z]{1,6}", 1..8),
    ) {
        // No word starts with a tag's first letters here, so nothing may be held.
        let vault = vault();
        let mut u = StreamUnmasker::new(vault, TextMode::Plain);
        for w in words.iter().filter(|w| !w.starts_with(['p', 'e', 'a', 'd', 'i'])) {
            let fragment = format!("{w} ");
            prop_assert_eq!(u.push(&fragment), fragment);
        }
    }
}

// ---------- (c) StreamRewriter ----------

/// The masked text and tool arguments an upstream sends: always quoting the person and the
/// e-mail, plus random text around them.
fn reply_text() -> impl Strategy<Value = String> {
    (token_text(12), token_text(12))
        .prop_map(|(a, b)| format!("Dear [PERSON_1],{a} your mail [EMAIL_1] and PERSON_10{b} ok"))
}

fn tool_args(text: &str) -> String {
    json!({"to": "[EMAIL_1]", "name": "[PERSON_1]", "note": text}).to_string()
}

fn sse(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(e) => format!("event: {e}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn rewrite(
    format: StreamFormat,
    vault: &Arc<Vault>,
    upstream: &[u8],
    cuts: &[usize],
) -> Vec<SseEvent> {
    let mut rw = StreamRewriter::new(format, vault.clone());
    let mut out = Vec::new();
    for piece in pieces(upstream, cuts) {
        rw.push(piece, &mut out).expect("well-formed upstream");
    }
    rw.finish(&mut out).expect("well-formed upstream");
    events(parse_all(&[&out]))
}

fn chat_upstream(text: &[&str], args: &[&str]) -> String {
    let chunk = |choice: Value| {
        let c = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                       "model": "gpt-x", "choices": [choice]});
        sse(None, &c)
    };
    let mut s = chunk(
        json!({"index": 0, "delta": {"role": "assistant", "content": ""},
                             "finish_reason": null}),
    );
    s.push_str(": keep-alive\n\n");
    for t in text {
        s += &chunk(json!({"index": 0, "delta": {"content": t}, "finish_reason": null}));
    }
    s += &chunk(
        json!({"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1",
        "type": "function", "function": {"name": "send", "arguments": ""}}]},
        "finish_reason": null}),
    );
    for a in args {
        s += &chunk(json!({"index": 0, "delta": {"tool_calls": [{"index": 0,
            "function": {"arguments": a}}]}, "finish_reason": null}));
    }
    s += &chunk(json!({"index": 0, "delta": {}, "finish_reason": "tool_calls"}));
    s += &sse(
        None,
        &json!({"id": "chatcmpl-1", "object": "chat.completion.chunk",
        "created": 1, "model": "gpt-x", "choices": [], "usage": {"total_tokens": 9}}),
    );
    s + "data: [DONE]\n\n"
}

fn responses_upstream(text: &str, frags: &[&str], args: &str, arg_frags: &[&str]) -> String {
    let mut seq = 0;
    let mut s = String::new();
    let mut ev = |mut v: Value| {
        v["sequence_number"] = json!(seq);
        seq += 1;
        let ty = v["type"].as_str().unwrap().to_owned();
        s.push_str(&sse(Some(&ty), &v));
    };
    ev(json!({"type": "response.created", "response": {"id": "resp_1", "output": []}}));
    ev(
        json!({"type": "response.output_item.added", "output_index": 0,
              "item": {"id": "msg_1", "type": "message", "role": "assistant", "content": []}}),
    );
    for f in frags {
        ev(
            json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                  "content_index": 0, "delta": f, "logprobs": []}),
        );
    }
    ev(
        json!({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0,
              "content_index": 0, "text": text, "logprobs": []}),
    );
    ev(
        json!({"type": "response.output_item.added", "output_index": 1,
              "item": {"id": "fc_1", "type": "function_call", "name": "send", "arguments": ""}}),
    );
    for a in arg_frags {
        ev(
            json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1",
                  "output_index": 1, "delta": a}),
        );
    }
    ev(
        json!({"type": "response.function_call_arguments.done", "item_id": "fc_1",
              "output_index": 1, "arguments": args}),
    );
    ev(
        json!({"type": "response.completed", "response": {"id": "resp_1", "output": [
        {"type": "message", "content": [{"type": "output_text", "text": text}]},
        {"type": "function_call", "arguments": args}]}}),
    );
    s
}

fn anthropic_upstream(frags: &[&str], arg_frags: &[&str]) -> String {
    let mut s = String::new();
    let mut ev = |v: Value| {
        let ty = v["type"].as_str().unwrap().to_owned();
        s.push_str(&sse(Some(&ty), &v));
    };
    ev(
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
              "role": "assistant", "content": [], "model": "claude", "stop_reason": null}}),
    );
    ev(json!({"type": "content_block_start", "index": 0,
              "content_block": {"type": "text", "text": ""}}));
    ev(json!({"type": "ping"}));
    for f in frags {
        ev(json!({"type": "content_block_delta", "index": 0,
                  "delta": {"type": "text_delta", "text": f}}));
    }
    ev(json!({"type": "content_block_stop", "index": 0}));
    ev(
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use",
              "id": "toolu_1", "name": "send", "input": {}}}),
    );
    for a in arg_frags {
        ev(json!({"type": "content_block_delta", "index": 1,
                  "delta": {"type": "input_json_delta", "partial_json": a}}));
    }
    ev(json!({"type": "content_block_stop", "index": 1}));
    ev(
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"},
              "usage": {"output_tokens": 9}}),
    );
    ev(json!({"type": "message_stop"}));
    s
}

/// What every scenario checks on the reassembled text and arguments.
fn check_reassembled(
    vault: &Vault,
    text: &str,
    args: &str,
    got_text: &str,
    got_args: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got_text, &*vault.unmask(text));
    prop_assert!(got_text.contains("Ada \"Countess\" Lovelace"));
    prop_assert!(got_text.contains("ada@example.com"));
    prop_assert!(
        no_vault_placeholder(vault, got_text),
        "placeholder left in {got_text:?}"
    );
    prop_assert_eq!(got_args, &*vault.unmask_json_fragment(args));
    let parsed: Value = serde_json::from_str(got_args).expect("arguments stay valid JSON");
    prop_assert_eq!(&parsed["to"], "ada@example.com");
    prop_assert_eq!(&parsed["name"], "Ada \"Countess\" Lovelace");
    Ok(())
}

/// One scenario's inputs: the masked reply text and how text, arguments and bytes are cut.
#[derive(Debug, Clone)]
struct Scenario {
    text: String,
    text_cuts: Vec<usize>,
    arg_cuts: Vec<usize>,
    byte_cuts: Vec<usize>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (reply_text(), sizes(6), sizes(6), sizes(40)).prop_map(
        |(text, text_cuts, arg_cuts, byte_cuts)| Scenario {
            text,
            text_cuts,
            arg_cuts,
            byte_cuts,
        },
    )
}

fn check_chat(s: &Scenario) -> Result<(), TestCaseError> {
    let vault = vault();
    let args = tool_args(&s.text);
    let text_frags = fragments(&s.text, &s.text_cuts);
    let upstream = chat_upstream(&text_frags, &fragments(&args, &s.arg_cuts));
    let events = rewrite(
        StreamFormat::ChatCompletions,
        &vault,
        upstream.as_bytes(),
        &s.byte_cuts,
    );
    prop_assert_eq!(events.last().map(|e| e.data.as_str()), Some("[DONE]"));
    // No chunk is dropped: one per upstream chunk (held text rides in existing ones).
    prop_assert_eq!(
        events.len(),
        text_frags.len() + fragments(&args, &s.arg_cuts).len() + 5
    );
    let (mut got_text, mut got_args) = (String::new(), String::new());
    let mut finished = false;
    for e in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(&e.data).unwrap();
        let choices = chunk["choices"].as_array().unwrap();
        prop_assert!(!finished || choices.is_empty(), "text after finish_reason");
        for choice in choices {
            let delta = &choice["delta"];
            got_text += delta["content"].as_str().unwrap_or("");
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                got_args += call["function"]["arguments"].as_str().unwrap_or("");
            }
            finished |= !choice["finish_reason"].is_null();
        }
    }
    check_reassembled(&vault, &s.text, &args, &got_text, &got_args)
}

fn check_responses(s: &Scenario) -> Result<(), TestCaseError> {
    let vault = vault();
    let args = tool_args(&s.text);
    let upstream = responses_upstream(
        &s.text,
        &fragments(&s.text, &s.text_cuts),
        &args,
        &fragments(&args, &s.arg_cuts),
    );
    let events = rewrite(
        StreamFormat::Responses,
        &vault,
        upstream.as_bytes(),
        &s.byte_cuts,
    );
    let (mut got_text, mut got_args) = (String::new(), String::new());
    let mut done_text = None;
    for (i, e) in events.iter().enumerate() {
        let v: Value = serde_json::from_str(&e.data).unwrap();
        prop_assert_eq!(v["sequence_number"].as_u64(), Some(i as u64));
        prop_assert_eq!(e.event.as_deref(), v["type"].as_str());
        let str_of = |field: &str| v[field].as_str().unwrap().to_owned();
        match v["type"].as_str().unwrap() {
            "response.output_text.delta" => {
                prop_assert!(done_text.is_none(), "delta after done");
                got_text += &str_of("delta");
            }
            "response.output_text.done" => done_text = Some(str_of("text")),
            "response.function_call_arguments.delta" => got_args += &str_of("delta"),
            "response.function_call_arguments.done" => {
                prop_assert_eq!(str_of("arguments"), got_args.as_str());
            }
            "response.completed" => {
                let out = &v["response"]["output"];
                prop_assert_eq!(&out[0]["content"][0]["text"], got_text.as_str());
                prop_assert_eq!(&out[1]["arguments"], got_args.as_str());
            }
            _ => {}
        }
    }
    prop_assert_eq!(done_text.as_deref(), Some(got_text.as_str()));
    check_reassembled(&vault, &s.text, &args, &got_text, &got_args)
}

fn check_anthropic(s: &Scenario) -> Result<(), TestCaseError> {
    let vault = vault();
    let args = tool_args(&s.text);
    let upstream = anthropic_upstream(
        &fragments(&s.text, &s.text_cuts),
        &fragments(&args, &s.arg_cuts),
    );
    let events = rewrite(
        StreamFormat::Anthropic,
        &vault,
        upstream.as_bytes(),
        &s.byte_cuts,
    );
    let mut got = [String::new(), String::new()];
    let mut stopped = [false, false];
    for e in &events {
        let v: Value = serde_json::from_str(&e.data).unwrap();
        prop_assert_eq!(e.event.as_deref(), v["type"].as_str());
        let index = v["index"].as_u64().unwrap_or(0) as usize;
        match v["type"].as_str().unwrap() {
            "content_block_delta" => {
                prop_assert!(!stopped[index], "delta after content_block_stop");
                let d = &v["delta"];
                got[index] += d["text"].as_str().or(d["partial_json"].as_str()).unwrap();
            }
            "content_block_stop" => stopped[index] = true,
            _ => {}
        }
    }
    let last = events.last().and_then(|e| e.event.as_deref());
    prop_assert_eq!(last, Some("message_stop"));
    check_reassembled(&vault, &s.text, &args, &got[0], &got[1])
}

proptest! {
    #[test]
    fn chat_completions_rewrite_is_independent_of_chunking(s in scenario()) {
        check_chat(&s)?;
    }

    #[test]
    fn responses_rewrite_is_independent_of_chunking(s in scenario()) {
        check_responses(&s)?;
    }

    #[test]
    fn anthropic_rewrite_is_independent_of_chunking(s in scenario()) {
        check_anthropic(&s)?;
    }
}
