//! The optional local access token: who may use the proxy at all.
//!
//! The token comes from the variable named by `server.access_token_env` or from
//! `server.access_token_file`. Only its SHA-256 digest is kept; a presented credential is
//! hashed and the two digests compared in constant time (`subtle`), so neither the
//! comparison's duration nor the token's length tells a caller anything.

use std::path::Path;

use anyhow::{bail, Context as _};
use hyper::header::{self, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ServerConfig;

/// The digest of the local access token.
pub struct AccessToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

impl AccessToken {
    /// The configured token, if any. A named variable that is unset, an unreadable file or
    /// an empty token is a start-up error.
    pub fn from_config(cfg: &ServerConfig) -> anyhow::Result<Option<AccessToken>> {
        let token = match (&cfg.access_token_env, &cfg.access_token_file) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                bail!("set server.access_token_env or server.access_token_file, not both")
            }
            (Some(var), None) => std::env::var(var).with_context(|| {
                format!("server.access_token_env names {var}, which is not set")
            })?,
            (None, Some(path)) => read_token_file(path)?,
        };
        let token = token.trim_end_matches(['\r', '\n']);
        if token.is_empty() {
            bail!("the local access token is empty");
        }
        Ok(Some(AccessToken::new(token)))
    }

    /// A token from its text.
    pub fn new(token: &str) -> AccessToken {
        AccessToken {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// True if `presented` is the token.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        self.digest.ct_eq(&digest).into()
    }

    /// True if the request carries the token: `Authorization: Bearer <token>`, or on the
    /// Anthropic route also `x-api-key: <token>`.
    pub fn admits(&self, headers: &HeaderMap, anthropic: bool) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| bearer_token(v.as_bytes()))
            .is_some_and(|t| self.matches(t));
        let api_key = anthropic
            && headers
                .get("x-api-key")
                .is_some_and(|v| self.matches(v.as_bytes()));
        bearer | api_key
    }
}

fn read_token_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("server.access_token_file {}", path.display()))
}

/// The credential of an `Authorization: Bearer …` value (scheme case-insensitive).
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    header::HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn bearer_token_is_required_and_compared_whole() {
        let t = AccessToken::new("local-secret");
        assert!(t.admits(&headers(&[("authorization", "Bearer local-secret")]), false));
        assert!(t.admits(&headers(&[("authorization", "bearer local-secret")]), false));
        assert!(!t.admits(&headers(&[("authorization", "Bearer local-secre")]), false));
        assert!(!t.admits(
            &headers(&[("authorization", "Bearer local-secretx")]),
            false
        ));
        assert!(!t.admits(&headers(&[("authorization", "Basic local-secret")]), false));
        assert!(!t.admits(&headers(&[]), false));
    }

    #[test]
    fn x_api_key_counts_on_the_anthropic_route_only() {
        let t = AccessToken::new("local-secret");
        let h = headers(&[("x-api-key", "local-secret")]);
        assert!(t.admits(&h, true));
        assert!(!t.admits(&h, false));
    }

    #[test]
    fn token_file_ignores_the_trailing_newline_and_empty_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        let cfg = ServerConfig {
            access_token_file: Some(file.clone()),
            ..ServerConfig::default()
        };
        let t = AccessToken::from_config(&cfg).unwrap().unwrap();
        assert!(t.matches(b"from-file"));
        std::fs::write(&file, "\n").unwrap();
        let err = AccessToken::from_config(&cfg).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let missing = ServerConfig {
            access_token_file: Some(dir.path().join("nope")),
            ..ServerConfig::default()
        };
        let err = format!("{:#}", AccessToken::from_config(&missing).unwrap_err());
        assert!(err.contains("nope"), "{err}");
    }
}
