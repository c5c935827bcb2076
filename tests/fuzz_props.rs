//! Fuzz-style properties on inputs nobody would write by hand (bounded case counts, so the
//! whole file runs in seconds). `stream_props.rs` checks the same components on well-formed,
//! generated streams; here the inputs are arbitrary:
//!
//! - the SSE parser on arbitrary bytes: never panics, and any chunking gives the same items
//!   and the same error;
//! - the stream rewriter on arbitrary bytes: never panics, and what it sends the client is
//!   always a well-formed event stream;
//! - the stream unmasker on arbitrary Unicode with placeholders of every type spliced in:
//!   any split gives exactly the whole-text unmask;
//! - the request walker on arbitrary JSON for every route: masking never panics, and
//!   unmasking every visited text restores the original body;
//! - default deny: values planted at random places of random bodies (string values, parts of
//!   strings, object keys, tool-call arguments, `data:` URLs, at any depth) never leave in a
//!   body that passes the shape check, whatever the key or type around them.

use std::sync::{Arc, LazyLock};

use proptest::prelude::*;
use serde_json::{Map, Value};
use veilgate::api::sse::{SseError, SseItem, SseParser};
use veilgate::api::walk::{check_shape, free_texts, visit_texts, TextKind};
use veilgate::api::Route;
use veilgate::config::BinaryMedia;
use veilgate::privacy::stream::{StreamUnmasker, TextMode};
use veilgate::privacy::{EntityType, Masker, Vault};
use veilgate::proxy::mask::{mask_body, MaskPolicy};
use veilgate::proxy::stream_unmask::{StreamFormat, StreamRewriter};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

/// Splits `len` units at the sorted, deduplicated `cuts` (taken modulo `len + 1`).
fn ranges(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    points.extend([0, len]);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| (w[0], w[1])).collect()
}

// ---------- SSE parser ----------

/// Byte soup biased towards the grammar: field names, colons, every line ending, BOMs,
/// broken UTF-8, and arbitrary bytes.
fn sse_bytes() -> impl Strategy<Value = Vec<u8>> {
    const PIECES: &[&[u8]] = &[
        b"data:",
        b"data: ",
        b"event:",
        b"id:",
        b"retry:",
        b"retry: 12",
        b":",
        b": ping",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b" ",
        b"x",
        b"{}",
        b"[DONE]",
        b"\xef\xbb\xbf",
        b"\xc3\xa9",
        b"\xc3",
        b"\xa9",
        b"\xff",
        b"\xf0\x9f\x98",
        b"\x80",
        b"\0",
    ];
    let piece = prop_oneof![
        3 => prop::sample::select(PIECES).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|p| p.concat())
}

/// Every item up to the first error, and that error (parsing stops there, as the proxy does).
fn parse_chunks(bytes: &[u8], cuts: &[usize], max_line: usize) -> (Vec<SseItem>, Option<SseError>) {
    let mut parser = SseParser::new(max_line);
    let mut items = Vec::new();
    for (a, b) in ranges(bytes.len(), cuts) {
        if let Err(e) = parser.push(&bytes[a..b], &mut items) {
            return (items, Some(e));
        }
    }
    let end = parser.finish(&mut items).err();
    (items, end)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn sse_parser_on_arbitrary_bytes_is_independent_of_chunking(
        bytes in sse_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
        max_line in prop_oneof![Just(8usize), Just(24), Just(1 << 20)],
    ) {
        let whole = parse_chunks(&bytes, &[], max_line);
        prop_assert_eq!(&parse_chunks(&bytes, &cuts, max_line), &whole);
        let bytewise: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(parse_chunks(&bytes, &bytewise, max_line), whole);
    }

    #[test]
    fn stream_rewriter_on_arbitrary_bytes_sends_a_well_formed_stream(
        bytes in sse_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        format in prop::sample::select(&[
            StreamFormat::ChatCompletions, StreamFormat::Completions,
            StreamFormat::Responses, StreamFormat::Anthropic,
        ][..]),
    ) {
        let mut rewriter = StreamRewriter::new(format, vault());
        let mut out = Vec::new();
        let mut failed = false;
        for (a, b) in ranges(bytes.len(), &cuts) {
            if rewriter.push(&bytes[a..b], &mut out).is_err() {
                failed = true;
                break;
            }
        }
        if failed || rewriter.finish(&mut out).is_err() {
            rewriter.fail("upstream sent a malformed event stream", &mut out);
        }
        let (_, error) = parse_chunks(&out, &[], usize::MAX);
        prop_assert!(error.is_none(), "client stream is malformed: {:?}", error);
        prop_assert!(out.is_empty() || out.ends_with(b"\n\n"), "a partial event was sent");
    }
}

// ---------- stream unmasker ----------

