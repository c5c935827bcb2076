//! File plumbing of the audit log: names, private modes, rotation renames, reading lines
//! backwards from an offset.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{io_err, AuditError};

/// Bytes read per step when scanning backwards for a line.
const TAIL_CHUNK: usize = 64 * 1024;

/// `path` with `suffix` appended to its file name (`audit.jsonl` → `audit.jsonl.key`).
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `audit.jsonl` → `audit.jsonl.N`.
pub(super) fn numbered(path: &Path, n: usize) -> PathBuf {
    with_suffix(path, &format!(".{n}"))
}

/// `audit.jsonl.N` → (`audit.jsonl`, N); `None` when the name does not end in `.N`.
pub(super) fn split_numbered(path: &Path) -> Option<(PathBuf, usize)> {
    let name = path.file_name()?.to_str()?;
    let (stem, n) = name.rsplit_once('.')?;
    if stem.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((path.with_file_name(stem), n.parse().ok()?))
}

/// Creates the folder a file is to live in.
pub(super) fn create_dirs_for(path: &Path) -> Result<(), AuditError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    Ok(())
}

/// Opens a log file for appending, creating it with mode 0600: it holds the text of requests.
pub(super) fn open_log(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Opens a file for writing from scratch with mode 0600, narrowing it if it already existed.
pub(super) fn create_private(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let file = opts.open(path)?;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    opts.open(path)
}

/// Narrows an existing regular file that others may read or write to mode 0600, with a
/// warning; a file that cannot be changed (read-only mount, another owner) only warns.
/// Anything else (missing, a device such as `/dev/full`) is left alone.
pub(super) fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = fs::metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode() & 0o777;
        if !meta.is_file() || mode & 0o077 == 0 {
            return;
        }
        match fs::set_permissions(path, fs::Permissions::from_mode(0o600)) {
            Ok(()) => tracing::warn!(
                path = %path.display(),
                was = %format!("{mode:o}"),
                "audit file was accessible to other users; narrowed to mode 600"
            ),
            Err(e) => tracing::warn!(
                path = %path.display(),
                mode = %format!("{mode:o}"),
                error = %e,
                "audit file is accessible to other users and cannot be narrowed; chmod 600 it"
            ),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub(super) fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes renames and creations in the log's folder durable; best effort, unix only.
pub(super) fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            tracing::warn!(dir = %dir.display(), error = %e, "could not fsync audit log folder");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Moves the current file to `.1`, shifting older ones up (`.1` → `.2` …); with every number
/// up to `keep` taken, the oldest is deleted; `keep == 0` deletes the current file. Only the
/// files below the first free number move, so redoing a shift that a crash cut short moves
/// each file once and deletes none twice.
pub(super) fn shift(path: &Path, keep: usize) -> io::Result<()> {
    if keep == 0 {
        return remove_if_exists(path);
    }
    let free = match (1..=keep).find(|&i| !numbered(path, i).exists()) {
        Some(free) => free,
        None => {
            fs::remove_file(numbered(path, keep))?;
            keep
        }
    };
    for i in (1..free).rev() {
        fs::rename(numbered(path, i), numbered(path, i + 1))?;
    }
    if path.exists() {
        fs::rename(path, numbered(path, 1))?;
    }
    Ok(())
}

/// The line that ends at byte `end` (a `\n` at `end - 1`, or the end of the file), as
/// (offset, bytes without `\n`); `None` when `end` is 0. Scans backwards in chunks, so the
/// cost does not grow with the file.
pub(super) fn line_ending_at(file: &mut File, end: u64) -> io::Result<Option<(u64, Vec<u8>)>> {
    if end == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(end - 1))?;
    file.read_exact(&mut last)?;
    let end = if last[0] == b'\n' { end - 1 } else { end };

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
    Ok(Some((start, bytes)))
}

/// Newlines in the first `upto` bytes: the line number of an error found from the tail.
pub(super) fn count_newlines(file: &mut File, upto: u64) -> io::Result<u64> {
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
