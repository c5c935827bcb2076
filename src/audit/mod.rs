//! Audit log: one JSON line per proxied request, append-only, chained with a keyed hash and
//! anchored at both ends so that edited, cut, emptied or reordered files fail `verify`.
//!
//! # Files
//! All created with mode 0600 (they hold request text, or the keys to it); an existing one
//! that other users may read is narrowed to 0600 at start, with a warning (only a warning
//! where it cannot be changed, e.g. a read-only secret mount).
//! - `<log>` (`path`): the records; `<log>.1` … `<log>.<keep>`: rotated files, `.1` newest.
//! - `<log>.anchor`: where each file of the chain starts and how far it had been written at
//!   the last fsync (below).
//! - `<log>.chain.key` (`chain_key_file`): the chain key, 32 random bytes written as 64 hex
//!   digits and `\n`, created on first open. `verify` needs it; whoever holds it can forge a
//!   chain, so where the log is shared, configure it outside the log's folder.
//! - `<log>.key` (`key_file`): the digest key behind `placeholders`, same format. A separate
//!   key, so that an auditor given the chain key cannot test guesses of masked values; losing
//!   it only means new digests no longer match old ones.
//!
//! # File format
//! The log is JSON Lines (UTF-8, `\n` after every record). Each line is one [`AuditRecord`]
//! serialised by `serde_json` in compact form (no whitespace), its members in this order:
//! `ts`, `request_id`, `route`, `model`, `client`, `status`, `entities`, `masked_request`,
//! `placeholders`, `draft`, `timings`, `error`, `prev`, `hash`. The file holds no raw PII:
//! `masked_request` is the body exactly as it left the machine (already masked), and
//! `placeholders` maps each placeholder to `HMAC-SHA256(digest key, original value)` in
//! lowercase hex, so an auditor holding that key can tell that two requests carried the same
//! value without the log revealing it. Request headers (and so API keys) are never recorded.
//!
//! # Keyed hash chain (how to re-implement `verify`)
//! `K` is the chain key (the hex-decoded bytes of its file). For every line `L` (bytes,
//! without the trailing `\n`):
//! 1. `L` must end with the 75 bytes `,"hash":"H"}` where `H` is 64 lowercase hex digits.
//! 2. The *canonical bytes* `C` are `L` with that suffix replaced by the single byte `}`; that
//!    is, the record exactly as written minus its final `hash` member. `C` is what
//!    `serde_json::to_vec` produces for the record without `hash`, and it contains `prev`.
//! 3. `H` must equal `hex(HMAC-SHA256(K, C))`; without `K` nobody can recompute it.
//! 4. The record's `prev` must equal the `H` of the line before it. The first record ever has
//!    `prev` = 64 zeros (genesis); after a rotation the first record of the new file carries
//!    the last `H` of the rotated file, so the chain runs unbroken across
//!    `<log>.<keep> … <log>.1, <log>`.
//!
//! # Anchor
//! `<log>.anchor` is one line `{"v":1,"segments":[S,…],"mac":"M"}` + `\n`, checked by steps
//! 1–3 with the member `mac` in place of `hash` (a record's `C` starts `{"ts"`, an anchor's
//! `{"v"`, so neither passes for the other). Each `S` is
//! `{"first_prev":P,"records":N,"bytes":B,"last_hash":H}`: the file whose first record has
//! `prev` P held N records in its first B bytes, the last with hash H (N = 0: H = P, B = 0).
//! Segments run oldest first: one per rotated file kept (and the one a rotation is about to
//! delete), the last one for the file being written. A file F verifies when, besides steps
//! 1–4 on every line:
//! 5. **Head**: F's first `prev` is genesis; or the user says F continues a rotated file
//!    (`--rotated`); or F's predecessor beside it (`<log>.1` for `<log>`, `<log>.N+1` for
//!    `<log>.N`) ends with a record whose `hash` is that `prev`.
//! 6. **Anchored**: the segment with `first_prev` = F's first `prev` (the last such) is the
//!    one of F's place: the last for `<log>`, the N-th before the last for `<log>.N`, or one
//!    further back while a rotation is pending (the last segment is empty and `<log>` ends
//!    with its `prev`). Against a copy of the anchor named with `--anchor` (for files moved
//!    or archived) any segment may be it. F holds at least its N records and the N-th has
//!    hash H. A rotated file's segment (any but the last) must match exactly; the last may
//!    be followed by records written after the anchor's last update, which must chain on.
//! 7. **Empty**: an empty F verifies only as the current file while the last segment has
//!    N = 0. A missing anchor, or one whose `mac` fails, fails every file.
//!
//! The writer updates the anchor after each fsync of the log (temporary file, fsync,
//! rename), so a crash leaves the anchor behind the log by at most one batch, never ahead:
//! no false alarm. To rotate it first stores the anchor with a new, empty last segment, then
//! renames; a start that finds the current file still ending at that segment's `prev`
//! finishes the renames. At start the writer refuses (fails closed on) a log that does not
//! hold what its anchor records, a log with records but no anchor, and an anchor whose `mac`
//! fails.
//!
//! Without `K`, this catches any edit, deleted, inserted or reordered records, cut first or
//! last records, an emptied or swapped file, and a chain recomputed with plain SHA-256 or
//! another key. It cannot catch the records of the last unanchored batch being cut, or a log
//! and its anchor rolled back together to an earlier copy; keep copies of the anchor
//! elsewhere against that. A rotated file older than the anchor's segments verifies only
//! against a copy of the anchor from while it was covered (`--anchor FILE`).
//!
//! # Writing and backpressure
//! [`AuditLog::append`] hands the record to a dedicated writer thread through a bounded channel
//! ([`CHANNEL_CAPACITY`] records). The writer sets `prev`/`hash`, writes through a `BufWriter`,
//! fsyncs every `fsync_every` records or `fsync_interval`, whichever comes first, and rotates by
//! size. When the channel is full, `append` **blocks** until the writer has room: an audit log
//! that silently drops records is worthless, so under sustained overload the proxy slows to
//! the speed of the disk instead. A write or fsync failure stops the writer for good; every
//! later `append`/`flush` then returns [`AuditError::WriterFailed`], so the caller can fail
//! closed rather than serve unaudited traffic.

