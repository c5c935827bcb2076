//! The writer thread: chains records, writes them, fsyncs in batches, keeps the anchor in
//! step with what is durable, and rotates by size.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::anchor::{self, Anchor};
use super::files::{open_log, shift, sync_dir, with_suffix};
use super::keys::ChainKey;
use super::recover::recover;
use super::{io_err, rfc3339_millis, AuditConfig, AuditError, AuditRecord, Msg, Shared};

/// Larger than the default 8 KiB so a burst of records costs few write syscalls.
const WRITE_BUFFER: usize = 64 * 1024;

/// Owns the open file and the chain state; lives on the writer thread.
pub(super) struct Writer {
    shared: Arc<Shared>,
    file: BufWriter<File>,
    chain: ChainKey,
    anchor: Anchor,
    anchor_path: PathBuf,
    /// Records in the current file, including buffered ones.
    records: u64,
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
    /// Opens the log for appending, after reconciling it with its anchor.
    pub(super) fn open(
        cfg: &AuditConfig,
        shared: Arc<Shared>,
        chain: ChainKey,
    ) -> Result<Writer, AuditError> {
        let path = shared.path.clone();
        let (anchor, tail) = recover(&path, cfg.keep, &chain)?;
        let mut file = open_log(&path).map_err(io_err(&path))?;
        if tail.needs_newline {
            // A complete last record without its `\n`: terminate it so the next starts a line.
            file.write_all(b"\n").map_err(io_err(&path))?;
        }
        let size = file.metadata().map_err(io_err(&path))?.len();
        let mut writer = Writer {
            shared,
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            chain,
            anchor,
            anchor_path: with_suffix(&path, ".anchor"),
            records: tail.records,
            size,
            last_hash: tail.last_hash,
            max_bytes: cfg.max_bytes,
            keep: cfg.keep,
            fsync_every: cfg.fsync_every.max(1),
            fsync_interval: cfg.fsync_interval,
            unsynced: 0,
            unsynced_since: None,
            dropped: 0,
        };
        // Records a crash left beyond the anchor are anchored now, once durable.
        let segment = writer.anchor.current();
        if segment.records != writer.records || segment.bytes != writer.size {
            writer.sync().map_err(io_err(&path))?;
        }
        Ok(writer)
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
        let hash = self.chain.tag(&line);
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
        self.records += 1;
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
        // The old file must be durable, and anchored in full, before it changes name.
        self.sync()?;
        // The intent first: an anchor whose current segment is the new, empty file. If a
        // crash stops the renames halfway, the next start finds the old file still ending
        // where that segment begins and finishes them (`recover`).
        self.anchor.rotate(self.keep);
        anchor::store(&self.anchor_path, &self.anchor, &self.chain)?;
        let path = self.shared.path.clone();
        sync_dir(&path);
        shift(&path, self.keep)?;
        self.file = BufWriter::with_capacity(WRITE_BUFFER, open_log(&path)?);
        self.records = 0;
        self.size = 0;
        sync_dir(&path);
        Ok(())
    }

    /// Makes every written record durable, then anchors them. In this order a crash can
    /// leave the log ahead of the anchor (which `verify` accepts) but never behind it.
    fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()?;
        self.unsynced = 0;
        self.unsynced_since = None;
        let segment = self.anchor.current_mut();
        if segment.records != self.records || segment.bytes != self.size {
            segment.records = self.records;
            segment.bytes = self.size;
            segment.last_hash.clone_from(&self.last_hash);
            anchor::store(&self.anchor_path, &self.anchor, &self.chain)?;
        }
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
