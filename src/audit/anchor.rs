//! The anchor: a small file beside the log (`<log>.anchor`, mode 0600) that pins where each
//! file of the chain starts and how far it had been written at the last fsync, MAC'd with the
//! chain key. A log cut at either end, emptied or swapped for another no longer matches it.
//!
//! Its one line is `{"v":1,"segments":[S…],"mac":"M"}`, each `S` being
//! `{"first_prev":P,"records":N,"bytes":B,"last_hash":H}`: the file whose first record has
//! `prev` = P held N records in its first B bytes, the last with `hash` = H (for N = 0, H = P
//! and B = 0). Segments run oldest first; the last describes the file being written and may
//! lag behind it by the records written since the last fsync, every other one describes a
//! rotated file, complete. `M` is computed like a record's `hash` (see the module doc of
//! `audit`), the member being `mac`; anchor and records never collide because a record's
//! canonical bytes start `{"ts"` and an anchor's `{"v"`.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::files::{create_private, with_suffix};
use super::keys::ChainKey;
use super::verify::untag;
use super::GENESIS_PREV;

/// Format version in `v`.
const VERSION: u32 = 1;
/// An anchor larger than this is not one the writer made.
const MAX_ANCHOR_BYTES: u64 = 1024 * 1024;

/// One file of the chain as the anchor knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Segment {
    /// `prev` of the file's first record.
    pub(super) first_prev: String,
    /// Records anchored.
    pub(super) records: u64,
    /// Bytes of the file those records fill (each with its `\n`).
    pub(super) bytes: u64,
    /// `hash` of the last anchored record; `first_prev` when none is.
    pub(super) last_hash: String,
}

impl Segment {
    /// A file with no records yet, continuing the chain from `prev`.
    pub(super) fn empty(prev: &str) -> Segment {
        Segment {
            first_prev: prev.to_string(),
            records: 0,
            bytes: 0,
            last_hash: prev.to_string(),
        }
    }
}

/// The anchor's content; the last segment is the file being written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Anchor {
    v: u32,
    pub(super) segments: Vec<Segment>,
}

impl Anchor {
    /// The anchor of a log that has no records yet.
    pub(super) fn genesis() -> Anchor {
        Anchor {
            v: VERSION,
            segments: vec![Segment::empty(GENESIS_PREV)],
        }
    }

    /// The segment of the file being written.
    pub(super) fn current(&self) -> &Segment {
        self.segments.last().expect("an anchor has a segment")
    }

    pub(super) fn current_mut(&mut self) -> &mut Segment {
        self.segments.last_mut().expect("an anchor has a segment")
    }

    /// The segment (and its index) of the file whose first record has this `prev`.
    pub(super) fn find(&self, first_prev: &str) -> Option<(usize, &Segment)> {
        self.segments
            .iter()
            .enumerate()
            .rev()
            .find(|(_, s)| s.first_prev == first_prev)
    }

    /// Closes the current segment as it stands and opens the next, keeping the segments of
    /// `keep` rotated files, the current one and the one a rotation is about to delete.
    pub(super) fn rotate(&mut self, keep: usize) {
        let next = Segment::empty(&self.current().last_hash);
        self.segments.push(next);
        let excess = self.segments.len().saturating_sub(keep + 2);
        self.segments.drain(..excess);
    }

    /// The file's bytes: the line, its `mac`, and `\n`.
    fn to_line(&self, key: &ChainKey) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).expect("an anchor serialises");
        let mac = key.tag(&line);
        line.pop();
        line.extend_from_slice(b",\"mac\":\"");
        line.extend_from_slice(mac.as_bytes());
        line.extend_from_slice(b"\"}\n");
        line
    }

    fn parse(text: &[u8], key: &ChainKey) -> Result<Anchor, String> {
        let line = text.strip_suffix(b"\n").unwrap_or(text);
        let mut value = untag(line, "mac", key)?;
        if let Some(obj) = value.as_object_mut() {
            obj.remove("mac");
        }
        let anchor: Anchor =
            serde_json::from_value(value).map_err(|e| format!("not an anchor: {e}"))?;
        if anchor.v != VERSION {
            return Err(format!("version {} is not {VERSION}", anchor.v));
        }
        if anchor.segments.is_empty() {
            return Err("no segments".into());
        }
        Ok(anchor)
    }
}

/// Why an anchor could not be used.
#[derive(Debug)]
pub(super) enum LoadError {
    /// Reading failed.
    Io(io::Error),
    /// The file is there but is not a valid anchor under this key (edited, or another key).
    Invalid(String),
}

/// Reads and checks the anchor; `Ok(None)` when there is none.
pub(super) fn load(path: &Path, key: &ChainKey) -> Result<Option<Anchor>, LoadError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LoadError::Io(e)),
    };
    let mut text = Vec::new();
    file.take(MAX_ANCHOR_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(LoadError::Io)?;
    if text.len() as u64 > MAX_ANCHOR_BYTES {
        return Err(LoadError::Invalid("too large to be an anchor".into()));
    }
    Anchor::parse(&text, key)
        .map(Some)
        .map_err(LoadError::Invalid)
}

/// Replaces the anchor atomically: a temporary file (mode 0600), fsync'd, renamed over it.
/// A crash leaves the old anchor or the new one, never a mix; the rename itself becomes
/// durable with the folder's next fsync (until then the old anchor may come back, which
/// only lags).
pub(super) fn store(path: &Path, anchor: &Anchor, key: &ChainKey) -> io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut file = create_private(&tmp)?;
    file.write_all(&anchor.to_line(key))?;
    file.sync_data()?;
    drop(file);
    fs::rename(&tmp, path)
}
