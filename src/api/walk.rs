//! Every text of a request body that leaves the machine: default deny.
//!
//! Every string value and every object key of a body is text, to be masked, except at the few
//! places a reviewed list names as structural: API field names as keys, and the values of a
//! handful of fields (model id, role, type tags, ids the API issues, enums) when they have the
//! shape such a value has. A value of the wrong shape at a structural field is text like any
//! other, so nothing leaves unread because of where a client put it. Fields the walker does
//! not know are texts too, keys and values, at any depth.
//!
//! Beside the walk, [`check_shape`] refuses a body whose text fields have a JSON type the API
//! does not define (content given as an object, tool-call arguments as an object, …): a proxy
//! guessing at such a body could forward what it misread.

use std::cell::Cell;
use std::fmt;

use serde_json::{Map, Value};

use super::Route;

/// How a visited string is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Prose, a key, or any other string: mask it as it is.
    Plain,
    /// A model id, an id the API issues or an enum value, of the shape such values have:
    /// checked by the rules (a secret or an e-mail put there is still masked) but not read
    /// as prose.
    Identifier,
    /// A string that holds JSON (tool-call arguments): mask the keys and strings inside it.
    Json,
    /// A `data:` URL: its payload is text to mask when its media type is textual, binary media
    /// otherwise.
    DataUrl,
    /// Base64 of a file whose media type a sibling field names (Anthropic `source.data`,
    /// `input_audio.data`); `None` when nothing names it.
    Base64(Option<MediaType>),
}

/// The media type a sibling field gives base64 data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// Text that can be decoded and masked (`text/*`, JSON, XML, CSV, …).
    Text,
    /// Images, audio, PDFs and anything else text detectors cannot read.
    Binary,
}

impl MediaType {
    /// Classifies a MIME type such as `text/plain` or `image/png`.
    pub fn of(mime: &str) -> MediaType {
        let mime = mime.trim().to_ascii_lowercase();
        let essence = mime.split(';').next().unwrap_or("").trim();
        let textual = essence.starts_with("text/")
            || essence.ends_with("+json")
            || essence.ends_with("+xml")
            || matches!(
                essence,
                "application/json"
                    | "application/xml"
                    | "application/csv"
                    | "application/javascript"
                    | "application/x-yaml"
                    | "application/yaml"
                    | "application/x-ndjson"
                    | "application/jsonl"
                    | "application/sql"
                    | "application/x-sh"
                    | "application/toml"
            );
        if textual {
            MediaType::Text
        } else {
            MediaType::Binary
        }
    }
}

/// Who wrote a visited text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The client's side: system prompts, user turns, tool results, prompts, inputs.
    Client,
    /// The model: assistant turns and their tool calls, sent back as history.
    Model,
}

/// Where a visited text sits, e.g. `messages[2].content[0].text`; printed without any key a
/// client made up (those show as `*`), so a path is safe to put in an error or a log.
#[derive(Debug, Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The body itself.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn index<'b>(&'b self, i: usize) -> Path<'b> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    /// The last key on the path (array indices skipped).
    fn last_key(&self) -> Option<&'a str> {
        match self.seg {
            Seg::Key(k) => Some(k),
            Seg::Index(_) => self.parent.and_then(|p| p.last_key()),
            Seg::Root => None,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.seg {
            Seg::Root => Ok(()),
            Seg::Index(i) => write!(f, "[{i}]"),
            Seg::Key(k) => {
                let shown = if is_api_field(k) { k } else { "*" };
                match self.parent.map(|p| p.seg) {
                    None | Some(Seg::Root) => f.write_str(shown),
                    _ => write!(f, ".{shown}"),
                }
            }
        }
    }
}

/// One visited text: how to read it, who wrote it, where it is.
pub struct Visit<'a> {
    pub kind: TextKind,
    pub author: Author,
    pub path: &'a Path<'a>,
}

/// A body refused before anything was forwarded, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    /// Where, as [`Path`] prints it.
    pub path: String,
    /// What is wrong, in words that quote no request content.
    pub message: String,
}

