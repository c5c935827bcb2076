//! Responses and Anthropic events: typed events whose text streams are keyed by item id and
//! content index (Responses) or by content block index (Anthropic).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{unmask_json_strings, Held, Key, StreamRewriter};
use crate::api::sse::SseEvent;
use crate::privacy::stream::TextMode;
use crate::privacy::Vault;

/// One Responses text stream: its delta and done event types and how its key is formed.
pub(super) struct ItemSpec {
    pub(super) delta: &'static str,
    done: &'static str,
    /// The index field that, with `item_id`, names the stream.
    index: Option<&'static str>,
    mode: TextMode,
}

pub(super) const ITEM_SPECS: [ItemSpec; 7] = [
    ItemSpec {
        delta: "response.output_text.delta",
        done: "response.output_text.done",
        index: Some("content_index"),
        mode: TextMode::Plain,
    },
    ItemSpec {
        delta: "response.refusal.delta",
        done: "response.refusal.done",
        index: Some("content_index"),
        mode: TextMode::Plain,
    },
    ItemSpec {
        delta: "response.function_call_arguments.delta",
        done: "response.function_call_arguments.done",
        index: None,
        mode: TextMode::Json,
    },
    ItemSpec {
        delta: "response.reasoning_summary_text.delta",
        done: "response.reasoning_summary_text.done",
        index: Some("summary_index"),
        mode: TextMode::Plain,
    },
    ItemSpec {
        delta: "response.reasoning_text.delta",
        done: "response.reasoning_text.done",
        index: Some("content_index"),
        mode: TextMode::Plain,
    },
    ItemSpec {
        delta: "response.custom_tool_call_input.delta",
        done: "response.custom_tool_call_input.done",
        index: None,
        mode: TextMode::Plain,
    },
    ItemSpec {
        delta: "response.mcp_call_arguments.delta",
        done: "response.mcp_call_arguments.done",
        index: None,
        mode: TextMode::Json,
    },
];

impl StreamRewriter {
    pub(super) fn on_response_event(
        &mut self,
        ev: &SseEvent,
        value: &mut Value,
        out: &mut Vec<u8>,
    ) {
        let ty = event_type(ev, value);
        if let Some(spec) = ITEM_SPECS.iter().position(|s| s.delta == ty) {
            return self.on_item_delta(spec, value);
        }
        if let Some(spec) = ITEM_SPECS.iter().position(|s| s.done == ty) {
            // Held text goes out as one more delta, before the done event that closes it.
            let (item, index) = item_key(&ITEM_SPECS[spec], value);
            for held in self.take_streams(|k| k.is_item(spec, item, index)) {
                self.emit_synthetic_delta(held, out);
            }
        } else if self.is_terminal(ev, Some(ty)) {
            self.flush_all(out);
            self.ended = true;
        }
        // The done event's full text (`text`, `arguments`, …) is unmasked whole here.
        unmask_json_strings(&self.vault, value);
    }

    fn on_item_delta(&mut self, spec: usize, value: &mut Value) {
        let i = {
            let (item, index) = item_key(&ITEM_SPECS[spec], value);
            let open = |vault: &Arc<Vault>| Held {
                template: value.as_object().map(delta_template).unwrap_or_default(),
                ..Held::new(
                    vault,
                    Key::Item {
                        spec,
                        item: item.to_owned(),
                        index,
                    },
                    ITEM_SPECS[spec].mode,
                )
            };
            self.stream_index(|k| k.is_item(spec, item, index), open)
        };
        let Value::Object(obj) = value else { return };
        for (key, value) in obj.iter_mut() {
            match (key.as_str(), value) {
                ("delta", Value::String(s)) => *s = self.held[i].unmasker.push(s),
                (_, value) => unmask_json_strings(&self.vault, value),
            }
        }
    }

    pub(super) fn on_anthropic_event(
        &mut self,
        ev: &SseEvent,
        value: &mut Value,
        out: &mut Vec<u8>,
    ) {
        match event_type(ev, value) {
            "content_block_delta" => return self.on_block_delta(value),
            "content_block_stop" => {
                let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
                for held in self.take_streams(|k| *k == Key::Block(index)) {
                    self.emit_synthetic_delta(held, out);
                }
            }
            "message_delta" => self.flush_all(out),
            "message_stop" | "error" => {
                self.flush_all(out);
                self.ended = true;
            }
            _ => {}
        }
        unmask_json_strings(&self.vault, value);
    }

    fn on_block_delta(&mut self, value: &mut Value) {
        let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
        let Some(Value::Object(delta)) = value.get_mut("delta") else {
            return unmask_json_strings(&self.vault, value);
        };
        let (field, mode) = match delta.get("type").and_then(Value::as_str) {
            Some("text_delta") => ("text", TextMode::Plain),
            Some("input_json_delta") => ("partial_json", TextMode::Json),
            Some("thinking_delta") => ("thinking", TextMode::Plain),
            _ => return unmask_json_strings(&self.vault, value), // citations, signatures
        };
        let open = |vault: &Arc<Vault>| {
            let mut template = Map::new();
            template.insert("type".into(), delta["type"].clone());
            Held {
                template,
                field,
                ..Held::new(vault, Key::Block(index), mode)
            }
        };
        let i = self.stream_index(|k| *k == Key::Block(index), open);
        if let Some(Value::String(s)) = delta.get_mut(field) {
            *s = self.held[i].unmasker.push(s);
        }
    }
}

impl Key {
    /// Whether this is the Responses stream `spec`/`item`/`index` (compared in place, so
    /// looking a stream up allocates nothing).
    fn is_item(&self, spec: usize, item: &str, index: u64) -> bool {
        match self {
            Key::Item {
                spec: s,
                item: i,
                index: n,
            } => *s == spec && i == item && *n == index,
            _ => false,
        }
    }
}

/// The event's `type` field, or its SSE event name.
fn event_type<'a>(ev: &'a SseEvent, value: &'a Value) -> &'a str {
    value
        .get("type")
        .and_then(Value::as_str)
        .or(ev.event.as_deref())
        .unwrap_or("")
}

/// `item_id` and the spec's index field of a Responses text event.
fn item_key<'a>(spec: &ItemSpec, value: &'a Value) -> (&'a str, u64) {
    let item = value.get("item_id").and_then(Value::as_str).unwrap_or("");
    let index = spec.index.and_then(|f| value.get(f)?.as_u64()).unwrap_or(0);
    (item, index)
}

/// A delta event without its text, sequence number and padding: the shape of the deltas
/// the proxy synthesises for this stream.
fn delta_template(event: &Map<String, Value>) -> Map<String, Value> {
    event
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "delta" | "sequence_number" | "obfuscation"))
        .map(|(k, v)| {
            let v = if k == "logprobs" {
                Value::Array(Vec::new())
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}
