//! `veilgate audit verify`: every record's keyed hash and `prev` link, the file's first
//! record against genesis (or a rotated predecessor), and the file against its anchor.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::anchor::{self, Anchor, LoadError, Segment};
use super::files::{numbered, split_numbered, with_suffix};
use super::keys::{self, ChainKey};
use super::recover::last_record;
use super::{io_err, AuditError, GENESIS_PREV};

/// The chain links of one line whose own hash checks out.
pub(super) struct Chained {
    pub(super) prev: String,
    pub(super) hash: String,
}

/// Checks that `line` (without `\n`) is a JSON object whose last member is
/// `,"<member>":"<tag>"}` with `tag` = HMAC of the line minus that member (the recipe in the
/// module doc); returns the parsed object.
pub(super) fn untag(line: &[u8], member: &str, key: &ChainKey) -> Result<Value, String> {
    if line.is_empty() {
        return Err("empty line".into());
    }
    let value: Value = serde_json::from_slice(line).map_err(|_| "not valid JSON".to_string())?;
    let Value::Object(obj) = &value else {
        return Err("not a JSON object".into());
    };
    match obj.iter().next_back() {
        Some((last, _)) if last == member => {}
        _ => return Err(format!("{member} is not the last member")),
    }
    let tag = obj
        .get(member)
        .and_then(Value::as_str)
        .filter(|h| is_hex64(h))
        .ok_or_else(|| format!("{member} is not 64 lowercase hex digits"))?;
    // Bytes, not re-serialised JSON: the line must end with exactly this member.
    let suffix = format!(",\"{member}\":\"{tag}\"}}");
    let body = line
        .strip_suffix(suffix.as_bytes())
        .ok_or_else(|| format!("{member} member is not in canonical form"))?;
    let mut canonical = Vec::with_capacity(body.len() + 1);
    canonical.extend_from_slice(body);
    canonical.push(b'}');
    if !key.checks(&canonical, tag) {
        return Err(format!("{member} mismatch"));
    }
    Ok(value)
}

/// Checks one record line (without `\n`) against the recipe in the module doc, prev aside.
pub(super) fn check_line(line: &[u8], key: &ChainKey) -> Result<Chained, String> {
    let value = untag(line, "hash", key)?;
    let prev = value
        .get("prev")
        .and_then(Value::as_str)
        .filter(|p| is_hex64(p))
        .ok_or("prev is missing or not 64 lowercase hex digits")?;
    let hash = value
        .get("hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(Chained {
        prev: prev.to_string(),
        hash: hash.to_string(),
    })
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// How to verify a file; the defaults are where the writer keeps things.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Chain key file; `None`: `<log>.chain.key`, `<log>` being FILE, or for a rotated
    /// `FILE` = `<log>.N`, `<log>`.
    pub key_file: Option<PathBuf>,
    /// Anchor file; `None`: `<log>.anchor`.
    pub anchor_file: Option<PathBuf>,
    /// The file continues a chain from a rotated file that is not at hand, so its first
    /// `prev` need not be the genesis value (it must still be one the anchor knows).
    pub rotated: bool,
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
    /// Records the anchor vouches for; the rest were written after its last update.
    pub anchored: Option<u64>,
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
    /// 1-based line number; 0 when the anchor itself is missing or invalid.
    pub line: u64,
    /// E.g. "hash mismatch", "prev does not match line 6's hash", "not valid JSON".
    pub reason: String,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = &self.first_break {
            if b.line == 0 {
                return write!(f, "BROKEN: {} ({} lines read)", b.reason, self.records);
            }
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
            Some(GENESIS_PREV) | None => write!(f, "; starts the chain")?,
            Some(prev) => write!(
                f,
                "; continues from prev {prev} (the last hash of the previously rotated file)"
            )?,
        }
        match self.anchored {
            Some(n) if n < self.records => write!(
                f,
                "; anchored through record {n}, the {} after it written since the anchor's last \
                 update",
                self.records - n
            ),
            _ => write!(f, "; anchored through the last record"),
        }
    }
}

/// [`verify_with`] the writer's key and anchor, for a file that starts the chain or whose
/// rotated predecessor is beside it.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    verify_with(path, &VerifyOptions::default())
}