/// The callback of [`visit_texts`]: may refuse the body (binary media, say).
pub type Visitor<'f> = dyn FnMut(&mut String, &Visit) -> Result<(), WalkError> + 'f;

/// Calls `f` on every text of `body` that a request on `route` sends upstream (string values
/// and object keys alike), always in the same order for the same body, with how to read it,
/// who wrote it and where it is. A key `f` changes is renamed in place, keeping the order.
pub fn visit_texts(route: Route, body: &mut Value, f: &mut Visitor) -> Result<(), WalkError> {
    if !route.carries_text() {
        return Ok(());
    }
    let author = Cell::new(Author::Client);
    let mut walker = Walker { author: &author, f };
    let Value::Object(map) = body else {
        return walker.value(body, Zone::Free, &Path::ROOT);
    };
    walker.object(map, Zone::Api, &Path::ROOT)
}

/// Every key and string inside a value a client wrote freely (the JSON inside tool-call
/// arguments), depth first, in document order.
pub fn free_texts(value: &mut Value, f: &mut Visitor) -> Result<(), WalkError> {
    let author = Cell::new(Author::Client);
    Walker { author: &author, f }.value(value, Zone::Free, &Path::ROOT)
}

/// Whether the walker reads a place with the API's meaning (`Api`), or as a client's own
/// data where nothing is structural (`Free`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Api,
    Free,
}

struct Walker<'w, 'f> {
    author: &'w Cell<Author>,
    f: &'w mut Visitor<'f>,
}

impl Walker<'_, '_> {
    fn text(&mut self, s: &mut String, kind: TextKind, path: &Path) -> Result<(), WalkError> {
        let visit = Visit {
            kind,
            author: self.author.get(),
            path,
        };
        (self.f)(s, &visit)
    }

    fn value(&mut self, value: &mut Value, zone: Zone, path: &Path) -> Result<(), WalkError> {
        match value {
            Value::String(s) => {
                let kind = if is_data_url(s) {
                    TextKind::DataUrl
                } else {
                    TextKind::Plain
                };
                self.text(s, kind, path)
            }
            Value::Array(items) => {
                let top_level_items = matches!(path.seg, Seg::Key("messages" | "input"))
                    && path.parent.is_some_and(|p| matches!(p.seg, Seg::Root));
                for (i, item) in items.iter_mut().enumerate() {
                    if top_level_items && zone == Zone::Api {
                        self.author.set(author_of(item));
                    }
                    self.value(item, zone, &path.index(i))?;
                }
                if top_level_items {
                    self.author.set(Author::Client);
                }
                Ok(())
            }
            Value::Object(map) => self.object(map, zone, path),
            Value::Number(_) | Value::Bool(_) | Value::Null => Ok(()),
        }
    }

    fn object(
        &mut self,
        map: &mut Map<String, Value>,
        zone: Zone,
        path: &Path,
    ) -> Result<(), WalkError> {
        let base64_media = match zone {
            Zone::Api => base64_media(map, path),
            Zone::Free => None,
        };
        let mut renamed: Vec<(usize, String)> = Vec::new();
        for (i, (key, value)) in map.iter_mut().enumerate() {
            let child = path.key(key);
            let known = zone == Zone::Api && is_api_field(key);
            if !known {
                let mut k = key.clone();
                self.text(&mut k, TextKind::Plain, &child)?;
                if k != *key {
                    renamed.push((i, k));
                }
            }
            let inner = if known && !is_free_form(key, value) {
                Zone::Api
            } else {
                Zone::Free
            };
            if inner == Zone::Api {
                match structural(key, value) {
                    Some(None) => continue,
                    Some(Some(kind)) => {
                        self.identifiers(value, kind, &child)?;
                        continue;
                    }
                    None => {}
                }
                if let Value::String(s) = value {
                    let kind = match (key.as_str(), base64_media) {
                        _ if is_data_url(s) => TextKind::DataUrl,
                        ("data", Some(media)) => TextKind::Base64(media),
                        ("file_data", _) => TextKind::Base64(None),
                        ("arguments", _) => TextKind::Json,
                        _ => TextKind::Plain,
                    };
                    self.text(s, kind, &child)?;
                    continue;
                }
            }
            self.value(value, inner, &child)?;
        }
        if !renamed.is_empty() {
            rename_keys(map, renamed);
        }
        Ok(())
    }
}

