//! The two secrets of the audit log, each a file of hex digits (32 random bytes, mode 0600):
//! the digest key behind the `placeholders` digests, and the chain key behind every `hash`
//! and the anchor's `mac`. They are separate files so that an auditor can be given the chain
//! key to verify a log without being able to test guesses of the values behind the digests.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::files::{create_dirs_for, tighten};
use super::{io_err, AuditError};

/// Key length of a key file this module creates.
const KEY_BYTES: usize = 32;
/// Shortest key accepted from an existing file.
const MIN_KEY_BYTES: usize = 16;

/// The chain key, prepared: HMAC-SHA256 with its pads already derived, cloned per message.
#[derive(Clone)]
pub(super) struct ChainKey(Hmac<Sha256>);

impl ChainKey {
    pub(super) fn new(key: &[u8]) -> ChainKey {
        // HMAC takes keys of any length; the files hold at least MIN_KEY_BYTES.
        ChainKey(Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length"))
    }

    /// Lowercase hex HMAC-SHA256 of `bytes`.
    pub(super) fn tag(&self, bytes: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(bytes);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `tag` (lowercase hex) is the HMAC of `bytes`, compared in constant time.
    pub(super) fn checks(&self, bytes: &[u8], tag: &str) -> bool {
        let Ok(tag) = hex::decode(tag) else {
            return false;
        };
        let mut mac = self.0.clone();
        mac.update(bytes);
        mac.verify_slice(&tag).is_ok()
    }
}

fn key_err(path: &Path, reason: &str) -> AuditError {
    AuditError::Key {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads the hex key file, or creates it (mode 0600) with 32 random bytes.
pub(super) fn load_or_create(path: &Path) -> Result<Vec<u8>, AuditError> {
    create_dirs_for(path)?;
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut file) => {
            let mut key = [0u8; KEY_BYTES];
            getrandom::getrandom(&mut key).map_err(|_| key_err(path, "no system randomness"))?;
            let text = format!("{}\n", hex::encode(key));
            if let Err(e) = file
                .write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
            {
                // An empty or partial key file would fail every later start; leave none.
                let _ = fs::remove_file(path);
                return Err(io_err(path)(e));
            }
            Ok(key.to_vec())
        }
        // Already there (possibly created by a concurrent process a moment ago): use it.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let key = read(path)?;
            tighten(path);
            Ok(key)
        }
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Reads an existing hex key file; never creates one (`audit verify` uses this).
pub(super) fn read(path: &Path) -> Result<Vec<u8>, AuditError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(key_err(
                path,
                "not found (verifying needs the chain key the writer used: --key FILE)",
            ))
        }
        Err(e) => return Err(io_err(path)(e)),
    };
    let key = hex::decode(text.trim()).map_err(|_| key_err(path, "not a hex string"))?;
    if key.len() < MIN_KEY_BYTES {
        return Err(key_err(path, "key shorter than 16 bytes (32 hex digits)"));
    }
    Ok(key)
}
