//! Start-up: the writer reconciles the log with its anchor before appending, and refuses a
//! log that no longer holds what the anchor records (see the module doc of `audit`).

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::anchor::{self, Anchor, LoadError, Segment};
use super::files::{count_newlines, line_ending_at, numbered, shift, sync_dir, with_suffix};
use super::keys::ChainKey;
use super::verify::check_line;
use super::{io_err, AuditError, GENESIS_PREV};

/// Where the current file stands: the chain state the writer continues from.
#[derive(Debug)]
pub(super) struct Tail {
    /// Records in the current file.
    pub(super) records: u64,
    /// Bytes they fill.
    pub(super) bytes: u64,
    /// `hash` of the last record (the next record's `prev`).
    pub(super) last_hash: String,
    /// The last record lacks its `\n` (a write cut short right after the record).
    pub(super) needs_newline: bool,
}

impl Tail {
    fn empty(prev: &str) -> Tail {
        Tail {
            records: 0,
            bytes: 0,
            last_hash: prev.to_string(),
            needs_newline: false,
        }
    }
}

/// Loads (or starts) the anchor of the log at `path` and finds where the current file stands.
/// Also finishes a rotation that a crash cut short, and follows a current file moved to `.1`
/// by hand. The anchor returned may lag the tail; the caller syncs and stores it.
pub(super) fn recover(
    path: &Path,
    keep: usize,
    key: &ChainKey,
) -> Result<(Anchor, Tail), AuditError> {
    let anchor_path = with_suffix(path, ".anchor");
    let refuse = |reason: String| AuditError::Anchor {
        path: anchor_path.clone(),
        reason: format!("{reason}; move the log files and the anchor aside to start a new chain"),
    };
    let len = file_len(path)?;
    let mut anchor =
        match anchor::load(&anchor_path, key) {
            Ok(Some(anchor)) => anchor,
            Ok(None) if len == 0 && file_len(&numbered(path, 1))? == 0 => {
                let anchor = Anchor::genesis();
                anchor::store(&anchor_path, &anchor, key).map_err(io_err(&anchor_path))?;
                sync_dir(&anchor_path);
                return Ok((anchor, Tail::empty(GENESIS_PREV)));
            }
            Ok(None) => return Err(refuse(
                "missing, yet the log holds records (written by a veilgate without anchors, or \
                 the anchor was deleted)"
                    .into(),
            )),
            Err(LoadError::Invalid(reason)) => {
                return Err(refuse(format!(
                    "{reason} (edited, or made with another chain key)"
                )))
            }
            Err(LoadError::Io(e)) => return Err(io_err(&anchor_path)(e)),
        };
    let current = anchor.current().clone();

    // The rotation's intent reached the anchor but not all its renames did: the current file
    // still ends with the record the anchor's new, empty segment continues from.
    if current.records == 0 && len > 0 {
        if let Some((hash, _)) = last_record(path, key)? {
            if hash == current.first_prev {
                tracing::warn!(path = %path.display(), "finishing a rotation a crash interrupted");
                shift(path, keep).map_err(io_err(path))?;
                sync_dir(path);
                return Ok((anchor, Tail::empty(&current.first_prev)));
            }
        }
    }
    if let Some(tail) = extend(path, &current, key)? {
        return Ok((anchor, tail));
    }
    // Moved to `.1` by hand (an outside rotation): close its segment, start the next.
    if len == 0 {
        if let Some(tail) = extend(&numbered(path, 1), &current, key)? {
            let segment = anchor.current_mut();
            segment.records = tail.records;
            segment.bytes = tail.bytes;
            segment.last_hash.clone_from(&tail.last_hash);
            anchor.rotate(keep);
            anchor::store(&anchor_path, &anchor, key).map_err(io_err(&anchor_path))?;
            return Ok((anchor, Tail::empty(&tail.last_hash)));
        }
    }
    Err(refuse(format!(
        "{} does not hold the {} records ({} bytes) anchored: records were cut or changed, or \
         the file replaced (veilgate audit verify names the first break)",
        path.display(),
        current.records,
        current.bytes
    )))
}

fn file_len(path: &Path) -> Result<u64, AuditError> {
    match fs::metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Checks that `path` holds the records `segment` anchors and reads those written after its
/// last update (at most the batch a crash cut short). `Ok(None)`: the file does not hold them
/// (shorter, or another record at the anchored end); an error: a later record is damaged.
fn extend(path: &Path, segment: &Segment, key: &ChainKey) -> Result<Option<Tail>, AuditError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok((segment.bytes == 0).then(|| Tail::empty(&segment.last_hash)));
        }
        Err(e) => return Err(io_err(path)(e)),
    };
    let len = file.seek(SeekFrom::End(0)).map_err(io_err(path))?;
    if len < segment.bytes {
        return Ok(None);
    }
    if segment.records > 0 {
        let Some((_, line)) = line_ending_at(&mut file, segment.bytes).map_err(io_err(path))?
        else {
            return Ok(None);
        };
        match check_line(&line, key) {
            Ok(c) if c.hash == segment.last_hash => {}
            _ => return Ok(None),
        }
    } else if segment.bytes != 0 {
        return Ok(None);
    }

    let mut tail = Tail {
        records: segment.records,
        bytes: segment.bytes,
        last_hash: segment.last_hash.clone(),
        needs_newline: false,
    };
    file.seek(SeekFrom::Start(segment.bytes))
        .map_err(io_err(path))?;
    let mut reader = BufReader::with_capacity(64 * 1024, (&mut file).take(len - segment.bytes));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io_err(path))?;
        if n == 0 {
            return Ok(Some(tail));
        }
        let newline = buf.last() == Some(&b'\n');
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let checked = check_line(line, key).and_then(|c| {
            if c.prev == tail.last_hash {
                Ok(c)
            } else {
                Err("prev does not match the record before it".to_string())
            }
        });
        match checked {
            Ok(c) => {
                tail.records += 1;
                tail.bytes += n as u64;
                tail.last_hash = c.hash;
                tail.needs_newline = !newline;
            }
            Err(reason) => {
                let offset = tail.bytes;
                drop(reader);
                let line = count_newlines(&mut file, offset).map_err(io_err(path))? + 1;
                return Err(damaged(path, line, &reason, newline));
            }
        }
    }
}

fn damaged(path: &Path, line: u64, reason: &str, newline: bool) -> AuditError {
    let hint = if newline {
        ""
    } else {
        " (an incomplete write?)"
    };
    AuditError::Corrupt {
        path: path.to_path_buf(),
        line,
        reason: format!(
            "record is damaged: {reason}{hint}; repair or move the file aside \
             (veilgate audit verify shows the details)"
        ),
    }
}

/// The last record's hash and whether it ends with `\n`; `None` for a missing or empty file.
/// Reads only the tail, so the cost does not grow with the log.
pub(super) fn last_record(
    path: &Path,
    key: &ChainKey,
) -> Result<Option<(String, bool)>, AuditError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let len = file.seek(SeekFrom::End(0)).map_err(io_err(path))?;
    let Some((start, bytes)) = line_ending_at(&mut file, len).map_err(io_err(path))? else {
        return Ok(None);
    };
    let newline = start + bytes.len() as u64 + 1 == len;
    match check_line(&bytes, key) {
        Ok(chained) => Ok(Some((chained.hash, newline))),
        Err(reason) => {
            let line = count_newlines(&mut file, start).map_err(io_err(path))? + 1;
            Err(damaged(path, line, &reason, newline))
        }
    }
}