impl Walker<'_, '_> {
    /// An identifier, or a list of them (`include`, `modalities`, `vector_store_ids`).
    fn identifiers(
        &mut self,
        value: &mut Value,
        kind: TextKind,
        path: &Path,
    ) -> Result<(), WalkError> {
        match value {
            Value::String(s) => self.text(s, kind, path),
            Value::Array(items) => items.iter_mut().enumerate().try_for_each(|(i, v)| match v {
                Value::String(s) => self.text(s, kind, &path.index(i)),
                _ => Ok(()),
            }),
            _ => Ok(()),
        }
    }
}

/// Renames the keys at the given positions, keeping the order of the members.
fn rename_keys(map: &mut Map<String, Value>, renamed: Vec<(usize, String)>) {
    let mut renamed = renamed.into_iter().peekable();
    let old = std::mem::take(map);
    for (i, (key, value)) in old.into_iter().enumerate() {
        let key = match renamed.peek() {
            Some((at, _)) if *at == i => renamed.next().map(|(_, k)| k).unwrap_or(key),
            _ => key,
        };
        map.insert(key, value);
    }
}

/// Whether `data` in this object is base64 of a file, and of which media: Anthropic's
/// `{"type": "base64", "media_type": …, "data": …}` sources and OpenAI's `input_audio`.
fn base64_media(map: &Map<String, Value>, path: &Path) -> Option<Option<MediaType>> {
    if !map.contains_key("data") {
        return None;
    }
    if path.last_key() == Some("input_audio") {
        return Some(Some(MediaType::Binary));
    }
    let kind = map.get("type").and_then(Value::as_str);
    let media = map
        .get("media_type")
        .and_then(Value::as_str)
        .map(MediaType::of);
    match kind {
        Some("text") => None,
        Some("base64") => Some(media),
        _ => media.map(Some),
    }
}

/// A `data:` URL (case-insensitive scheme).
fn is_data_url(s: &str) -> bool {
    s.len() >= 5 && s.as_bytes()[..5].eq_ignore_ascii_case(b"data:")
}

/// The model wrote assistant messages and Responses function calls; the client the rest.
fn author_of(item: &Value) -> Author {
    let role = item.get("role").and_then(Value::as_str);
    let kind = item.get("type").and_then(Value::as_str);
    if role == Some("assistant") || kind == Some("function_call") {
        Author::Model
    } else {
        Author::Client
    }
}

/// Whether the known field `key` holds the client's own data, where nothing is structural:
/// metadata maps, JSON schemas (property names are the client's words), template variables,
/// tool inputs and arguments given as objects.
fn is_free_form(key: &str, value: &Value) -> bool {
    FREE_FORM.contains(&key) || (matches!(key, "input" | "arguments") && value.is_object())
}

const FREE_FORM: &[&str] = &[
    "metadata",
    "parameters",
    "input_schema",
    "schema",
    "variables",
    "logit_bias",
    "attributes",
    "headers",
    "filters",
    "env",
];