/// Three values of every type; values hold quotes, backslashes and non-ASCII to test the
/// JSON escaping.
fn vault() -> Arc<Vault> {
    static VAULT: LazyLock<Arc<Vault>> = LazyLock::new(|| {
        let mut v = Vault::new();
        for kind in EntityType::ALL {
            for n in 1..=3 {
                v.placeholder(kind, &format!("«{kind} \"{n}\"\\»"));
            }
        }
        Arc::new(v)
    });
    VAULT.clone()
}

/// A placeholder variant as models write them: any type, numbers in and out of the vault.
fn placeholder() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(EntityType::ALL.to_vec());
    let form =
        prop::sample::select(&["[{}_{}]", "{}_{}", "<{}_{}>", "{{{{{}_{}}}}}", "[{} {}]"][..]);
    (kind, 0u32..12, form, any::<bool>()).prop_map(|(kind, n, form, lower)| {
        let tag = if lower {
            kind.as_str().to_lowercase()
        } else {
            kind.as_str().to_string()
        };
        let (a, b) = form
            .split_once("{}_{}")
            .or_else(|| form.split_once("{} {}"))
            .unwrap();
        let sep = if form.contains("{} {}") { " " } else { "_" };
        format!(
            "{}{tag}{sep}{n}{}",
            a.replace("{{", "{"),
            b.replace("}}", "}")
        )
    })
}

/// Arbitrary Unicode with placeholders spliced in.
fn spliced_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        2 => any::<String>().prop_map(|s| s.chars().take(6).collect::<String>()),
        2 => placeholder(),
        1 => prop::sample::select(&["[", "]", "_", " ", "{", "}", "<", ">", "1", "\\", "\""][..])
            .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

fn unmask_split(text: &str, cuts: &[usize], mode: TextMode) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut unmasker = StreamUnmasker::new(vault(), mode);
    let mut out = String::new();
    for (a, b) in ranges(chars.len(), cuts) {
        let start = chars[a].0;
        let end = chars.get(b).map_or(text.len(), |c| c.0);
        out.push_str(&unmasker.push(&text[start..end]));
    }
    out + &unmasker.finish()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn stream_unmasker_on_arbitrary_text_equals_whole_text_unmask(
        text in spliced_text(),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let vault = vault();
        prop_assert_eq!(unmask_split(&text, &cuts, TextMode::Plain), vault.unmask(&text).into_owned());
        prop_assert_eq!(
            unmask_split(&text, &cuts, TextMode::Json),
            vault.unmask_json_fragment(&text).into_owned()
        );
    }
}

// ---------- request walker ----------

fn masker() -> &'static Masker {
    static MASKER: LazyLock<Masker> = LazyLock::new(|| {
        let cfg = veilgate::config::PrivacyConfig {
            tagger: false,
            ..Default::default()
        };
        veilgate::privacy::build_masker(&cfg).expect("the embedded rules load")
    });
    &MASKER
}

/// Text with personal data the rules find, placeholder look-alikes the client wrote itself,
/// and arbitrary Unicode.
fn request_text() -> impl Strategy<Value = String> {
    const PII: &[&str] = &[
        "jane.roe@example-mail.com",
        "4111 1111 1111 1111",
        "DE89 3704 0044 0532 0130 00",
        "536-22-8417",
        "10.23.45.67",
        "+1 415 555 0132",
        "AKIA4HZQ7XK2M9PLR3TB",
        "\"quoted\" \\ back",
    ];
    let piece = prop_oneof![
        2 => prop::sample::select(PII).prop_map(str::to_string),
        1 => placeholder(),
        2 => any::<String>().prop_map(|s| s.chars().take(5).collect::<String>()),
        1 => Just(" ".to_string()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

/// Keys the walker looks for, so random objects often take its paths.
const KEYS: &[&str] = &[
    "messages",
    "content",
    "text",
    "refusal",
    "input",
    "prompt",
    "suffix",
    "system",
    "instructions",
    "tool_calls",
    "function",
    "function_call",
    "arguments",
    "output",
    "user",
    "metadata",
    "prediction",
    "role",
    "type",
    "model",
    "id",
    "tool_call_id",
    "name",
    "data",
    "file_data",
    "url",
    "format",
    "media_type",
    "source",
    "tools",
    "parameters",
    "x",
];

/// Arbitrary JSON whose strings are [`request_text`], or (for tool arguments) JSON text.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        request_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..5).prop_map(
                |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
            // A string holding JSON, as tool-call arguments do.
            inner.prop_map(|v| Value::String(v.to_string())),
        ]
    })
}

/// A request body for `route`: an object with the route's fields, values arbitrary.
fn body() -> impl Strategy<Value = (Route, Value)> {
    let route = prop::sample::select(
        &[
            Route::ChatCompletions,
            Route::Completions,
            Route::Responses,
            Route::Embeddings,
            Route::Messages,
        ][..],
    );
    let fields = prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..5);
    (route, fields).prop_map(|(route, fields)| {
        let map: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        (route, Value::Object(map))
    })
}

