//! The probe suite: an attacker's (or a careless client's) requests, each planting personal
//! data somewhere a proxy might not look, against a recording upstream. For every probe the
//! bytes the upstream received (read every way the cloud could read them: raw, as JSON strings
//! and keys, base64 payloads decoded, percent-escapes resolved, invisible characters dropped)
//! hold none of the planted values, or nothing was forwarded at all.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper::Request;
use serde_json::{json, Value};
use unicode_normalization::UnicodeNormalization;

const NAME: &str = "Marcus Whitfield";
const PHONE: &str = "+1 415 555 0132";
const SSN: &str = "536-22-8417";
const AWS: &str = "AKIA4HZQ7XK2M9PLR3TB";

/// What a probe expects of the proxy.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    /// Forwarded (200) with every planted value masked.
    Masked,
    /// Refused with this status; nothing forwarded.
    Refused(u16),
}

struct Probe {
    name: &'static str,
    path: &'static str,
    body: Value,
    headers: Vec<(&'static str, String)>,
    /// Values that must not reach the upstream in any form.
    planted: Vec<String>,
    fate: Fate,
}

fn probe(name: &'static str, path: &'static str, body: Value, planted: &[&str]) -> Probe {
    Probe {
        name,
        path,
        body,
        headers: Vec::new(),
        planted: planted.iter().map(|s| s.to_string()).collect(),
        fate: Fate::Masked,
    }
}

fn refused(name: &'static str, path: &'static str, body: Value, status: u16) -> Probe {
    Probe {
        fate: Fate::Refused(status),
        ..probe(name, path, body, &[EMAIL])
    }
}

const CHAT: &str = "/v1/chat/completions";
const RESPONSES: &str = "/v1/responses";
const MESSAGES: &str = "/v1/messages";

fn chat_with(extra: Value) -> Value {
    let mut body = json!({"model": "gpt-test", "messages": [{"role": "user", "content": "hello"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn user_parts(parts: Value) -> Value {
    json!({"model": "gpt-test", "messages": [{"role": "user", "content": parts}]})
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

/// Fields no walker of a fixed list looked at.
fn field_probes() -> Vec<Probe> {
    let schema = json!({"type": "object", "description": format!("Look up {EMAIL}"), "properties": {
        "who": {"type": "string", "enum": [EMAIL, "other"], "default": PHONE, "examples": [SSN], "const": AWS}
    }});
    vec![
        probe(
            "message name",
            CHAT,
            json!({"model": "m", "messages": [{"role": "user", "name": EMAIL, "content": "hi"}]}),
            &[EMAIL],
        ),
        probe(
            "tool description and parameters",
            CHAT,
            chat_with(
                json!({"tools": [{"type": "function", "function": {"name": "lookup", "description": format!("Find {CARD}"), "parameters": schema}}]}),
            ),
            &[EMAIL, CARD, PHONE, SSN, AWS],
        ),
        probe(
            "legacy functions",
            CHAT,
            chat_with(
                json!({"functions": [{"name": "f", "description": format!("for {EMAIL}"), "parameters": {"type": "object", "properties": {"x": {"description": IBAN}}}}]}),
            ),
            &[EMAIL, IBAN],
        ),
        probe(
            "response_format schema",
            CHAT,
            chat_with(
                json!({"response_format": {"type": "json_schema", "json_schema": {"name": "r", "description": EMAIL, "schema": {"type": "object", "properties": {"a": {"const": PHONE}}}}}}),
            ),
            &[EMAIL, PHONE],
        ),
        probe(
            "stop",
            CHAT,
            chat_with(json!({"stop": [EMAIL, PHONE]})),
            &[EMAIL, PHONE],
        ),
        probe(
            "safety_identifier and prompt_cache_key",
            CHAT,
            chat_with(
                json!({"safety_identifier": EMAIL, "prompt_cache_key": format!("user-{SSN}")}),
            ),
            &[EMAIL, SSN],
        ),
        probe(
            "web search user location",
            CHAT,
            chat_with(
                json!({"web_search_options": {"user_location": {"type": "approximate", "approximate": {"city": format!("{NAME}'s street"), "region": EMAIL}}}}),
            ),
            &[EMAIL, NAME],
        ),
        probe(
            "image url query",
            CHAT,
            user_parts(
                json!([{"type": "image_url", "image_url": {"url": format!("https://img.example.net/p.png?u={EMAIL}&k={AWS}")}}]),
            ),
            &[EMAIL, AWS],
        ),
        probe(
            "text data url",
            CHAT,
            user_parts(
                json!([{"type": "image_url", "image_url": {"url": format!("data:text/plain;base64,{}", b64(&format!("mail {EMAIL}")))}}]),
            ),
            &[EMAIL],
        ),
        probe(
            "file name and text file data",
            CHAT,
            user_parts(
                json!([{"type": "file", "file": {"filename": format!("cv {EMAIL}.txt"), "file_data": format!("data:text/csv;base64,{}", b64(&format!("name,phone\nx,{PHONE}\n")))}}]),
            ),
            &[EMAIL, PHONE],
        ),
        probe(
            "tool call ids",
            CHAT,
            json!({"model": "m", "messages": [
            {"role": "assistant", "tool_calls": [{"id": EMAIL, "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": EMAIL, "content": "ok"}]}),
            &[EMAIL],
        ),
        probe(
            "metadata keys and bare name value",
            CHAT,
            chat_with(json!({"metadata": {EMAIL: "x", "customer": NAME}})),
            &[EMAIL, NAME],
        ),
        probe(
            "tool-call argument keys",
            CHAT,
            json!({"model": "m", "messages": [
            {"role": "assistant", "tool_calls": [{"id": "call_1a", "type": "function", "function": {"name": "f", "arguments": json!({EMAIL: 1, "card": CARD}).to_string()}}]}]}),
            &[EMAIL, CARD],
        ),
        probe(
            "responses fields",
            RESPONSES,
            json!({"model": "m", "input": [
            {"type": "reasoning", "id": "rs_1a", "summary": [{"type": "summary_text", "text": format!("user {EMAIL}")}]},
            {"role": "user", "content": [
                {"type": "input_file", "filename": "a.txt", "file_data": format!("data:text/plain;base64,{}", b64(PHONE))},
                {"type": "input_image", "image_url": format!("https://x.example.net/?m={EMAIL}")}]},
            {"type": "file_search_call", "id": "fs_1a", "queries": [SSN], "results": [{"text": CARD, "filename": "f"}]},
            {"type": "local_shell_call", "id": "lsh_1a", "call_id": "call_2b", "action": {"type": "exec", "command": ["curl", format!("https://x.example.net/?k={AWS}")]}},
            {"type": "custom_tool_call", "call_id": "call_3c", "name": "c", "input": IBAN}],
            "tools": [{"type": "function", "name": "f", "description": format!("mail {EMAIL}"), "parameters": {}}],
            "text": {"format": {"type": "json_schema", "name": "r", "schema": {"properties": {"p": {"default": PHONE}}}}},
            "prompt": {"id": "pmpt_1a", "variables": {"customer": EMAIL}}}),
            &[EMAIL, PHONE, SSN, CARD, AWS, IBAN],
        ),
        probe(
            "anthropic blocks",
            MESSAGES,
            json!({"model": "c", "max_tokens": 5, "system": "s",
            "tools": [{"name": "t", "description": format!("for {EMAIL}"), "input_schema": {"type": "object"}}],
            "stop_sequences": [PHONE],
            "messages": [
                {"role": "user", "content": [
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": format!("card {CARD}")}, "title": format!("CV {EMAIL}"), "context": SSN},
                    {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": IBAN}]}},
                    {"type": "search_result", "source": format!("https://x.example.net/{EMAIL}"), "title": EMAIL, "content": [{"type": "text", "text": PHONE}]},
                    {"type": "image", "source": {"type": "url", "url": format!("https://x.example.net/i.png?who={EMAIL}")}}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": format!("the user is {EMAIL}"), "signature": "sig"},
                    {"type": "tool_use", "id": "toolu_01ab", "name": "t", "input": {EMAIL: AWS}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01ab", "content": [
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": SSN}}]}]}]}),
            &[EMAIL, CARD, SSN, IBAN, PHONE, AWS],
        ),
        probe(
            "nested embeddings input",
            "/v1/embeddings",
            json!({"model": "e", "input": [[EMAIL, PHONE]]}),
            &[EMAIL, PHONE],
        ),
        probe(
            "unknown fields",
            CHAT,
            chat_with(json!({"x_trace": {"user": {"email": EMAIL, "tags": [CARD]}}})),
            &[EMAIL, CARD],
        ),
    ]
}

/// Text fields of a type the API does not define: refused, never forwarded.
fn shape_probes() -> Vec<Probe> {
    let text = json!({"text": EMAIL});
    vec![
        refused(
            "content as an object",
            CHAT,
            json!({"model": "m", "messages": [{"role": "user", "content": text}]}),
            400,
        ),
        refused(
            "messages as an object",
            CHAT,
            json!({"model": "m", "messages": {"role": "user", "content": EMAIL}}),
            400,
        ),
        refused(
            "messages as a string",
            CHAT,
            json!({"model": "m", "messages": EMAIL}),
            400,
        ),
        refused(
            "tool_calls as an object",
            CHAT,
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": {"function": {"arguments": EMAIL}}}]}),
            400,
        ),
        refused(
            "arguments as an object",
            CHAT,
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "call_1a", "type": "function", "function": {"name": "f", "arguments": {"to": EMAIL}}}]}]}),
            400,
        ),
        refused(
            "part text as an array",
            CHAT,
            user_parts(json!([{"type": "text", "text": [EMAIL]}])),
            400,
        ),
        refused(
            "responses input as an object",
            RESPONSES,
            json!({"model": "m", "input": text}),
            400,
        ),
        refused(
            "completions prompt as an object",
            "/v1/completions",
            json!({"model": "m", "prompt": text}),
            400,
        ),
        refused(
            "embeddings input as an object",
            "/v1/embeddings",
            json!({"model": "m", "input": text}),
            400,
        ),
        refused(
            "anthropic system as an object",
            MESSAGES,
            json!({"model": "c", "max_tokens": 1, "system": text, "messages": []}),
            400,
        ),
        refused(
            "binary image",
            CHAT,
            user_parts(
                json!([{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(EMAIL))}}]),
            ),
            400,
        ),
        refused(
            "audio",
            CHAT,
            user_parts(
                json!([{"type": "input_audio", "input_audio": {"data": b64(EMAIL), "format": "wav"}}]),
            ),
            400,
        ),
        refused(
            "pdf file",
            CHAT,
            user_parts(
                json!([{"type": "file", "file": {"filename": "a.pdf", "file_data": format!("data:application/pdf;base64,{}", b64(EMAIL))}}]),
            ),
            400,
        ),
        refused(
            "anthropic pdf",
            MESSAGES,
            json!({"model": "c", "max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(EMAIL)}}]}]}),
            400,
        ),
    ]
}

/// Values dressed so that a rule written for the plain form misses them.
fn evasion_probes() -> Vec<Probe> {
    let say = |s: String| chat_with(json!({"messages": [{"role": "user", "content": s}]}));
    let card_plain = "4111111111111111";
    vec![
        probe(
            "full-width card",
            CHAT,
            say("card ４１１１ １１１１ １１１１ １１１１ please".into()),
            &["４１１１ １１１１ １１１１ １１１１", card_plain],
        ),
        probe(
            "full-width phone",
            CHAT,
            say("call ＋４９ １７１ １２３４５６７".into()),
            &["＋４９ １７１ １２３４５６７", "+49 171 1234567", "1234567"],
        ),
        probe(
            "nbsp card",
            CHAT,
            say("card 4111\u{A0}1111\u{A0}1111\u{A0}1111".into()),
            &["4111\u{A0}1111\u{A0}1111\u{A0}1111", card_plain],
        ),
        probe(
            "zero-width space card",
            CHAT,
            say("card 4111\u{200B}1111\u{200B}1111\u{200B}1111".into()),
            &[card_plain],
        ),
        probe(
            "dotted card",
            CHAT,
            say("card 4111.1111.1111.1111".into()),
            &["4111.1111.1111.1111", card_plain],
        ),
        probe(
            "slashed card",
            CHAT,
            say("card 4111/1111/1111/1111".into()),
            &["4111/1111/1111/1111", card_plain],
        ),
        probe(
            "nbsp phone",
            CHAT,
            say("phone +49\u{A0}171\u{A0}1234567".into()),
            &["1234567"],
        ),
        probe(
            "en dash phone",
            CHAT,
            say("phone +49 171\u{2013}1234567".into()),
            &["1234567"],
        ),
        probe(
            "zwj before at",
            CHAT,
            say("mail jane.roe\u{200D}@example-mail.com".into()),
            &[EMAIL],
        ),
        probe(
            "soft hyphen before at",
            CHAT,
            say("mail jane.roe\u{AD}@example-mail.com".into()),
            &[EMAIL],
        ),
        probe(
            "zwsp in local part",
            CHAT,
            say("mail jane\u{200B}.roe@example-mail.com".into()),
            &[EMAIL],
        ),
        probe(
            "percent-encoded e-mail",
            CHAT,
            say("https://x.example.net/?to=jane.roe%40example-mail.com".into()),
            &[EMAIL],
        ),
        probe(
            "escaped at in broken arguments",
            CHAT,
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "call_1a", "type": "function", "function": {"name": "f", "arguments": "{\"to\": \"jane.roe\\u0040example-mail.com\""}}]}]}),
            &[EMAIL],
        ),
        probe(
            "chinese mobile",
            CHAT,
            say("请打我的电话13812345678，谢谢".into()),
            &["13812345678"],
        ),
        probe(
            "handle",
            CHAT,
            say("can you ping @marcus_whitfield about the deploy?".into()),
            &["marcus_whitfield"],
        ),
        probe(
            "quoted value keeps its quote",
            CHAT,
            say(format!("email = '{EMAIL}'")),
            &[EMAIL],
        ),
    ]
}

/// What a red-team pass over the first default-deny build found (each leaked with 200).
fn red_team_probes() -> Vec<Probe> {
    let say = |s: &str| chat_with(json!({"messages": [{"role": "user", "content": s}]}));
    let card_plain = "4111111111111111";
    let mut org = probe(
        "secret in OpenAI-Organization",
        CHAT,
        chat_with(json!({})),
        &[AWS],
    );
    org.headers = vec![("openai-organization", AWS.to_string())];
    org.fate = Fate::Refused(400);
    let mut beta = probe(
        "secret in anthropic-beta",
        MESSAGES,
        json!({"model": "c", "max_tokens": 1, "messages": []}),
        &[AWS],
    );
    beta.headers = vec![("anthropic-beta", AWS.to_string())];
    beta.fate = Fate::Refused(400);
    let glued_id = format!("call_{AWS}");
    vec![
        probe("card followed by digits", CHAT, say(&format!("card {CARD} 12 items")), &[CARD]),
        probe("dashed card followed by digits", CHAT, say("card 4111-1111-1111-1111 77"), &["4111-1111-1111-1111", "4111-"]),
        probe("secret glued to an id prefix", CHAT, json!({"model": "m", "messages": [
            {"role": "assistant", "tool_calls": [{"id": glued_id, "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": glued_id, "content": "ok"}]}), &[AWS]),
        probe("secret glued to a model id", CHAT, json!({"model": format!("gpt-4o_{AWS}"), "messages": [{"role": "user", "content": "hi"}]}), &[AWS]),
        refused("SSN as api-version", "/v1/chat/completions?api-version=536-22-8417", chat_with(json!({})), 400),
        org,
        beta,
        probe("e-mail glued to more", CHAT, say(&format!("mail {EMAIL}_x and {EMAIL}2024 now")), &[EMAIL]),
        probe("tag characters", CHAT, say("mail jane.roe@exam\u{E0041}ple-mail.com"), &["jane.roe@exam", "ple-mail.com"]),
        probe("variation selectors", CHAT, say("card 4\u{FE0F}111 1111 1111 1111"), &["1111 1111 1111"]),
        probe("combining marks", CHAT, say("mail jane.roe@\u{301}example-mail.com, card 4\u{301}111 1111 1111 1111"), &["example-mail.com", "1111 1111 1111"]),
        probe("line separators", CHAT, say("card 4111\u{2028}1111\u{2028}1111\u{2028}1111"), &["1111\u{2028}1111", "1111\n1111"]),
        probe("card groups on lines, doubled spaces, underscores, commas", CHAT,
            say("a\n4111\n1111\n1111\n1111 b 4111  1111  1111  1111 c 4111_1111_1111_1111 d 4111,1111,1111,1111"),
            &["4111\n1111", "4111  1111", "4111_1111", "4111,1111"]),
        probe("other scripts' digits", CHAT, say("card ٤١١١ ١١١١ ١١١١ ١١١١, ssn ५३६-२२-८४१७"), &["١١١١ ١١١١", "५३६-२२-८४१७", card_plain]),
        probe("HTML references", CHAT, say("mail jane.roe&#64;example-mail.com or jane.roe&#x40;example-mail.com or jane.roe&commat;example-mail.com"), &["example-mail.com"]),
        probe("double percent-encoding", CHAT, say("https://x.example.net/?to=jane.roe%2540example-mail.com"), &["example-mail.com"]),
        refused("token ids for embeddings", "/v1/embeddings", json!({"model": "e", "input": [[77, 97, 114, 99, 117, 115]]}), 400),
        refused("token ids for completions", "/v1/completions", json!({"model": "m", "prompt": [77, 97, 114]}), 400),
        probe("dashed IBAN", CHAT, say("iban DE89-3704-0044-0532-0130-00"), &["0532-0130-00", "DE89"]),
    ]
}

/// Headers, query strings and paths.
fn url_probes() -> Vec<Probe> {
    let mut header = probe("custom header", CHAT, chat_with(json!({})), &[EMAIL]);
    header.headers = vec![
        ("x-user-email", EMAIL.to_string()),
        ("cookie", format!("u={EMAIL}")),
    ];
    vec![
        header,
        refused(
            "query string on chat",
            "/v1/chat/completions?user=jane.roe@example-mail.com",
            chat_with(json!({})),
            400,
        ),
        refused(
            "query string on messages",
            "/v1/messages?who=jane.roe%40example-mail.com",
            json!({"model": "c", "max_tokens": 1, "messages": []}),
            400,
        ),
    ]
}

/// Everything the upstream could read in `body`: the raw bytes, every JSON string and key,
/// base64 payloads and percent-escapes decoded, invisible characters dropped, NFKC.
fn readable(body: &[u8]) -> String {
    let raw = String::from_utf8_lossy(body).into_owned();
    let mut out = raw.clone();
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let mut strings = Vec::new();
        collect(&v, &mut strings);
        for s in strings {
            out.push('\n');
            out.push_str(&s);
            if let Some((_, payload)) = s.split_once(";base64,") {
                if let Ok(bytes) = STANDARD.decode(payload) {
                    out.push('\n');
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            if let Ok(bytes) = STANDARD.decode(&s) {
                out.push('\n');
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    let decoded = out.replace("%40", "@").replace("\\u0040", "@");
    let visible: String = decoded
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}'
            )
        })
        .collect();
    format!("{visible}\n{}", visible.nfkc().collect::<String>())
}

fn collect(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            out.push(s.clone());
            // Strings holding JSON (tool arguments): their strings too.
            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                if inner.is_object() || inner.is_array() {
                    collect(&inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            collect(v, out);
        }),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_value_reaches_the_upstream_in_any_field_shape_or_disguise() {
    let upstream = FakeUpstream::start(|_| Reply::json(chat_completion("ok"))).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let probes: Vec<Probe> = [
        field_probes(),
        shape_probes(),
        evasion_probes(),
        url_probes(),
        red_team_probes(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut failures = Vec::new();
    for p in &probes {
        let before = upstream.requests().len();
        let mut req = Request::post(proxy.url(p.path))
            .header("content-type", "application/json")
            .header("authorization", "Bearer sk-test-client-key");
        for (k, v) in &p.headers {
            req = req.header(*k, v);
        }
        let answer = send(
            req.body(Full::new(Bytes::from(p.body.to_string())))
                .unwrap(),
        )
        .await;
        let sent = &upstream.requests()[before..];
        match p.fate {
            Fate::Masked if answer.status != 200 => failures.push(format!(
                "{}: status {} ({})",
                p.name,
                answer.status,
                answer.text()
            )),
            Fate::Refused(status) if answer.status != status || !sent.is_empty() => {
                failures.push(format!(
                    "{}: expected {status} and nothing forwarded, got {} and {} forwarded",
                    p.name,
                    answer.status,
                    sent.len()
                ))
            }
            _ => {}
        }
        for r in sent {
            let mut seen = readable(&r.body);
            for (name, value) in &r.headers {
                seen.push_str(&format!(
                    "\n{name}: {}",
                    String::from_utf8_lossy(value.as_bytes())
                ));
            }
            seen.push_str(&format!("\n{}", r.path));
            for value in &p.planted {
                if seen.contains(value.as_str()) {
                    failures.push(format!("{}: the upstream read {value:?}", p.name));
                }
            }
        }
    }
    proxy.stop().await;
    assert!(
        failures.is_empty(),
        "{} of {} probes failed:\n{}",
        failures.len(),
        probes.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_the_field_and_quote_nothing() {
    let upstream = FakeUpstream::start(|_| Reply::json(chat_completion("ok"))).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let body = json!({"model": "m", "messages": [{"role": "user", "content": {"text": EMAIL}}]});
    let answer = post_json(&proxy, CHAT, &body).await;
    assert_eq!(answer.status, 400);
    let err = &answer.json()["error"];
    assert_eq!(err["code"], "invalid_type");
    assert_eq!(err["param"], "messages[0].content");
    assert!(!answer.text().contains(EMAIL));
    let img = user_parts(
        json!([{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]),
    );
    let answer = post_json(&proxy, CHAT, &img).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"]["code"], "binary_media_refused");
    assert_eq!(
        answer.json()["error"]["param"],
        "messages[0].content[0].image_url.url"
    );
    assert!(answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("privacy.binary_media"));
    assert!(upstream.requests().is_empty());
    let dir = proxy.stop().await;
    for record in audit_records(&dir) {
        assert!(!record.to_string().contains(EMAIL), "{record}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passed_binary_media_is_forwarded_but_withheld_from_the_audit_log() {
    let upstream = FakeUpstream::start(|_| Reply::json(chat_completion("ok"))).await;
    let proxy = Proxy::start(&upstream, |c| {
        c.privacy.binary_media = veilgate::config::BinaryMedia::Pass
    })
    .await;
    let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk";
    let body = user_parts(
        json!([{"type": "text", "text": format!("who is {EMAIL}?")}, {"type": "image_url", "image_url": {"url": png}}]),
    );
    let answer = post_json(&proxy, CHAT, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let sent = upstream.last().json();
    assert_eq!(sent["messages"][0]["content"][1]["image_url"]["url"], png);
    assert_eq!(
        sent["messages"][0]["content"][0]["text"],
        "who is [EMAIL_1]?"
    );
    let dir = proxy.stop().await;
    let record = audit_records(&dir).pop().unwrap();
    let url = record["masked_request"]["messages"][0]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("<binary media withheld"), "{url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_and_list_markers_stay_outside_the_mask() {
    let upstream = FakeUpstream::start(|r| {
        Reply::json(chat_completion(&format!("echo: {}", chat_text(&r.json()))))
    })
    .await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let text = format!("contact = '{EMAIL}'\n- {NAME} leads the team\n(call {PHONE})");
    let body = json!({"model": "m", "messages": [{"role": "user", "content": text}]});
    let answer = post_json(&proxy, CHAT, &body).await;
    assert_eq!(answer.status, 200);
    let sent = chat_text(&upstream.last().json());
    assert!(sent.contains("contact = '[EMAIL_1]'"), "{sent}");
    assert!(sent.contains("\n- [PERSON_1] leads"), "{sent}");
    assert!(sent.contains("(call [PHONE_1])"), "{sent}");
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        format!("echo: {text}")
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_ids_in_paths_are_validated() {
    let upstream =
        FakeUpstream::start(|_| Reply::json(json!({"id": "gpt-test", "object": "model"}))).await;
    let proxy = Proxy::start(&upstream, |_| {}).await;
    let get = |path: &str| {
        send(
            Request::get(proxy.url(path))
                .header("authorization", "Bearer sk-test-client-key")
                .body(Full::default())
                .unwrap(),
        )
    };
    assert_eq!(
        get("/v1/models/ft:gpt-4o-mini:org::abc123").await.status,
        200
    );
    assert_eq!(
        upstream.last().path,
        "/v1/models/ft:gpt-4o-mini:org::abc123"
    );
    let forwarded = upstream.requests().len();
    for bad in [
        "/v1/models/../../admin",
        "/v1/models/a/../b",
        "/v1/models/jane.roe@example-mail.com",
        "/v1/models/x%2F..%2Fy",
        "/v1/models/gpt-4o?user=jane",
    ] {
        let answer = get(bad).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.text());
    }
    assert_eq!(
        upstream.requests().len(),
        forwarded,
        "nothing more forwarded"
    );
    proxy.stop().await;
}