/// What the value at the known field `key` is: a role or type tag the API defines
/// (`Some(None)`, not a text at all), an identifier (`Some(Some(Identifier))`: model ids, ids
/// the API issues, enum values, of their shape), or text like any other (`None`).
fn structural(key: &str, value: &Value) -> Option<Option<TextKind>> {
    let (check, kind): (fn(&str) -> bool, _) = match key {
        "role" => (|s| ROLES.contains(&s), None),
        "type" => (|s| TYPE_TAGS.contains(&s), None),
        "model" => (is_model_id, Some(TextKind::Identifier)),
        "id"
        | "tool_call_id"
        | "call_id"
        | "tool_use_id"
        | "previous_response_id"
        | "file_id"
        | "item_id"
        | "response_id"
        | "container_id"
        | "vector_store_ids" => (is_api_id, Some(TextKind::Identifier)),
        "detail"
        | "format"
        | "encoding_format"
        | "reasoning_effort"
        | "effort"
        | "service_tier"
        | "truncation"
        | "verbosity"
        | "search_context_size"
        | "voice"
        | "media_type"
        | "tool_choice"
        | "summary"
        | "include"
        | "modalities"
        | "status"
        | "generate_summary"
        | "ttl"
        | "object"
        | "mode" => (is_enum_value, Some(TextKind::Identifier)),
        _ => return None,
    };
    let fits = match value {
        Value::String(s) => check(s),
        Value::Array(items) => items.iter().all(|v| v.as_str().is_some_and(check)),
        _ => false,
    };
    fits.then_some(kind)
}

const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// The `type` tags of the OpenAI and Anthropic request formats.
const TYPE_TAGS: &[&str] = &[
    "text",
    "image_url",
    "input_audio",
    "file",
    "refusal",
    "function",
    "custom",
    "grammar",
    "json_schema",
    "json_object",
    "content",
    "message",
    "input_text",
    "input_image",
    "input_file",
    "output_text",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "reasoning",
    "summary_text",
    "reasoning_text",
    "item_reference",
    "file_search",
    "file_search_call",
    "web_search",
    "web_search_preview",
    "web_search_call",
    "computer_use_preview",
    "computer_call",
    "computer_call_output",
    "code_interpreter",
    "code_interpreter_call",
    "image_generation",
    "image_generation_call",
    "local_shell",
    "local_shell_call",
    "local_shell_call_output",
    "exec",
    "mcp",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "approximate",
    "auto",
    "any",
    "none",
    "tool",
    "tool_use",
    "tool_result",
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "base64",
    "url",
    "enabled",
    "disabled",
    "ephemeral",
    "server_tool_use",
    "web_search_tool_result",
    "char_location",
    "page_location",
    "content_block_location",
];

/// A model id: `gpt-4o-mini`, `claude-3-5-sonnet-latest`, `ft:gpt-4o:org::abc`,
/// `accounts/x/models/y`. No spaces, no `@`.
fn is_model_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b))
}

/// An id the API issues: a short lower-case prefix, `_` or `-`, then base62-ish characters
/// with at least one digit (`call_abc123`, `toolu_01A…`, `resp_67cc…`, `file-abc123`).
fn is_api_id(s: &str) -> bool {
    let Some(sep) = s.find(['_', '-']) else {
        return false;
    };
    let (prefix, tail) = (&s[..sep], &s[sep + 1..]);
    (2..=12).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && (3..=200).contains(&tail.len())
        && tail
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && tail.bytes().any(|b| b.is_ascii_digit())
}

/// An enum value: a short lower-case token (`high`, `auto`, `image/png`, `wav`).
fn is_enum_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._/+-".contains(&b))
}

/// Whether `key` is a field name of the OpenAI or Anthropic request formats: such keys are
/// the API's words, never a client's data. Any other key is text.
pub fn is_api_field(key: &str) -> bool {
    API_FIELDS.binary_search(&key).is_ok()
}