mod anchor;
mod files;
mod keys;
mod recover;
mod show;
mod verify;
mod writer;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use files::{numbered, tighten, with_suffix};
use keys::ChainKey;
pub use show::show;
pub use verify::{verify, verify_with, Break, VerifyOptions, VerifyReport};

/// Records the writer thread may have queued before `append` starts to block.
pub const CHANNEL_CAPACITY: usize = 4096;

/// `prev` of the first record ever written.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Settings of the `[audit]` section of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Log file; `None` turns auditing off.
    pub path: Option<PathBuf>,
    /// Key file of the placeholder digests; `None` means `<path>.key` next to the log.
    pub key_file: Option<PathBuf>,
    /// Key file of the hash chain and anchor; `None` means `<path>.chain.key`.
    pub chain_key_file: Option<PathBuf>,
    /// Rotate before a record would make the file exceed this many bytes.
    pub max_bytes: u64,
    /// Rotated files kept (`<path>.1` is the newest); 0 deletes the full file on rotation.
    pub keep: usize,
    /// Fsync after this many records at most.
    pub fsync_every: usize,
    /// Fsync at most this long after the first unsynced record (`fsync_interval_ms`).
    #[serde(rename = "fsync_interval_ms", with = "duration_ms")]
    pub fsync_interval: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            path: None,
            key_file: None,
            chain_key_file: None,
            max_bytes: 64 * 1024 * 1024,
            keep: 5,
            fsync_every: 64,
            fsync_interval: Duration::from_secs(1),
        }
    }
}

