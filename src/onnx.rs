//! ONNX Runtime, shared by the tagger and the draft model: finding and loading the library
//! once per process, and building sessions the same way for both.
//!
//! veilgate links ONNX Runtime at run time (`ort` with `load-dynamic`). The library comes
//! from PyPI's `onnxruntime` wheel, which `scripts/setup-python.sh` installs into `.venv`.
//! Search order: the `privacy.onnxruntime` config key, then `ORT_DYLIB_PATH`, then the
//! wheel in a `.venv` beside the binary or the working directory (or any of their parents),
//! then the system library directories.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use ort::environment::Environment;
use ort::ep;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;

/// The one ONNX Runtime environment of this process, and the library it came from.
static ENVIRONMENT: OnceLock<(Environment, PathBuf)> = OnceLock::new();
static INIT: Mutex<()> = Mutex::new(());

/// How to fix a missing library, appended to every error about it.
const HOW_TO_FIX: &str =
    "run scripts/setup-python.sh (it installs PyPI's onnxruntime 1.31 into .venv), \
     or point ORT_DYLIB_PATH or privacy.onnxruntime at libonnxruntime.so.1.31.x; \
     or run rules-only, without either model, with VEILGATE__PRIVACY__TAGGER=false \
     VEILGATE__DRAFT__ENABLED=false (names, places and organisations are then not masked)";

/// The process's ONNX Runtime environment, loading the library on first use.
pub fn environment(explicit: Option<&Path>) -> anyhow::Result<&'static Environment> {
    if let Some((env, _)) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let _guard = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((env, _)) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let path = locate(explicit)?;
    let env = ort::init_from(&path)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot load ONNX Runtime from {}: {e}; {HOW_TO_FIX}",
                path.display()
            )
        })?
        .with_name("veilgate")
        .build()
        .map_err(|e| {
            anyhow::anyhow!("ONNX Runtime from {} failed to start: {e}", path.display())
        })?;
    tracing::debug!(library = %path.display(), "ONNX Runtime loaded");
    Ok(&ENVIRONMENT.get_or_init(|| (env, path)).0)
}

/// A session builder for a model that serves requests on this machine's few cores:
/// `threads` intra-op threads, full graph optimisation, ONNX Runtime's CPU arena. The arena
/// keeps the largest buffers a session has needed, so the callers bound what one call may
/// need (the tagger: 512 padded tokens per batch). Plain allocation was measured instead:
/// peak memory fell, but a 1 KB mask took 3.3 to 17 ms instead of 2.3 (glibc returning and
/// re-faulting the buffers of every call).
pub fn session_builder(env: &Environment, threads: usize) -> anyhow::Result<SessionBuilder> {
    fn option<E: std::fmt::Display>(e: E) -> anyhow::Error {
        anyhow::anyhow!("ONNX Runtime session options: {e}")
    }
    Session::builder(env)
        .map_err(option)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(option)?
        .with_intra_threads(threads.max(1))
        .map_err(option)?
        .with_inter_threads(1)
        .map_err(option)?
        .with_execution_providers([ep::CPU::default().with_arena_allocator(true).build()])
        .map_err(option)
}

/// Sessions of one model run side by side; a caller takes a free one or none (it never
/// waits for one).
pub struct SessionPool {
    sessions: Vec<Mutex<Session>>,
}

impl From<Vec<Session>> for SessionPool {
    fn from(sessions: Vec<Session>) -> Self {
        SessionPool {
            sessions: sessions.into_iter().map(Mutex::new).collect(),
        }
    }
}

impl SessionPool {
    /// A free session, or None when every one is busy.
    pub fn try_get(&self) -> Option<MutexGuard<'_, Session>> {
        self.sessions.iter().find_map(|s| match s.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        })
    }
}

/// `n` sessions (at least one) of `model`, built by [`session_builder`].
pub fn sessions(
    env: &Environment,
    threads: usize,
    n: usize,
    model: &[u8],
) -> anyhow::Result<Vec<Session>> {
    (0..n.max(1))
        .map(|_| {
            session_builder(env, threads)?
                .commit_from_memory(model)
                .map_err(|e| anyhow::anyhow!("model.onnx is not a loadable ONNX model: {e}"))
        })
        .collect()
}

/// Gives the memory pages of a model embedded in the binary back to the kernel once its
/// sessions are built: the sessions hold their own copy of the weights, and the bytes are
/// read again only if another session is built. The bytes stay valid: they are a read-only
/// mapping of the executable, so a later read faults them back in from the file.
pub fn release_pages(embedded: &'static [u8]) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sysconf` has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as usize;
        let start = (embedded.as_ptr() as usize).next_multiple_of(page);
        let end = (embedded.as_ptr() as usize + embedded.len()) / page * page;
        if end > start {
            // SAFETY: the range lies inside a `'static` byte slice of the executable's
            // read-only data, a private file mapping that is never written, so dropping its
            // pages loses nothing: the next read faults them back in from the file.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = embedded;
}

/// The library file to load.
pub fn locate(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return existing(path, "privacy.onnxruntime");
    }
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        return existing(Path::new(&path), "ORT_DYLIB_PATH");
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        roots.extend(dir.ancestors().map(Path::to_path_buf));
    }
    if let Ok(dir) = std::env::current_dir() {
        roots.extend(dir.ancestors().map(Path::to_path_buf));
    }
    for root in &roots {
        if let Some(found) = in_venv(&root.join(".venv")) {
            return Ok(found);
        }
    }
    for dir in [
        "/opt/veilgate/lib",
        "/usr/local/lib",
        "/usr/lib",
        "/usr/lib/x86_64-linux-gnu",
    ] {
        if let Some(found) = newest_lib(Path::new(dir)) {
            return Ok(found);
        }
    }
    anyhow::bail!(
        "ONNX Runtime library not found (needed by the tagger and the draft model); {HOW_TO_FIX}"
    )
}

fn existing(path: &Path, source: &str) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        anyhow::bail!(
            "{source} names {}, which does not exist; {HOW_TO_FIX}",
            path.display()
        )
    }
}

/// `<venv>/lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so.*`.
fn in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .find_map(|e| newest_lib(&e.path().join("site-packages/onnxruntime/capi")))
}

/// The `libonnxruntime.so.X.Y.Z` with the highest version in `dir` (or plain `.so`).
fn newest_lib(dir: &Path) -> Option<PathBuf> {
    let mut libs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so") && !n.contains("providers"))
        })
        .collect();
    libs.sort();
    libs.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_wheel_inside_a_venv() {
        let dir = tempfile::tempdir().unwrap();
        let capi = dir
            .path()
            .join(".venv/lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        std::fs::write(capi.join("libonnxruntime.so.1.31.1"), b"").unwrap();
        std::fs::write(capi.join("libonnxruntime_providers_shared.so"), b"").unwrap();
        let found = in_venv(&dir.path().join(".venv")).unwrap();
        assert!(found.ends_with("libonnxruntime.so.1.31.1"));
    }

    #[test]
    fn a_missing_explicit_path_says_how_to_fix_it() {
        let err = locate(Some(Path::new("/nonexistent/libonnxruntime.so")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/libonnxruntime.so"), "{err}");
        assert!(err.contains("scripts/setup-python.sh"), "{err}");
    }
}
