//! TLS on the listener: rustls (ring provider) from a PEM certificate chain and key, with
//! ALPN offering HTTP/2 and HTTP/1.1. Loaded once at start-up; every problem names the file.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::ServerConfig;

/// The acceptor for `server.tls_cert` and `server.tls_key`; `None` when neither is set
/// (plain HTTP). One without the other is an error.
pub fn acceptor(cfg: &ServerConfig) -> anyhow::Result<Option<TlsAcceptor>> {
    let (cert, key) = match (&cfg.tls_cert, &cfg.tls_key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        (Some(_), None) => bail!("server.tls_cert is set but server.tls_key is not"),
        (None, Some(_)) => bail!("server.tls_key is set but server.tls_cert is not"),
    };
    let chain = certificates(cert)?;
    let key = private_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "server.tls_key {} does not fit server.tls_cert {}",
                cfg.tls_key.as_deref().unwrap_or(Path::new("")).display(),
                cert.display()
            )
        })?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(tls))))
}

/// Every certificate of a PEM file; at least one.
fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let what = || format!("server.tls_cert {}", path.display());
    let bytes = std::fs::read(path).with_context(what)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate file", what()))?;
    if chain.is_empty() {
        bail!("{}: no PEM certificate found", what());
    }
    Ok(chain)
}

/// The first private key of a PEM file.
fn private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let what = || format!("server.tls_key {}", path.display());
    let bytes = std::fs::read(path).with_context(what)?;
    // The key's bytes never reach an error message: only the path does.
    PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|_| anyhow::anyhow!("{}: no PEM private key found", what()))
}