impl AuditConfig {
    /// The digest key file actually used: `key_file`, or `<path>.key`.
    pub fn key_path(&self) -> Option<PathBuf> {
        self.key_file
            .clone()
            .or_else(|| self.path.as_deref().map(|p| with_suffix(p, ".key")))
    }

    /// The chain key file actually used: `chain_key_file`, or `<path>.chain.key`.
    pub fn chain_key_path(&self) -> Option<PathBuf> {
        self.chain_key_file
            .clone()
            .or_else(|| self.path.as_deref().map(|p| with_suffix(p, ".chain.key")))
    }
}

/// Serde adapter: the config file speaks whole milliseconds.
mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Phase timings of one request, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Time spent detecting and rewriting PII.
    pub mask_ms: f64,
    /// Time from request received to the draft's first token, when a draft ran.
    pub draft_first_token_ms: Option<f64>,
    /// Time from request received to the upstream's first response byte.
    pub upstream_first_byte_ms: Option<f64>,
    /// Time from request received to the last byte sent to the client.
    pub total_ms: f64,
}

impl Timings {
    /// Replaces NaN/infinite values, which JSON cannot carry and would read back as `null`.
    fn sanitize(&mut self) {
        let fin = |v: f64| if v.is_finite() { v } else { 0.0 };
        self.mask_ms = fin(self.mask_ms);
        self.total_ms = fin(self.total_ms);
        self.draft_first_token_ms = self.draft_first_token_ms.filter(|v| v.is_finite());
        self.upstream_first_byte_ms = self.upstream_first_byte_ms.filter(|v| v.is_finite());
    }
}

/// One line of the audit log; field order is part of the hash definition (see module doc).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Request received, RFC 3339 UTC with milliseconds (see [`rfc3339_millis`]).
    pub ts: String,
    /// Per-request id, as given to the client.
    pub request_id: String,
    /// Route, e.g. `/v1/chat/completions`.
    pub route: String,
    /// Model named in the request, if any.
    pub model: Option<String>,
    /// Client address (`ip:port`).
    pub client: String,
    /// HTTP status returned to the client.
    pub status: u16,
    /// Detected entities per type, e.g. `{"EMAIL": 2}`.
    pub entities: BTreeMap<String, u32>,
    /// The exact body that left the machine; `null` when nothing was forwarded.
    pub masked_request: serde_json::Value,
    /// Placeholder → keyed digest of its value ([`AuditLog::digest`]); never raw values.
    pub placeholders: BTreeMap<String, String>,
    /// Draft statistics (tokens, words, outcome), when a draft ran.
    pub draft: Option<serde_json::Value>,
    /// Phase timings.
    pub timings: Timings,
    /// Short failure reason; must never contain PII.
    pub error: Option<String>,
    /// Hash of the previous record; set by the writer, any caller value is overwritten.
    pub prev: String,
    /// Hash of this record; set by the writer, any caller value is overwritten.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditRecord {
    /// A record stamped with the current time; fill the remaining fields as the request goes.
    pub fn new(
        request_id: impl Into<String>,
        route: impl Into<String>,
        client: impl Into<String>,
    ) -> Self {
        AuditRecord {
            ts: rfc3339_millis(SystemTime::now()),
            request_id: request_id.into(),
            route: route.into(),
            client: client.into(),
            ..AuditRecord::default()
        }
    }
}

