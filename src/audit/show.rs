//! `veilgate audit show`: the records of a log, readably, one block per record.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde_json::Value;

use super::{io_err, AuditError};

/// Width at which `show` cuts message texts and JSON bodies.
const SHOW_WIDTH: usize = 160;
/// Hex digits of a digest that `show` prints; enough to compare by eye.
const SHORT_DIGEST: usize = 12;

/// Prints every record readably, one block per record.
pub fn show(path: &Path, out: &mut dyn Write) -> Result<(), AuditError> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io_err(path))? == 0 {
            return Ok(());
        }
        line_no += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let written = match serde_json::from_slice::<Value>(line) {
            Ok(record) => write_block(out, line_no, &record),
            Err(_) => writeln!(out, "#{line_no}  (not valid JSON)\n"),
        };
        written.map_err(AuditError::Output)?;
    }
}

fn write_block(out: &mut dyn Write, line_no: u64, r: &Value) -> std::io::Result<()> {
    let s = |key: &str| r.get(key).and_then(Value::as_str).unwrap_or("-");
    writeln!(out, "#{line_no}  {}  request {}", s("ts"), s("request_id"))?;
    let status = r.get("status").map_or_else(|| "-".into(), Value::to_string);
    writeln!(
        out,
        "  route {}  model {}  status {status}  client {}",
        s("route"),
        s("model"),
        s("client")
    )?;
    let entities = join_map(r.get("entities"), |k, v| format!("{k} {v}"));
    writeln!(out, "  entities      {}", or_none(entities))?;
    let placeholders = join_map(r.get("placeholders"), |k, v| {
        let digest = v.as_str().unwrap_or("?");
        format!("{k}={}", truncate(digest, SHORT_DIGEST))
    });
    writeln!(out, "  placeholders  {}", or_none(placeholders))?;
    writeln!(out, "  timings       {}", timings(r.get("timings")))?;
    let draft = r.get("draft").filter(|d| !d.is_null());
    if let Some(draft) = draft {
        let mut stats = draft.clone();
        if let Some(obj) = stats.as_object_mut() {
            obj.remove("continuation_request");
        }
        writeln!(
            out,
            "  draft         {}",
            truncate(&stats.to_string(), SHOW_WIDTH)
        )?;
    }
    if let Some(error) = r.get("error").and_then(Value::as_str) {
        writeln!(out, "  error         {error}")?;
    }
    match r.get("masked_request") {
        None | Some(Value::Null) => writeln!(out, "  sent          nothing")?,
        Some(body) => {
            let texts = body_texts(body);
            if texts.is_empty() {
                writeln!(
                    out,
                    "  sent          {}",
                    truncate(&body.to_string(), SHOW_WIDTH)
                )?;
            } else {
                writeln!(out, "  sent")?;
                for (who, text) in texts {
                    writeln!(out, "    {who}: {}", truncate(&one_line(&text), SHOW_WIDTH))?;
                }
            }
        }
    }
    // The continuation request also left the machine: shown whole, every text in full.
    if let Some(body) = draft.and_then(|d| d.get("continuation_request")) {
        writeln!(out, "  continuation sent")?;
        for (who, text) in body_texts(body) {
            writeln!(out, "    {who}: {}", one_line(&text))?;
        }
    }
    writeln!(
        out,
        "  prev {}  hash {}\n",
        truncate(s("prev"), SHORT_DIGEST),
        truncate(s("hash"), SHORT_DIGEST)
    )
}

fn join_map(v: Option<&Value>, item: impl Fn(&str, &Value) -> String) -> String {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| item(k, v))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

fn timings(t: Option<&Value>) -> String {
    let parts = [
        ("mask", "mask_ms"),
        ("draft first token", "draft_first_token_ms"),
        ("upstream first byte", "upstream_first_byte_ms"),
        ("total", "total_ms"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .filter_map(|(label, key)| {
            let ms = t?.get(*key)?.as_f64()?;
            Some(format!("{label} {ms:.1} ms"))
        })
        .collect();
    or_none(shown.join(", "))
}

/// (speaker, text) pairs of the texts a body carries, over the request shapes we forward:
/// chat `messages`, Anthropic `system`, Responses `instructions`/`input`, completions `prompt`.
fn body_texts(body: &Value) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    for key in ["system", "instructions"] {
        if let Some(text) = body.get(key).and_then(content_text) {
            texts.push((key.to_string(), text));
        }
    }
    for key in ["messages", "input", "prompt"] {
        match body.get(key) {
            Some(Value::Array(items)) => {
                for item in items {
                    let role = item.get("role").and_then(Value::as_str).unwrap_or(key);
                    let text = item
                        .get("content")
                        .map_or_else(|| content_text(item), content_text);
                    if let Some(text) = text {
                        texts.push((role.to_string(), text));
                    }
                }
            }
            Some(other) => {
                if let Some(text) = content_text(other) {
                    texts.push((key.to_string(), text));
                }
            }
            None => {}
        }
    }
    texts
}

/// Text of a content value: a string, or the `text` of its parts joined by spaces.
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let joined: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.as_str().or_else(|| p.get("text")?.as_str()))
                .collect();
            (!joined.is_empty()).then(|| joined.join(" "))
        }
        Value::Object(_) => v.get("text").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Shows line breaks and tabs as visible marks so that each text stays on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' => '⏎',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// At most `max` characters, with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
