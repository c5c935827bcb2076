//! Chat Completions and legacy Completions chunks: text streams keyed by choice index and
//! field (`content`, `refusal`, reasoning, tool call `arguments`, completions `text`).

use serde_json::{json, Map, Value};

use super::{unmask_json_strings, Held, Key, StreamFormat, StreamRewriter};
use crate::privacy::stream::TextMode;

/// The text fields of a chat delta that stream (`reasoning` is what some gateways call
/// `reasoning_content`).
const CHAT_TEXT_FIELDS: [&str; 4] = ["content", "refusal", "reasoning_content", "reasoning"];

impl StreamRewriter {
    /// Unmasks one chunk in place: streamed fields through their unmaskers, the rest whole.
    pub(super) fn on_chunk(&mut self, chunk: &mut Value, out: &mut Vec<u8>) {
        let Value::Object(obj) = chunk else {
            return unmask_json_strings(&self.vault, chunk);
        };
        if obj.contains_key("error") {
            // An upstream error chunk ends the stream for the SDKs: release held text first.
            self.flush_all(out);
            self.ended = true;
        }
        self.remember_chunk(obj);
        for (key, value) in obj.iter_mut() {
            match (key.as_str(), value) {
                ("choices", Value::Array(choices)) => {
                    for (pos, choice) in choices.iter_mut().enumerate() {
                        self.on_choice(pos as u64, choice);
                    }
                }
                (_, value) => unmask_json_strings(&self.vault, value),
            }
        }
    }

    /// Keeps what a synthesised chunk copies; ids are compared first so that the usual
    /// chunk costs no clone.
    fn remember_chunk(&mut self, obj: &Map<String, Value>) {
        if !obj.contains_key("id") || self.chunk_template.get("id") == obj.get("id") {
            return;
        }
        self.chunk_template = ["id", "object", "created", "model", "system_fingerprint"]
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), obj.get(k)?.clone())))
            .collect();
    }

    fn on_choice(&mut self, pos: u64, choice: &mut Value) {
        let Value::Object(c) = choice else {
            return unmask_json_strings(&self.vault, choice);
        };
        let idx = c.get("index").and_then(Value::as_u64).unwrap_or(pos);
        for (key, value) in c.iter_mut() {
            match (self.format, key.as_str()) {
                (StreamFormat::Completions, "text") => {
                    let key = Key::Text {
                        choice: idx,
                        field: "text",
                    };
                    self.stream_text(key, TextMode::Plain, value);
                }
                (StreamFormat::ChatCompletions, "delta") => self.on_delta(idx, value),
                _ => unmask_json_strings(&self.vault, value),
            }
        }
        if c.get("finish_reason").is_some_and(|f| !f.is_null()) {
            // The choice is complete: its held text joins this very chunk.
            for mut held in self.take_streams(|k| k.choice() == Some(idx)) {
                let text = held.unmasker.finish();
                if !text.is_empty() {
                    merge_held(self.format, c, &held.key, text);
                }
            }
        }
    }

    fn on_delta(&mut self, choice: u64, delta: &mut Value) {
        let Value::Object(d) = delta else {
            return unmask_json_strings(&self.vault, delta);
        };
        for (key, value) in d.iter_mut() {
            match key.as_str() {
                "tool_calls" => self.on_tool_calls(choice, value),
                "function_call" => self.on_function(choice, None, value),
                k => match CHAT_TEXT_FIELDS.into_iter().find(|f| *f == k) {
                    Some(field) => {
                        self.stream_text(Key::Text { choice, field }, TextMode::Plain, value)
                    }
                    None => unmask_json_strings(&self.vault, value),
                },
            }
        }
    }

    fn on_tool_calls(&mut self, choice: u64, calls: &mut Value) {
        let Value::Array(calls) = calls else {
            return unmask_json_strings(&self.vault, calls);
        };
        for (pos, call) in calls.iter_mut().enumerate() {
            let Value::Object(call) = call else {
                unmask_json_strings(&self.vault, call);
                continue;
            };
            let tool = call
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(pos as u64);
            for (key, value) in call.iter_mut() {
                match key.as_str() {
                    "function" => self.on_function(choice, Some(tool), value),
                    _ => unmask_json_strings(&self.vault, value),
                }
            }
        }
    }

    fn on_function(&mut self, choice: u64, tool: Option<u64>, function: &mut Value) {
        let Value::Object(f) = function else {
            return unmask_json_strings(&self.vault, function);
        };
        for (key, value) in f.iter_mut() {
            match key.as_str() {
                "arguments" => self.stream_text(Key::Tool { choice, tool }, TextMode::Json, value),
                _ => unmask_json_strings(&self.vault, value),
            }
        }
    }

    /// Passes a streamed string field through the unmasker of `key`.
    fn stream_text(&mut self, key: Key, mode: TextMode, value: &mut Value) {
        let Value::String(s) = value else {
            return unmask_json_strings(&self.vault, value);
        };
        let i = self.stream_index(|k| *k == key, |vault| Held::new(vault, key.clone(), mode));
        *s = self.held[i].unmasker.push(s);
    }

    /// One chunk carrying every choice's held text (stream end without `finish_reason`).
    pub(super) fn synthetic_chunk(&mut self) -> Option<Value> {
        let mut choices: Vec<(u64, Map<String, Value>)> = Vec::new();
        for mut held in std::mem::take(&mut self.held) {
            let text = held.unmasker.finish();
            let Some(idx) = held.key.choice().filter(|_| !text.is_empty()) else {
                continue;
            };
            let pos = match choices.iter().position(|(i, _)| *i == idx) {
                Some(pos) => pos,
                None => {
                    choices.push((idx, self.empty_choice(idx)));
                    choices.len() - 1
                }
            };
            merge_held(self.format, &mut choices[pos].1, &held.key, text);
        }
        if choices.is_empty() {
            return None;
        }
        let mut chunk = self.chunk_template.clone();
        if chunk.is_empty() {
            let object = match self.format {
                StreamFormat::Completions => "text_completion",
                _ => "chat.completion.chunk",
            };
            chunk.insert("object".into(), object.into());
        }
        let choices = choices.into_iter().map(|(_, c)| Value::Object(c)).collect();
        chunk.insert("choices".into(), Value::Array(choices));
        Some(Value::Object(chunk))
    }

    fn empty_choice(&self, idx: u64) -> Map<String, Value> {
        let choice = match self.format {
            StreamFormat::Completions => json!({"index": idx, "text": "", "finish_reason": null}),
            _ => json!({"index": idx, "delta": {}, "finish_reason": null}),
        };
        match choice {
            Value::Object(map) => map,
            _ => unreachable!("json! object literal"),
        }
    }
}

