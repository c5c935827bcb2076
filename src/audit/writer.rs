//! The writer thread: chains records, writes them, fsyncs in batches and rotates by size.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::verify::check_line;
use super::{
    io_err, rfc3339_millis, sha256_hex, with_suffix, AuditConfig, AuditError, AuditRecord, Msg,
    Shared, GENESIS_PREV,
};

/// Bytes read per step when scanning backwards for the last line.
const TAIL_CHUNK: usize = 64 * 1024;
/// Larger than the default 8 KiB so a burst of records costs few write syscalls.
const WRITE_BUFFER: usize = 64 * 1024;

/// Owns the open file and the chain state; lives on the writer thread.
pub(super) struct Writer {
    shared: Arc<Shared>,
    file: BufWriter<File>,
    /// Bytes in the current file, including buffered ones.
    size: u64,
    last_hash: String,
    max_bytes: u64,
    keep: usize,
    fsync_every: usize,
    fsync_interval: Duration,
    unsynced: usize,
    unsynced_since: Option<Instant>,
    /// Records received after a fatal error; reported once at exit.
    dropped: u64,
}

impl Writer {
    /// Opens the log for appending and recovers the chain's last hash.
    pub(super) fn open(cfg: &AuditConfig, shared: Arc<Shared>) -> Result<Writer, AuditError> {
        let path = shared.path.clone();
        let (last_hash, needs_newline) = match last_record(&path)? {
            Some((hash, newline)) => (hash, !newline),
            // An empty current file (e.g. right after a rotation) continues the rotated one.
            None => match last_record(&numbered(&path, 1))? {
                Some((hash, _)) => (hash, false),
                None => (GENESIS_PREV.to_string(), false),
            },
        };
        let mut file = open_append(&path)?;
        if needs_newline {
            // A complete last record without its `\n`: terminate it so the next starts a line.
            file.write_all(b"\n").map_err(io_err(&path))?;
        }
        let size = file.metadata().map_err(io_err(&path))?.len();
        Ok(Writer {
            shared,
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            size,
            last_hash,
            max_bytes: cfg.max_bytes,
            keep: cfg.keep,
            fsync_every: cfg.fsync_every.max(1),
            fsync_interval: cfg.fsync_interval,
            unsynced: 0,
            unsynced_since: None,
            dropped: 0,
        })
    }