/// Rewrites every visited text with `f` (tool arguments that are JSON: their keys and
/// strings).
fn map_texts(route: Route, body: &mut Value, f: &dyn Fn(&str) -> String) {
    visit_texts(route, body, &mut |s, visit| {
        match (visit.kind, serde_json::from_str::<Value>(s)) {
            (TextKind::Json, Ok(mut inner)) => {
                free_texts(&mut inner, &mut |leaf, _| {
                    *leaf = f(leaf);
                    Ok(())
                })?;
                *s = inner.to_string();
            }
            _ => *s = f(s),
        }
        Ok(())
    })
    .expect("the visitor refuses nothing");
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn masking_then_unmasking_every_visited_text_restores_the_body((route, body) in body()) {
        let masked = mask_body(masker(), route, body.clone(), &MaskPolicy { binary_media: BinaryMedia::Pass, ..MaskPolicy::default() }).expect("rules never fail");
        let vault = masked.vault;
        let mut restored = masked.body;
        map_texts(route, &mut restored, &|s| vault.unmask(s).into_owned());
        // Tool arguments with a value masked are re-serialised compactly: compare them as
        // JSON text in that same form on both sides.
        let mut original = body;
        map_texts(route, &mut original, &str::to_owned);
        map_texts(route, &mut restored, &str::to_owned);
        prop_assert_eq!(restored, original);
    }
}

/// Values the rules always find, and that must never leave.
const PLANTED: [&str; 5] = [
    "jane.roe@example-mail.com",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "AKIA4HZQ7XK2M9PLR3TB",
    "536-22-8417",
];

/// How one value is planted.
#[derive(Debug, Clone)]
enum Plant {
    /// A string value of its own.
    Value,
    /// Inside a string, between other words.
    Inside,
    /// As an object key.
    Key,
    /// In a JSON string (tool-call arguments), as a value.
    JsonString,
    /// In a base64 `data:` URL of text.
    DataUrl,
}

/// Puts `value` at the `at`-th container (object or array) of `body`, counted depth first,
/// wrapped as `how` says; returns whether it found a place.
fn plant(body: &mut Value, at: &mut usize, value: &str, how: &Plant, key: &str) -> bool {
    use base64::Engine as _;
    let planted = || match how {
        Plant::Value | Plant::Key => Value::String(value.to_string()),
        Plant::Inside => Value::String(format!("see {value} now")),
        Plant::JsonString => Value::String(serde_json::json!({ "to": value }).to_string()),
        Plant::DataUrl => Value::String(format!(
            "data:text/plain;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(format!("mail {value}"))
        )),
    };
    match body {
        Value::Object(map) => {
            if *at == 0 {
                match how {
                    Plant::Key => map.insert(value.to_string(), Value::Bool(true)),
                    _ => map.insert(key.to_string(), planted()),
                };
                return true;
            }
            *at -= 1;
            map.values_mut().any(|v| plant(v, at, value, how, key))
        }
        Value::Array(items) => {
            if *at == 0 {
                items.push(planted());
                return true;
            }
            *at -= 1;
            items.iter_mut().any(|v| plant(v, at, value, how, key))
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn planted_values_never_leave_whatever_the_place(
        (route, body) in body(),
        value in prop::sample::select(&PLANTED[..]),
        how in prop_oneof![
            Just(Plant::Value), Just(Plant::Inside), Just(Plant::Key),
            Just(Plant::JsonString), Just(Plant::DataUrl)
        ],
        at in 0usize..12,
        key in prop::sample::select(KEYS),
    ) {
        // The random text around carries the same values glued to arbitrary characters; only
        // the planted one is under test.
        let mut body: Value = serde_json::from_str(&PLANTED.iter().fold(body.to_string(), |b, v| {
            b.replace(v, "x")
        })).unwrap();
        let mut at = at;
        if !plant(&mut body, &mut at, value, &how, key) {
            let mut first = 0;
            plant(&mut body, &mut first, value, &how, key);
        }
        // The pipeline: a body of the wrong shape is refused before masking.
        if check_shape(route, &body).is_err() {
            return Ok(());
        }
        let Ok(masked) = mask_body(masker(), route, body.clone(), &MaskPolicy::default()) else {
            return Ok(()); // refused: nothing leaves
        };
        let sent = serde_json::to_string(&masked.body).unwrap();
        let mut readable = sent.clone();
        visit_texts(route, &mut masked.body.clone(), &mut |s, _| {
            readable.push_str(s);
            if let Some((_, payload)) = s.split_once(";base64,") {
                use base64::Engine as _;
                if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(payload) {
                    readable.push_str(&String::from_utf8_lossy(&b));
                }
            }
            Ok(())
        }).unwrap();
        prop_assert!(!readable.contains(value), "{value} left in {sent}");
    }
}