/// Checks every record's keyed hash and `prev` link of one file, its first record, and the
/// file against its anchor, and reports the first break (see the module doc for the rules).
pub fn verify_with(path: &Path, opts: &VerifyOptions) -> Result<VerifyReport, AuditError> {
    // A missing log is the error to report, before anything found beside it.
    let file = File::open(path).map_err(io_err(path))?;
    let (base, rotation) = log_name(path);
    let key_path = opts
        .key_file
        .clone()
        .unwrap_or_else(|| with_suffix(&base, ".chain.key"));
    let key = ChainKey::new(&keys::read(&key_path)?);
    let anchor_path = opts
        .anchor_file
        .clone()
        .unwrap_or_else(|| with_suffix(&base, ".anchor"));
    let anchor = match anchor::load(&anchor_path, &key) {
        Ok(Some(anchor)) => Ok(anchor),
        Ok(None) => Err(format!(
            "anchor {} is missing (deleted, or not copied with the log: --anchor FILE)",
            anchor_path.display()
        )),
        Err(LoadError::Invalid(reason)) => Err(format!(
            "anchor {}: {reason} (edited, or made with another chain key)",
            anchor_path.display()
        )),
        Err(LoadError::Io(e)) => return Err(io_err(&anchor_path)(e)),
    };
    let scan = scan(file, path, &key, anchor.as_ref().ok())?;

    let head = scan.first_prev.as_deref().and_then(|first_prev| {
        let predecessor = numbered(&base, rotation.unwrap_or(0) + 1);
        head_break(first_prev, opts.rotated, &predecessor, &key)
    });
    let anchor_break = match &anchor {
        Err(reason) => Some(Break {
            line: 0,
            reason: reason.clone(),
        }),
        Ok(anchor) => {
            // Against the log's own anchor a file must hold the records of its place; a copy
            // of the anchor (`--anchor`, for files moved or archived) matches by content.
            let place = opts.anchor_file.is_none().then(|| Place {
                slot: rotation.unwrap_or(0),
                pending: rotation_pending(anchor, &base, rotation, &scan, &key),
            });
            segment_break(anchor, &scan, rotation.is_some(), place)
        }
    };
    // Ties go to the earlier in this list: a record's own damage explains the rest.
    let first_break = [scan.chain_break.clone(), anchor_break.clone(), head]
        .into_iter()
        .flatten()
        .min_by_key(|b| b.line);
    let anchored = match (&anchor_break, &scan.segment) {
        (None, Some((_, segment))) => Some(segment.records),
        _ => None,
    };
    Ok(VerifyReport {
        records: scan.lines,
        first_prev: scan.first_prev,
        last_hash: scan.last_hash,
        anchored,
        first_break,
    })
}

/// The log FILE belongs to and its rotation number: `audit.jsonl.2` → (`audit.jsonl`, 2),
/// unless `audit.jsonl.2.anchor` exists (a log whose own name ends in digits).
fn log_name(path: &Path) -> (PathBuf, Option<usize>) {
    if !with_suffix(path, ".anchor").exists() {
        if let Some((base, n)) = split_numbered(path).filter(|(_, n)| *n >= 1) {
            return (base, Some(n));
        }
    }
    (path.to_path_buf(), None)
}

/// What one pass over a file found.
struct Scan {
    lines: u64,
    first_prev: Option<String>,
    last_hash: Option<String>,
    chain_break: Option<Break>,
    /// The anchor's segment for this file (found by its first `prev`) and its index.
    segment: Option<(usize, Segment)>,
    /// Hash of the record at the segment's `records` line, when that line checked out.
    at_anchored: Option<String>,
}

fn scan(
    file: File,
    path: &Path,
    key: &ChainKey,
    anchor: Option<&Anchor>,
) -> Result<Scan, AuditError> {
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut scan = Scan {
        lines: 0,
        first_prev: None,
        last_hash: None,
        chain_break: None,
        segment: None,
        at_anchored: None,
    };
    // Line number and hash of the last record that checked out.
    let mut previous: Option<(u64, String)> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io_err(path))? == 0 {
            return Ok(scan);
        }
        scan.lines += 1;
        let line_no = scan.lines;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let checked = check_line(line, key).and_then(|c| match &previous {
            Some((n, hash)) if *hash != c.prev => {
                Err(format!("prev does not match line {n}'s hash"))
            }
            _ => Ok(c),
        });
        match checked {
            Ok(c) => {
                if line_no == 1 {
                    scan.segment = anchor
                        .and_then(|a| a.find(&c.prev))
                        .map(|(i, s)| (i, s.clone()));
                    scan.first_prev = Some(c.prev);
                }
                if scan
                    .segment
                    .as_ref()
                    .is_some_and(|(_, s)| s.records == line_no)
                {
                    scan.at_anchored = Some(c.hash.clone());
                }
                scan.last_hash = Some(c.hash.clone());
                previous = Some((line_no, c.hash));
            }
            Err(reason) => {
                scan.chain_break.get_or_insert(Break {
                    line: line_no,
                    reason,
                });
            }
        }
    }
}