/// Appends released text to its field of a chat/completions `choice`, creating the field
/// (and the delta, tool call or function object) when the chunk lacks it.
fn merge_held(format: StreamFormat, choice: &mut Map<String, Value>, key: &Key, text: String) {
    if format == StreamFormat::Completions {
        return append(choice, "text", text);
    }
    let delta = object_entry(choice, "delta");
    match *key {
        Key::Text { field, .. } => append(delta, field, text),
        Key::Tool { tool: None, .. } => {
            append(object_entry(delta, "function_call"), "arguments", text)
        }
        Key::Tool { tool: Some(t), .. } => {
            let calls = match delta
                .entry("tool_calls")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(calls) => calls,
                other => {
                    *other = Value::Array(Vec::new());
                    other.as_array_mut().expect("just set")
                }
            };
            let at = calls
                .iter()
                .position(|c| c.get("index").and_then(Value::as_u64) == Some(t));
            let at = at.unwrap_or_else(|| {
                calls.push(json!({"index": t}));
                calls.len() - 1
            });
            if let Value::Object(call) = &mut calls[at] {
                append(object_entry(call, "function"), "arguments", text);
            }
        }
        Key::Item { .. } | Key::Block(_) => {}
    }
}

fn object_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let value = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    value.as_object_mut().expect("just made an object")
}

fn append(map: &mut Map<String, Value>, field: &str, text: String) {
    match map.get_mut(field) {
        Some(Value::String(s)) => s.push_str(&text),
        _ => {
            map.insert(field.to_owned(), Value::String(text));
        }
    }
}