/// Field names of the request bodies of every route, sorted (checked by a test).
const API_FIELDS: &[&str] = &[
    "action",
    "allowed_tools",
    "annotations",
    "approximate",
    "arguments",
    "attributes",
    "audio",
    "background",
    "best_of",
    "budget_tokens",
    "cache_control",
    "call_id",
    "citations",
    "city",
    "command",
    "container",
    "container_id",
    "content",
    "context",
    "conversation",
    "country",
    "custom",
    "data",
    "description",
    "detail",
    "dimensions",
    "disable_parallel_tool_use",
    "echo",
    "effort",
    "enabled",
    "encoding_format",
    "encrypted_content",
    "env",
    "file",
    "file_data",
    "file_id",
    "file_url",
    "filename",
    "filters",
    "format",
    "frequency_penalty",
    "function",
    "function_call",
    "functions",
    "generate_summary",
    "headers",
    "id",
    "image_url",
    "include",
    "include_obfuscation",
    "include_usage",
    "input",
    "input_audio",
    "input_schema",
    "instructions",
    "is_error",
    "item_id",
    "json_schema",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_num_results",
    "max_output_tokens",
    "max_tokens",
    "max_tool_calls",
    "media_type",
    "messages",
    "metadata",
    "modalities",
    "mode",
    "model",
    "n",
    "name",
    "object",
    "output",
    "parallel_tool_calls",
    "parameters",
    "prediction",
    "presence_penalty",
    "previous_response_id",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "queries",
    "reasoning",
    "reasoning_effort",
    "refusal",
    "region",
    "require_approval",
    "response_format",
    "response_id",
    "results",
    "role",
    "safety_identifier",
    "schema",
    "search_context_size",
    "seed",
    "server_label",
    "server_url",
    "service_tier",
    "signature",
    "source",
    "status",
    "stop",
    "stop_sequences",
    "store",
    "stream",
    "stream_options",
    "strict",
    "suffix",
    "summary",
    "system",
    "temperature",
    "text",
    "thinking",
    "timeout_ms",
    "timezone",
    "title",
    "tool_call_id",
    "tool_calls",
    "tool_choice",
    "tool_use_id",
    "tools",
    "top_k",
    "top_logprobs",
    "top_p",
    "truncation",
    "ttl",
    "type",
    "url",
    "user",
    "user_id",
    "user_location",
    "vector_store_ids",
    "verbosity",
    "version",
    "voice",
    "web_search_options",
    "working_directory",
];

/// Refuses a body whose text fields have a JSON type the route's API does not define, naming
/// the field. Such a body is never forwarded: the walker would read it, but a proxy should not
/// guess what a client meant by `content: {…}`.
pub fn check_shape(route: Route, body: &Value) -> Result<(), WalkError> {
    let root = Path::ROOT;
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    let field = |key: &'static str| (obj.get(key), root.key(key));
    match route {
        Route::ChatCompletions | Route::Messages => {
            if route == Route::Messages {
                let (v, p) = field("system");
                content(v, &p)?;
                let (v, p) = field("stop_sequences");
                expect(v, &p, &[Ty::Array(&Ty::String)], "an array of strings")?;
            } else {
                let (v, p) = field("stop");
                expect(v, &p, &[Ty::String, Ty::Array(&Ty::String)], STRINGS)?;
            }
            let (messages, p) = field("messages");
            expect(
                messages,
                &p,
                &[Ty::Array(&Ty::Object)],
                "an array of message objects",
            )?;
            for (i, m) in list(messages).iter().enumerate() {
                message(m, &p.index(i))?;
            }
            if let Some(prediction) = obj.get("prediction") {
                let p = root.key("prediction");
                content(prediction.get("content"), &p.key("content"))?;
            }
        }
        Route::Completions => {
            let (v, p) = field("prompt");
            expect(v, &p, &[Ty::String, Ty::Array(&Ty::Any)], STRINGS)?;
            let (v, p) = field("suffix");
            expect(v, &p, &[Ty::String], "a string")?;
        }
        Route::Embeddings => {
            let (v, p) = field("input");
            expect(v, &p, &[Ty::String, Ty::Array(&Ty::Any)], STRINGS)?;
        }
        Route::Responses => {
            let (v, p) = field("instructions");
            expect(v, &p, &[Ty::String], "a string")?;
            let (input, p) = field("input");
            objects_or_strings(input, &p, "items", |item, p| {
                message(item, p)?;
                let (v, q) = (item.get("output"), p.key("output"));
                let parts = [Ty::String, Ty::Array(&Ty::Object)];
                expect(v, &q, &parts, "a string or an array of parts")
            })?;
        }
        Route::Models | Route::Health | Route::Metrics => {}
    }
    let (v, p) = field("user");
    expect(v, &p, &[Ty::String], "a string")?;
    let (v, p) = field("metadata");
    expect(v, &p, &[Ty::Object], "an object")
}