/// Errors of the audit log; each names the file (and line) involved.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading or writing a file failed.
    #[error("audit log {}: {source}", path.display())]
    Io {
        /// File involved.
        path: PathBuf,
        /// Underlying error.
        source: io::Error,
    },
    /// A key file is unusable.
    #[error("audit key file {}: {reason}", path.display())]
    Key {
        /// Key file.
        path: PathBuf,
        /// What is wrong (never the key itself).
        reason: String,
    },
    /// The configuration cannot work.
    #[error("audit config: {0}")]
    Config(String),
    /// An existing log cannot be continued because its last record is damaged.
    #[error("audit log {}, line {line}: {reason}", path.display())]
    Corrupt {
        /// Log file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The log does not match its anchor, or the anchor is missing or invalid: the log may
    /// have been tampered with, so the writer does not continue it.
    #[error("audit anchor {}: {reason}", path.display())]
    Anchor {
        /// Anchor file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The writer thread stopped (I/O failure); records are no longer being written.
    #[error("audit writer for {} stopped: {reason}", path.display())]
    WriterFailed {
        /// Log file.
        path: PathBuf,
        /// Why it stopped.
        reason: String,
    },
    /// Another handle in this process already writes this file.
    #[error("audit log {} is already open in this process", .0.display())]
    AlreadyOpen(PathBuf),
    /// Writing the output of [`show`] failed.
    #[error("writing audit output: {0}")]
    Output(#[source] io::Error),
}

/// Closure adapter for `map_err`: an I/O error on `path`.
fn io_err(path: &Path) -> impl FnOnce(io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// State shared by the handles and the writer thread.
struct Shared {
    path: PathBuf,
    /// First fatal writer error; sticky, since a half-written log must not be written on.
    failed: OnceLock<String>,
    /// Times `append` found the channel full (for rate-limited warnings).
    full_events: AtomicU64,
}

impl Shared {
    fn check(&self) -> Result<(), AuditError> {
        match self.failed.get() {
            Some(reason) => Err(self.failed_err(reason)),
            None => Ok(()),
        }
    }

    fn failed_err(&self, reason: &str) -> AuditError {
        AuditError::WriterFailed {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    fn gone(&self) -> AuditError {
        let reason = self.failed.get().map_or("writer thread is gone", |r| r);
        self.failed_err(reason)
    }
}

/// Messages to the writer thread.
enum Msg {
    /// Boxed so that the channel's preallocated slots stay small.
    Record(Box<AuditRecord>),
    /// Write out and fsync everything before this message, then answer.
    Flush(SyncSender<Result<(), String>>),
}

/// Logs open in this process: two writers on one file would interleave and break the chain.
static OPEN_LOGS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Holds a log's entry in [`OPEN_LOGS`] until dropped.
struct Registration(PathBuf);

impl Registration {
    fn claim(path: &Path) -> Result<Registration, AuditError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.file_name().ok_or_else(|| {
            AuditError::Config(format!("audit path {} names no file", path.display()))
        })?;
        // Canonical, so that `./a/log` and `a/../a/log` count as the same file.
        let key = fs::canonicalize(dir).map_err(io_err(dir))?.join(name);
        let mut open = OPEN_LOGS.lock().unwrap_or_else(PoisonError::into_inner);
        if !open.insert(key.clone()) {
            return Err(AuditError::AlreadyOpen(path.to_path_buf()));
        }
        Ok(Registration(key))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut open = OPEN_LOGS.lock().unwrap_or_else(PoisonError::into_inner);
        open.remove(&self.0);
    }
}

struct Inner {
    shared: Arc<Shared>,
    /// Prepared HMAC state; cloning it per digest skips re-deriving the key pads.
    mac: Hmac<Sha256>,
    /// `Option` only so that `Drop` can close the channel before joining the thread.
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<()>>,
    /// Dropped after `Inner::drop` has joined the writer, so the file is free only then.
    _registration: Registration,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel tells the writer to write out, fsync and exit.
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!(path = %self.shared.path.display(), "audit writer thread panicked");
            }
        }
    }
}

/// Handle to an open audit log; clones share one writer thread.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key must never reach a log line, so only the path is shown.
        f.debug_struct("AuditLog")
            .field("path", &self.inner.shared.path)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates) the log and its key, continuing the existing chain; `None` if off.
    pub fn open(cfg: &AuditConfig) -> Result<Option<AuditLog>, AuditError> {
        let Some(path) = cfg.path.clone() else {
            return Ok(None);
        };
        if cfg.max_bytes == 0 {
            return Err(AuditError::Config(
                "max_bytes must be greater than 0".into(),
            ));
        }
        files::create_dirs_for(&path)?;
        let registration = Registration::claim(&path)?;
        let key_path = cfg.key_path().unwrap_or_else(|| with_suffix(&path, ".key"));
        let chain_key_path = cfg
            .chain_key_path()
            .unwrap_or_else(|| with_suffix(&path, ".chain.key"));
        if key_path == chain_key_path {
            return Err(AuditError::Config(
                "key_file and chain_key_file must be different files".into(),
            ));
        }
        let key = keys::load_or_create(&key_path)?;
        let mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| AuditError::Key {
            path: key_path.clone(),
            reason: "key has an unusable length".into(),
        })?;
        let chain = ChainKey::new(&keys::load_or_create(&chain_key_path)?);
        // Files an older version (or a wide umask) left readable by others.
        tighten(&path);
        tighten(&with_suffix(&path, ".anchor"));
        for n in 1..=cfg.keep {
            tighten(&numbered(&path, n));
        }

        let shared = Arc::new(Shared {
            path: path.clone(),
            failed: OnceLock::new(),
            full_events: AtomicU64::new(0),
        });
        let writer = writer::Writer::open(cfg, Arc::clone(&shared), chain)?;
        let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("veilgate-audit".into())
            .spawn(move || writer.run(rx))
            .map_err(io_err(&path))?;
        Ok(Some(AuditLog {
            inner: Arc::new(Inner {
                shared,
                mac,
                tx: Some(tx),
                thread: Some(thread),
                _registration: registration,
            }),
        }))
    }

    /// The log file being written.
    pub fn path(&self) -> &Path {
        &self.inner.shared.path
    }

    /// Keyed digest of a value: lowercase hex HMAC-SHA256(key, UTF-8 bytes of `value`).
    pub fn digest(&self, value: &str) -> String {
        let mut mac = self.inner.mac.clone();
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Builds the `placeholders` map from (placeholder, original value) pairs.
    pub fn digest_placeholders<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> BTreeMap<String, String> {
        pairs
            .into_iter()
            .map(|(placeholder, value)| (placeholder.to_string(), self.digest(value)))
            .collect()
    }

    /// Queues a record for writing; blocks only while the queue is full (see module doc).
    pub fn append(&self, record: AuditRecord) -> Result<(), AuditError> {
        let shared = &self.inner.shared;
        shared.check()?;
        let tx = self.inner.tx.as_ref().ok_or_else(|| shared.gone())?;
        match tx.try_send(Msg::Record(Box::new(record))) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(msg)) => {
                let n = shared.full_events.fetch_add(1, Ordering::Relaxed);
                if n.is_multiple_of(1000) {
                    tracing::warn!(
                        path = %shared.path.display(),
                        times = n + 1,
                        "audit queue full; requests wait for the disk"
                    );
                }
                tx.send(msg).map_err(|_| shared.gone())
            }
            Err(TrySendError::Disconnected(_)) => Err(shared.gone()),
        }
    }

    /// Blocks until every record appended so far is written and fsync'd.
    pub fn flush(&self) -> Result<(), AuditError> {
        let shared = &self.inner.shared;
        shared.check()?;
        let tx = self.inner.tx.as_ref().ok_or_else(|| shared.gone())?;
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        tx.send(Msg::Flush(ack_tx)).map_err(|_| shared.gone())?;
        match ack_rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(shared.failed_err(&reason)),
            Err(_) => Err(shared.gone()),
        }
    }

    /// Flushes; if this is the last handle, also stops and joins the writer thread.
    pub fn close(self) -> Result<(), AuditError> {
        self.flush()
        // `self` drops here; the last handle's drop joins the writer.
    }
}

/// Formats a time as RFC 3339 UTC with milliseconds, e.g. `2024-02-29T13:05:09.042Z`.
pub fn rfc3339_millis(t: SystemTime) -> String {
    // Times before 1970 do not occur for requests; clamping keeps this total.
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days(secs / 86_400);
    let sod = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of a 400-year era.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}