/// A first `prev` other than genesis needs `--rotated`, or the predecessor file beside this
/// one whose last record has that hash.
fn head_break(
    first_prev: &str,
    rotated: bool,
    predecessor: &Path,
    key: &ChainKey,
) -> Option<Break> {
    if first_prev == GENESIS_PREV || rotated {
        return None;
    }
    let chains_in =
        matches!(last_record(predecessor, key), Ok(Some((hash, _))) if hash == first_prev);
    (!chains_in).then(|| Break {
        line: 1,
        reason: format!(
            "prev is not the genesis value and {} does not end with that hash (records \
             before this file's first are missing; if it continues a rotated file that is not \
             beside it, pass --rotated)",
            predecessor.display()
        ),
    })
}

/// Which segment a file must match: the last for the current file (slot 0), the N-th before
/// it for `<log>.N`; one further back while a rotation is pending.
struct Place {
    slot: usize,
    pending: bool,
}

/// A rotation stored its intent (a new, empty last segment) but has not renamed the current
/// file yet: that file still ends where the new segment begins. A crash can leave this.
fn rotation_pending(
    anchor: &Anchor,
    base: &Path,
    rotation: Option<usize>,
    scan: &Scan,
    key: &ChainKey,
) -> bool {
    let last = anchor.current();
    if anchor.segments.len() < 2 || last.records > 0 {
        return false;
    }
    let base_end = match rotation {
        None => scan.last_hash.clone(),
        Some(_) => last_record(base, key).ok().flatten().map(|(hash, _)| hash),
    };
    base_end.as_deref() == Some(last.first_prev.as_str())
}

/// The file against the anchor's segment for it: it must start where the segment of its
/// place starts, hold every anchored record, agree with the last of them, and, if rotated,
/// end there.
fn segment_break(
    anchor: &Anchor,
    scan: &Scan,
    rotated_name: bool,
    place: Option<Place>,
) -> Option<Break> {
    let at = |line: u64, reason: String| Some(Break { line, reason });
    if scan.lines == 0 {
        let expected = anchor.current().records;
        if rotated_name {
            return at(
                1,
                "the file is empty, but a rotated file always holds records".into(),
            );
        }
        if expected > 0 {
            return at(
                1,
                format!("the file is empty but its anchor records {expected} records"),
            );
        }
        return None;
    }
    // A first line that does not check out is the chain's break already.
    scan.first_prev.as_ref()?;
    let Some((index, segment)) = &scan.segment else {
        return at(
            1,
            "no file the anchor knows starts with this record's prev (the first records were \
             cut, or the anchor is another log's)"
                .into(),
        );
    };
    let last = anchor.segments.len() - 1;
    if let Some(Place { slot, pending }) = place {
        let expected = last.checked_sub(slot);
        let earlier = last.checked_sub(slot + 1).filter(|_| pending);
        if Some(*index) != expected && Some(*index) != earlier {
            return at(
                1,
                "the file holds the records the anchor has for another file of the chain (a \
                 copy put in its place?)"
                    .into(),
            );
        }
    }
    if scan.lines < segment.records {
        return at(
            scan.lines + 1,
            format!(
                "the file ends after {} records but its anchor records {} (records cut from \
                 the end)",
                scan.lines, segment.records
            ),
        );
    }
    if segment.records > 0 && scan.at_anchored.as_deref() != Some(segment.last_hash.as_str()) {
        return at(
            segment.records,
            "record differs from the one the anchor records here".into(),
        );
    }
    if *index != last && scan.lines > segment.records {
        return at(
            segment.records + 1,
            format!(
                "the anchor closed this file at rotation after {} records, yet it goes on",
                segment.records
            ),
        );
    }
    None
}
