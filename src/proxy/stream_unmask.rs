//! Rewriting streamed replies: the upstream's SSE bytes in, the client's unmasked SSE bytes
//! out, for the four streaming formats.
//!
//! Each text stream of a reply (a choice's `content`, a tool call's `arguments`, a
//! Responses item's text, an Anthropic content block) goes through its own
//! [`StreamUnmasker`], which may hold back the tail of a fragment that could still become a
//! placeholder. Held text is released in the event that ends its stream (the chunk with
//! `finish_reason`, the `.done` event, `content_block_stop`), or in events synthesised in
//! the format's own shape before the stream ends. Every other string is unmasked whole
//! ([`unmask_json_strings`]). Unknown fields are kept verbatim (`preserve_order`).
//!
//! With an empty vault nothing can be held or replaced, so events are re-emitted as parsed,
//! without touching their JSON. The SSE framing is still parsed (not forwarded byte for
//! byte) so that the client only ever receives whole events and [`StreamRewriter::fail`] can
//! always append a well-formed error event. Responses sequence numbers are renumbered on the
//! unmasking path only, the one that synthesises events (the proxy owns the numbering there:
//! every event it emits gets the next number, starting from the upstream's first); the fast
//! path only follows them, so that an error event from `fail` continues the sequence.
//!
//! Layout: this file holds the driver (framing, emitting, open streams, flushing);
//! [`chat`] the Chat Completions and Completions chunks; [`typed`] the typed events of
//! Responses and Anthropic.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::api::sse::{self, SseError, SseEvent, SseItem, SseParser};
use crate::privacy::stream::{StreamUnmasker, TextMode};
use crate::privacy::Vault;
use typed::ITEM_SPECS;

/// The streaming wire format of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// `/v1/chat/completions`: `data:` chunks, then `data: [DONE]`.
    ChatCompletions,
    /// `/v1/completions` (legacy): `choices[].text` chunks, then `data: [DONE]`.
    Completions,
    /// `/v1/responses`: typed events with `sequence_number`.
    Responses,
    /// `/v1/messages` (Anthropic): typed events keyed by content block `index`.
    Anthropic,
}

/// The upstream stream cannot be rewritten; the proxy ends it with [`StreamRewriter::fail`].
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The upstream bytes are not a well-formed event stream.
    #[error("upstream sent a malformed event stream: {0}")]
    Sse(#[from] SseError),
}

/// Keys whose string values are opaque tokens (signatures, encrypted state, padding): they
/// are never unmasked, since changing them would break them.
const OPAQUE_KEYS: [&str; 3] = ["signature", "encrypted_content", "obfuscation"];

/// Replaces the placeholders of `vault` in every string of `value`. A string field named
/// `arguments` or `partial_json` is JSON text, so values put into it are JSON-escaped.
pub fn unmask_json_strings(vault: &Vault, value: &mut Value) {
    if !vault.is_empty() {
        walk(vault, value);
    }
}

fn walk(vault: &Vault, value: &mut Value) {
    match value {
        Value::String(s) => unmask_in_place(vault, s, false),
        Value::Array(items) => items.iter_mut().for_each(|v| walk(vault, v)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v) {
                    ("arguments" | "partial_json", Value::String(s)) => {
                        unmask_in_place(vault, s, true)
                    }
                    (k, _) if OPAQUE_KEYS.contains(&k) => {}
                    (_, v) => walk(vault, v),
                }
            }
        }
        _ => {}
    }
}

fn unmask_in_place(vault: &Vault, s: &mut String, json: bool) {
    // Every placeholder carries an ASCII number: skip the regex for the many strings
    // without a digit (ids, roles, most tokens).
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let unmasked = if json {
        vault.unmask_json_fragment(s)
    } else {
        vault.unmask(s)
    };
    if let Cow::Owned(new) = unmasked {
        *s = new;
    }
}

/// Which text stream held text belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// A chat/completions choice's text field (`content`, `refusal`, `text`, …).
    Text { choice: u64, field: &'static str },
    /// A chat choice's tool call arguments; `tool: None` is the legacy `function_call`.
    Tool { choice: u64, tool: Option<u64> },
    /// A Responses text stream: index into [`ITEM_SPECS`], `item_id`, content index.
    Item {
        spec: usize,
        item: String,
        index: u64,
    },
    /// An Anthropic content block, by `index`.
    Block(u64),
}

impl Key {
    fn choice(&self) -> Option<u64> {
        match self {
            Key::Text { choice, .. } | Key::Tool { choice, .. } => Some(*choice),
            _ => None,
        }
    }
}

/// One open text stream.
struct Held {
    key: Key,
    unmasker: StreamUnmasker,
    /// Responses: the first delta event minus its text; Anthropic: the delta minus its text.
    /// What a synthesised event for this stream is built from.
    template: Map<String, Value>,
    /// Anthropic: the name of the delta's text field (`text`, `partial_json`, `thinking`).
    field: &'static str,
}

