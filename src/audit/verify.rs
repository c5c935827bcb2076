//! Reading a log back: chain verification (`veilgate audit verify`) and a readable dump
//! (`veilgate audit show`).

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde_json::Value;

use super::{io_err, sha256_hex, AuditError, GENESIS_PREV};

/// Width at which `show` cuts message texts and JSON bodies.
const SHOW_WIDTH: usize = 160;
/// Hex digits of a digest that `show` prints; enough to compare by eye.
const SHORT_DIGEST: usize = 12;

/// The chain links of one line whose own hash checks out.
pub(super) struct Chained {
    pub(super) prev: String,
    pub(super) hash: String,
}

/// Checks one line (without `\n`) against the recipe in the module doc, prev aside.
pub(super) fn check_line(line: &[u8]) -> Result<Chained, String> {
    if line.is_empty() {
        return Err("empty line".into());
    }
    let value: Value = serde_json::from_slice(line).map_err(|_| "not valid JSON".to_string())?;
    let Value::Object(obj) = &value else {
        return Err("not a JSON object".into());
    };
    match obj.iter().next_back() {
        Some((key, _)) if key == "hash" => {}
        _ => return Err("hash is not the last member".into()),
    }
    let hash = obj
        .get("hash")
        .and_then(Value::as_str)
        .filter(|h| is_hex64(h))
        .ok_or("hash is not 64 lowercase hex digits")?;
    // Bytes, not re-serialised JSON: the line must end with exactly this member.
    let suffix = format!(",\"hash\":\"{hash}\"}}");
    let body = line
        .strip_suffix(suffix.as_bytes())
        .ok_or("hash member is not in canonical form")?;
    let mut canonical = Vec::with_capacity(body.len() + 1);
    canonical.extend_from_slice(body);
    canonical.push(b'}');
    if sha256_hex(&canonical) != hash {
        return Err("hash mismatch".into());
    }
    let prev = obj
        .get("prev")
        .and_then(Value::as_str)
        .filter(|p| is_hex64(p))
        .ok_or("prev is missing or not 64 lowercase hex digits")?;
    Ok(Chained {
        prev: prev.to_string(),
        hash: hash.to_string(),
    })
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Lines read (every line counts, broken ones too).
    pub records: u64,
    /// `prev` of the first record: 64 zeros for the first file ever, else the last hash of the
    /// file rotated before this one.
    pub first_prev: Option<String>,
    /// Hash of the last record whose own hash checked out.
    pub last_hash: Option<String>,
    /// The first place where the chain does not hold.
    pub first_break: Option<Break>,
}

impl VerifyReport {
    /// True when every line checked out.
    pub fn is_ok(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// 1-based line number.
    pub line: u64,
    /// E.g. "hash mismatch", "prev does not match line 6's hash", "not valid JSON".
    pub reason: String,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = &self.first_break {
            return write!(
                f,
                "BROKEN at line {}: {} ({} lines read)",
                b.line, b.reason, self.records
            );
        }
        let Some(last) = &self.last_hash else {
            return write!(f, "OK: empty log, nothing to verify");
        };
        write!(
            f,
            "OK: {} records, chain intact, last hash {last}",
            self.records
        )?;
        match self.first_prev.as_deref() {
            Some(GENESIS_PREV) | None => write!(f, "; starts the chain"),
            Some(prev) => write!(
                f,
                "; continues from prev {prev} (the last hash of the previously rotated file)"
            ),
        }
    }
}

/// Recomputes every hash and `prev` link of one file and reports the first break.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut report = VerifyReport {
        records: 0,
        first_prev: None,
        last_hash: None,
        first_break: None,
    };
    // Line number and hash of the last record that checked out.
    let mut previous: Option<(u64, String)> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io_err(path))? == 0 {
            break;
        }
        report.records += 1;
        let line_no = report.records;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let checked = check_line(line).and_then(|c| match &previous {
            Some((n, hash)) if *hash != c.prev => {
                Err(format!("prev does not match line {n}'s hash"))
            }
            _ => Ok(c),
        });
        match checked {
            Ok(c) => {
                if line_no == 1 {
                    report.first_prev = Some(c.prev);
                }
                report.last_hash = Some(c.hash.clone());
                previous = Some((line_no, c.hash));
            }
            Err(reason) => {
                report.first_break.get_or_insert(Break {
                    line: line_no,
                    reason,
                });
            }
        }
    }
    Ok(report)
}

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