const STRINGS: &str = "a string or an array of strings";

/// One message (chat, Anthropic) or Responses item: its content and its tool calls.
fn message(m: &Value, p: &Path) -> Result<(), WalkError> {
    content(m.get("content"), &p.key("content"))?;
    let (v, q) = (m.get("name"), p.key("name"));
    expect(v, &q, &[Ty::String], "a string")?;
    let (calls, q) = (m.get("tool_calls"), p.key("tool_calls"));
    expect(
        calls,
        &q,
        &[Ty::Array(&Ty::Object)],
        "an array of tool call objects",
    )?;
    for (i, call) in list(calls).iter().enumerate() {
        let q = q.index(i);
        function(call.get("function"), &q.key("function"))?;
    }
    function(m.get("function_call"), &p.key("function_call"))?;
    let (v, q) = (m.get("arguments"), p.key("arguments"));
    expect(v, &q, &[Ty::String], "a string of JSON")
}

/// A tool call's `function`: `arguments` must be a string holding JSON.
fn function(f: Option<&Value>, p: &Path) -> Result<(), WalkError> {
    expect(f, p, &[Ty::Object], "an object")?;
    let Some(f) = f else { return Ok(()) };
    let (v, q) = (f.get("arguments"), p.key("arguments"));
    expect(v, &q, &[Ty::String], "a string of JSON")
}

/// Content: a string, or an array of parts whose `text` is a string; nested `content`
/// (Anthropic tool results) the same.
fn content(v: Option<&Value>, p: &Path) -> Result<(), WalkError> {
    objects_or_strings(v, p, "content parts", |part, q| {
        let (t, r) = (part.get("text"), q.key("text"));
        expect(t, &r, &[Ty::String], "a string")?;
        content(part.get("content"), &q.key("content"))
    })
}

/// A string, or an array of strings and objects (content parts, Responses items); `each`
/// checks every object.
fn objects_or_strings(
    v: Option<&Value>,
    p: &Path,
    what: &str,
    mut each: impl FnMut(&Value, &Path) -> Result<(), WalkError>,
) -> Result<(), WalkError> {
    let expected = format!("a string or an array of {what}");
    expect(v, p, &[Ty::String, Ty::Array(&Ty::Any)], &expected)?;
    for (i, item) in list(v).iter().enumerate() {
        let q = p.index(i);
        let expected = format!("a string or an object (one of the {what})");
        expect(Some(item), &q, &[Ty::String, Ty::Object], &expected)?;
        if item.is_object() {
            each(item, &q)?;
        }
    }
    Ok(())
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A JSON type a field may have.
enum Ty {
    Any,
    String,
    Object,
    Array(&'static Ty),
}

impl Ty {
    fn admits(&self, v: &Value) -> bool {
        match (self, v) {
            (Ty::Any, _) => true,
            (Ty::String, Value::String(_)) | (Ty::Object, Value::Object(_)) => true,
            (Ty::Array(item), Value::Array(items)) => items.iter().all(|v| item.admits(v)),
            _ => false,
        }
    }
}

/// `v` absent, null, or one of `types`; else an error naming the path and `expected`.
fn expect(v: Option<&Value>, p: &Path, types: &[Ty], expected: &str) -> Result<(), WalkError> {
    match v {
        None | Some(Value::Null) => Ok(()),
        Some(v) if types.iter().any(|t| t.admits(v)) => Ok(()),
        Some(v) => Err(WalkError {
            path: p.to_string(),
            message: format!("{p} must be {expected}, not {}", type_name(v)),
        }),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array of other things",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