/// Rewrites one streamed reply for the client, unmasking as it goes.
pub struct StreamRewriter {
    format: StreamFormat,
    vault: Arc<Vault>,
    parser: SseParser,
    /// Reused buffer for the parser's output.
    items: Vec<SseItem>,
    held: Vec<Held>,
    /// Chat/completions: `id`, `object`, `created`, `model` of the last chunk.
    chunk_template: Map<String, Value>,
    /// Responses: the next `sequence_number` to hand out (from the upstream's first one).
    next_seq: Option<u64>,
    /// The stream's terminal event (or an upstream error) has been forwarded.
    ended: bool,
}

impl std::fmt::Debug for StreamRewriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRewriter")
            .field("format", &self.format)
            .field("open_streams", &self.held.len())
            .field("ended", &self.ended)
            .finish()
    }
}

impl StreamRewriter {
    /// A rewriter for one reply in `format`, unmasking with `vault`.
    pub fn new(format: StreamFormat, vault: Arc<Vault>) -> Self {
        StreamRewriter {
            format,
            vault,
            parser: SseParser::default(),
            items: Vec::new(),
            held: Vec::new(),
            chunk_template: Map::new(),
            next_seq: None,
            ended: false,
        }
    }

    /// Whether the stream's terminal event (`[DONE]`, `response.completed`, `message_stop`)
    /// or an upstream error has been written out: nothing more is owed to the client.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Feed upstream bytes; append the rewritten SSE bytes for the client to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), StreamError> {
        let mut items = std::mem::take(&mut self.items);
        let parsed = self.parser.push(bytes, &mut items);
        // Items completed before a parse error are still forwarded.
        for item in items.drain(..) {
            self.on_item(item, out);
        }
        self.items = items;
        Ok(parsed?)
    }

    /// Upstream ended cleanly: flush held-back text (as well-formed events of the format).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), StreamError> {
        let mut items = std::mem::take(&mut self.items);
        let parsed = self.parser.finish(&mut items);
        for item in items.drain(..) {
            self.on_item(item, out);
        }
        self.items = items;
        self.flush_all(out);
        Ok(parsed?)
    }

    /// Upstream failed mid-stream: flush what is held, then append a well-formed error
    /// event of the format, unless the stream already ended (its terminal event or an
    /// upstream error was forwarded). A partial upstream event is discarded. Chat and
    /// completions get no `[DONE]` after the error: the OpenAI SDKs raise on the error
    /// chunk, and a client that does not know it must not mistake the stream for complete.
    pub fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        self.parser = SseParser::default();
        self.flush_all(out);
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let (event, mut body) = match self.format {
            StreamFormat::ChatCompletions | StreamFormat::Completions => (
                None,
                json!({"error": {"message": message, "type": "server_error",
                                  "param": null, "code": "upstream_error"}}),
            ),
            StreamFormat::Responses => (
                Some("error"),
                json!({"type": "error", "code": "upstream_error", "message": message,
                       "param": null, "sequence_number": null}),
            ),
            StreamFormat::Anthropic => (
                Some("error"),
                json!({"type": "error", "error": {"type": "api_error", "message": message}}),
            ),
        };
        self.emit(&named(event), &mut body, out);
    }

    fn on_item(&mut self, item: SseItem, out: &mut Vec<u8>) {
        match item {
            SseItem::Comment(text) => sse::write_comment(out, &text),
            SseItem::Event(ev) if self.vault.is_empty() => {
                self.ended |= self.is_terminal(&ev, None);
                if self.format == StreamFormat::Responses {
                    self.track_sequence(&ev.data);
                }
                ev.write_to(out);
            }
            SseItem::Event(ev) => self.on_event(ev, out),
        }
    }

    /// Fast path: follows the upstream's sequence numbers so that an error event from
    /// [`StreamRewriter::fail`] continues them. Deserialising into this one field skips
    /// everything else without allocating.
    fn track_sequence(&mut self, data: &str) {
        #[derive(serde::Deserialize)]
        struct Seq {
            sequence_number: Option<u64>,
        }
        if let Ok(Seq {
            sequence_number: Some(n),
        }) = serde_json::from_str(data)
        {
            self.next_seq = Some(n + 1);
        }
    }

    /// Whether `ev` ends the stream for the client; `ty` is the JSON `type` when parsed (the
    /// fast path only has the event name).
    fn is_terminal(&self, ev: &SseEvent, ty: Option<&str>) -> bool {
        let ty = ty.or(ev.event.as_deref()).unwrap_or("");
        match self.format {
            StreamFormat::ChatCompletions | StreamFormat::Completions => ev.data.trim() == "[DONE]",
            StreamFormat::Responses => matches!(
                ty,
                "response.completed" | "response.failed" | "response.incomplete" | "error"
            ),
            StreamFormat::Anthropic => matches!(ty, "message_stop" | "error"),
        }
    }

    fn on_event(&mut self, mut ev: SseEvent, out: &mut Vec<u8>) {
        let chat = matches!(
            self.format,
            StreamFormat::ChatCompletions | StreamFormat::Completions
        );
        if chat && ev.data.trim() == "[DONE]" {
            self.flush_all(out);
            self.ended = true;
            ev.write_to(out);
            return;
        }
        let Ok(mut value) = serde_json::from_str::<Value>(&ev.data) else {
            // Not JSON: forward it anyway (never drop data), unmasked as plain text.
            if let Cow::Owned(data) = self.vault.unmask(&ev.data) {
                ev.data = data;
            }
            ev.write_to(out);
            return;
        };
        match self.format {
            StreamFormat::ChatCompletions | StreamFormat::Completions => {
                self.on_chunk(&mut value, out)
            }
            StreamFormat::Responses => self.on_response_event(&ev, &mut value, out),
            StreamFormat::Anthropic => self.on_anthropic_event(&ev, &mut value, out),
        }
        self.emit(&ev, &mut value, out);
    }

    /// Writes one JSON event; Responses events get the next sequence number.
    fn emit(&mut self, head: &SseEvent, value: &mut Value, out: &mut Vec<u8>) {
        if self.format == StreamFormat::Responses {
            if let Some(seq) = value.get_mut("sequence_number") {
                let n = *self.next_seq.get_or_insert(seq.as_u64().unwrap_or(0));
                *seq = n.into();
                self.next_seq = Some(n + 1);
            }
        }
        head.write_header(out);
        out.extend_from_slice(b"data: ");
        // serde_json escapes control characters, so the JSON is a single line.
        serde_json::to_writer(&mut *out, value).expect("a Value always serialises");
        out.extend_from_slice(b"\n\n");
    }

    /// The position in `held` of the stream that `is_it` selects, opened with `open` on
    /// first use. (A position, not a reference, so callers can keep borrowing the event.)
    fn stream_index(
        &mut self,
        is_it: impl Fn(&Key) -> bool,
        open: impl FnOnce(&Arc<Vault>) -> Held,
    ) -> usize {
        self.held
            .iter()
            .position(|h| is_it(&h.key))
            .unwrap_or_else(|| {
                let held = open(&self.vault);
                self.held.push(held);
                self.held.len() - 1
            })
    }

    /// Closes and returns the open streams that `pred` selects.
    fn take_streams(&mut self, pred: impl Fn(&Key) -> bool) -> Vec<Held> {
        let (taken, kept) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| pred(&h.key));
        self.held = kept;
        taken
    }

    /// Releases every held text in synthesised events of the format.
    fn flush_all(&mut self, out: &mut Vec<u8>) {
        if self.held.is_empty() {
            return;
        }
        match self.format {
            StreamFormat::ChatCompletions | StreamFormat::Completions => {
                if let Some(mut chunk) = self.synthetic_chunk() {
                    self.emit(&named(None), &mut chunk, out);
                }
            }
            StreamFormat::Responses | StreamFormat::Anthropic => {
                for held in std::mem::take(&mut self.held) {
                    self.emit_synthetic_delta(held, out);
                }
            }
        }
    }

    /// Emits the held text of one Responses item or Anthropic block as a delta event.
    fn emit_synthetic_delta(&mut self, mut held: Held, out: &mut Vec<u8>) {
        let text = held.unmasker.finish();
        if text.is_empty() {
            return;
        }
        let (name, event) = match held.key {
            Key::Item { spec, .. } => {
                let mut event = held.template;
                event.insert("delta".into(), text.into());
                event.insert("sequence_number".into(), Value::Null);
                (ITEM_SPECS[spec].delta, event)
            }
            Key::Block(index) => {
                let mut delta = held.template;
                delta.insert(held.field.into(), text.into());
                let mut event = Map::new();
                event.insert("type".into(), "content_block_delta".into());
                event.insert("index".into(), index.into());
                event.insert("delta".into(), Value::Object(delta));
                ("content_block_delta", event)
            }
            Key::Text { .. } | Key::Tool { .. } => return,
        };
        self.emit(&named(Some(name)), &mut Value::Object(event), out);
    }
}

impl Held {
    fn new(vault: &Arc<Vault>, key: Key, mode: TextMode) -> Held {
        Held {
            key,
            unmasker: StreamUnmasker::new(vault.clone(), mode),
            template: Map::new(),
            field: "",
        }
    }
}

/// The header of an event the proxy writes itself.
fn named(event: Option<&str>) -> SseEvent {
    SseEvent {
        event: event.map(str::to_owned),
        ..SseEvent::default()
    }
}

mod chat;
mod typed;

#[cfg(test)]
mod tests;
