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

mod shape;
mod structural;

pub use shape::check_shape;
pub use structural::is_api_field;
use structural::{is_free_form, structural};

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

#[cfg(test)]
mod tests;