    /// The thread's body: runs until every handle is dropped, then syncs and returns.
    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        loop {
            let msg = match self.unsynced_since {
                None => match rx.recv() {
                    Ok(msg) => msg,
                    Err(_) => break,
                },
                Some(since) => {
                    let wait = self.fsync_interval.saturating_sub(since.elapsed());
                    match rx.recv_timeout(wait) {
                        Ok(msg) => msg,
                        Err(RecvTimeoutError::Timeout) => {
                            let _ = self.sync_or_fail();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            self.handle(msg);
            // Drain whatever else is queued before paying for a write syscall.
            let mut disconnected = false;
            loop {
                match rx.try_recv() {
                    Ok(msg) => self.handle(msg),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        disconnected = true;
                        break;
                    }
                }
            }
            if disconnected {
                break;
            }
            // Hand buffered lines to the OS now: a crash of the process then loses nothing,
            // only a crash of the machine can lose what is not yet fsync'd.
            if self.shared.failed.get().is_none() {
                if let Err(e) = self.file.flush() {
                    self.fail("write failed", &e);
                }
            }
        }
        self.finish();
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Record(record) => {
                if self.shared.failed.get().is_some() {
                    self.dropped += 1;
                } else if let Err(e) = self.write_record(*record) {
                    self.fail("write failed", &e);
                }
            }
            Msg::Flush(ack) => {
                let result = match self.shared.failed.get() {
                    Some(reason) => Err(reason.clone()),
                    None => self.sync_or_fail(),
                };
                // The flusher may have given up waiting; nothing to do then.
                let _ = ack.send(result);
            }
        }
    }

    fn write_record(&mut self, mut record: AuditRecord) -> io::Result<()> {
        if record.ts.is_empty() {
            record.ts = rfc3339_millis(SystemTime::now());
        }
        record.prev.clone_from(&self.last_hash);
        record.hash.clear();
        record.timings.sanitize();
        // With `hash` empty it is skipped, so these are exactly the canonical bytes.
        let mut line = serde_json::to_vec(&record).map_err(io::Error::other)?;
        let hash = sha256_hex(&line);
        debug_assert_eq!(line.last(), Some(&b'}'));
        line.pop();
        line.extend_from_slice(b",\"hash\":\"");
        line.extend_from_slice(hash.as_bytes());
        line.extend_from_slice(b"\"}\n");

        let len = line.len() as u64;
        // An empty file takes any record, however large, so rotation always makes progress.
        if self.size > 0 && self.size.saturating_add(len) > self.max_bytes {
            self.rotate()?;
        }
        self.file.write_all(&line)?;
        self.size += len;
        self.last_hash = hash;
        self.unsynced += 1;
        let since = *self.unsynced_since.get_or_insert_with(Instant::now);
        if self.unsynced >= self.fsync_every || since.elapsed() >= self.fsync_interval {
            self.sync()?;
        }
        Ok(())
    }

    /// `audit.jsonl` → `.1`, `.1` → `.2`, …; the oldest beyond `keep` is deleted.
    fn rotate(&mut self) -> io::Result<()> {
        // The old file must be durable before it changes name.
        self.sync()?;
        let path = self.shared.path.clone();
        if self.keep == 0 {
            fs::remove_file(&path)?;
        } else {
            remove_if_exists(&numbered(&path, self.keep))?;
            for i in (1..self.keep).rev() {
                let from = numbered(&path, i);
                if from.exists() {
                    fs::rename(&from, numbered(&path, i + 1))?;
                }
            }
            fs::rename(&path, numbered(&path, 1))?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        self.file = BufWriter::with_capacity(WRITE_BUFFER, file);
        self.size = 0;
        sync_dir(&path);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()?;
        self.unsynced = 0;
        self.unsynced_since = None;
        Ok(())
    }

    fn sync_or_fail(&mut self) -> Result<(), String> {
        self.sync().map_err(|e| self.fail("fsync failed", &e))
    }

    /// Records the first fatal error; from now on nothing more is written to this file.
    fn fail(&mut self, what: &str, e: &io::Error) -> String {
        // OS error texts name no record content, so they are safe to log.
        let reason = format!("{what}: {e}");
        if self.shared.failed.set(reason.clone()).is_ok() {
            tracing::error!(path = %self.shared.path.display(), %reason, "audit log writer stopped");
        }
        self.unsynced_since = None;
        reason
    }

    fn finish(mut self) {
        if self.shared.failed.get().is_none() {
            let _ = self.sync_or_fail();
        }
        // After a failure the buffer may hold the rest of a torn line; dropping the
        // `BufWriter` would try to write it, so take the file out and discard the bytes.
        let (_file, _unwritten) = self.file.into_parts();
        if self.dropped > 0 {
            tracing::error!(
                path = %self.shared.path.display(),
                dropped = self.dropped,
                "audit records not written because the writer had stopped"
            );
        }
    }
}

/// `audit.jsonl` → `audit.jsonl.N`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    with_suffix(path, &format!(".{n}"))
}

fn open_append(path: &Path) -> Result<File, AuditError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes renames and creations in the log's folder durable; best effort, unix only.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            tracing::warn!(dir = %dir.display(), error = %e, "could not fsync audit log folder");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The last record's hash and whether it ends with `\n`; `None` for a missing or empty file.
/// Reads only the tail, so start-up cost does not grow with the log.
fn last_record(path: &Path) -> Result<Option<(String, bool)>, AuditError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let Some((start, bytes, newline)) = read_last_line(&mut file).map_err(io_err(path))? else {
        return Ok(None);
    };
    match check_line(&bytes) {
        Ok(chained) => Ok(Some((chained.hash, newline))),
        Err(reason) => {
            let line = count_newlines(&mut file, start).map_err(io_err(path))? + 1;
            let hint = if newline {
                ""
            } else {
                " (an incomplete write?)"
            };
            Err(AuditError::Corrupt {
                path: path.to_path_buf(),
                line,
                reason: format!(
                    "last record is damaged: {reason}{hint}; repair or move the file aside \
                     (veilgate audit verify shows the details)"
                ),
            })
        }
    }
}

/// The last line as (offset, bytes without `\n`, had `\n`), scanning backwards in chunks.
fn read_last_line(file: &mut File) -> io::Result<Option<(u64, Vec<u8>, bool)>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    let newline = last[0] == b'\n';
    let end = if newline { len - 1 } else { len };

    let mut start = 0;
    let mut pos = end;
    let mut chunk = vec![0u8; TAIL_CHUNK];
    while pos > 0 {
        let n = (pos.min(TAIL_CHUNK as u64)) as usize;
        pos -= n as u64;
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut chunk[..n])?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            start = pos + i as u64 + 1;
            break;
        }
    }
    let mut bytes = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut bytes)?;
    Ok(Some((start, bytes, newline)))
}

/// Newlines in the first `upto` bytes: the line number of an error found from the tail.
fn count_newlines(file: &mut File, upto: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = io::BufReader::with_capacity(TAIL_CHUNK, file.take(upto));
    let mut count = 0u64;
    let mut chunk = vec![0u8; TAIL_CHUNK];
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(count);
        }
        count += chunk[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}
