//! Configuration: one TOML file, every key overridable by `VEILGATE__SECTION__KEY`.
//!
//! With no file at all the defaults below apply: listen on 127.0.0.1:8787, forward to
//! https://api.openai.com/v1, use the rules embedded in the binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration of one veilgate process.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub upstream: UpstreamConfig,
    pub privacy: PrivacyConfig,
    pub draft: DraftConfig,
    pub audit: crate::audit::AuditConfig,
}

/// `[server]`: the listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port (the chosen address is logged).
    pub listen: String,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Grace period for in-flight requests on shutdown, in milliseconds.
    pub shutdown_grace_ms: u64,
    /// PEM certificate chain for TLS on the listener; with `tls_key`. Unset = plain HTTP.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Name of an environment variable holding a local access token. When set, every route
    /// but `/healthz` needs `Authorization: Bearer <token>` (or `x-api-key` on `/v1/messages`).
    pub access_token_env: Option<String>,
    /// A file holding the local access token (trailing newline ignored); alternative to
    /// `access_token_env`.
    pub access_token_file: Option<PathBuf>,
    /// Longest a connection may take to send its first byte, and a request its headers;
    /// then it is closed (slow or idle clients cannot hold connections).
    pub header_read_timeout_ms: u64,
    /// Longest a request may take to send its whole body (408 beyond).
    pub body_read_timeout_ms: u64,
    /// Open client connections at most; at the limit the oldest connection that has not yet
    /// sent a request is closed to make room (or the new one, if every one is busy). Never
    /// more than three quarters of the process's file-descriptor limit.
    pub max_connections: usize,
    /// Request body bytes buffered across all requests at once; a request that would go
    /// beyond gets 503 with `retry-after` (so many slow uploads cannot exhaust memory).
    pub max_buffered_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8787".into(),
            max_body_bytes: 16 * 1024 * 1024,
            shutdown_grace_ms: 10_000,
            tls_cert: None,
            tls_key: None,
            access_token_env: None,
            access_token_file: None,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 60_000,
            max_connections: 4096,
            max_buffered_body_bytes: 128 * 1024 * 1024,
        }
    }
}

/// `[upstream]`: where masked requests go.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Base URL of the OpenAI-compatible API; `/v1/chat/completions` goes to
    /// `{base_url}/chat/completions`.
    pub base_url: String,
    /// Base URL for the Anthropic route `/v1/messages`.
    pub anthropic_base_url: String,
    /// Name of an environment variable holding the upstream API key. When set, the proxy
    /// sends that key upstream instead of whatever key the client sent.
    pub api_key_env: Option<String>,
    /// Name of an environment variable holding the Anthropic API key, sent as `x-api-key`
    /// on `/v1/messages` instead of the client's. The OpenAI key is never sent there.
    pub anthropic_api_key_env: Option<String>,
    /// Extra CA bundle (PEM) trusted besides the Mozilla roots, e.g. `certs/upstream-ca.pem`.
    pub ca_file: Option<PathBuf>,
    /// Assistant-prefill dialect of the upstream (used by the draft splice).
    pub prefill: Option<String>,
    pub connect_timeout_ms: u64,
    /// Longest wait for the upstream's response headers (504 beyond).
    pub first_byte_timeout_ms: u64,
    /// Longest silence between two chunks of a streamed reply.
    pub idle_timeout_ms: u64,
    /// Largest non-streamed response body read from the upstream, in bytes (502 beyond).
    pub max_response_bytes: usize,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        UpstreamConfig {
            base_url: "https://api.openai.com/v1".into(),
            anthropic_base_url: "https://api.anthropic.com/v1".into(),
            api_key_env: None,
            anthropic_api_key_env: None,
            ca_file: None,
            prefill: None,
            connect_timeout_ms: 10_000,
            first_byte_timeout_ms: 300_000,
            idle_timeout_ms: 120_000,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// `[privacy]`: the detectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Directory of `*.toml` rule files; unset = the rules embedded in the binary.
    pub rules_dir: Option<PathBuf>,
    /// Run the ONNX token tagger (names, places, organisations, addresses).
    pub tagger: bool,
    /// Directory of a token-classification model (`model.onnx`, `tokenizer.json`,
    /// `config.json`, Hugging Face layout); unset = the model embedded in the binary.
    pub tagger_model: Option<PathBuf>,
    /// The ONNX Runtime library; unset = `ORT_DYLIB_PATH`, then `.venv`, then system dirs.
    pub onnxruntime: Option<PathBuf>,
    /// Threads one tagger inference may use.
    pub tagger_threads: usize,
    /// Tagger sessions, each on a thread of its own; a call batches whatever windows are
    /// queued, from any request.
    pub tagger_sessions: usize,
    /// Names and places found with a lower mean probability are not masked.
    pub tagger_min_score: f32,
    /// Tagger scores are probability × this weight when overlaps with rules are resolved.
    pub tagger_weight: f32,
    /// Texts whose detection results are remembered (by a keyed hash; spans only, never
    /// text), so earlier turns resent with every request are not detected again; 0 = off.
    pub detect_cache_entries: usize,
    /// Images, audio and PDFs (base64 `data:` URLs, file data): text detectors cannot read
    /// them, so by default a request carrying one is refused (400); `pass` forwards them
    /// unread and the audit record notes where they were.
    pub binary_media: BinaryMedia,
    /// Characters of new text (not in the detection cache) the tagger reads for one request;
    /// beyond it `over_budget` decides. Bounds the CPU one request can take.
    pub tagger_max_chars: usize,
    /// A request over `tagger_max_chars`: `refuse` (413, nothing forwarded) or `rules_only`
    /// (masked by the rules and dictionaries alone, names in it may leave).
    pub over_budget: OverBudget,
    /// Keep public knowledge that identifies nobody (the places, people, works and
    /// organisations of `models/public/`) unmasked unless personal context stands beside it;
    /// false masks every name the detectors find.
    pub keep_public: bool,
    /// Per entity type: action, minimum score, allow- and deny-lists
    /// ([`crate::privacy::policy`]), keyed by the type's tag (`PERSON`, `US_SSN`, …).
    pub types: std::collections::BTreeMap<String, crate::privacy::policy::TypePolicy>,
    /// Forward every request unchanged and only report (log, audit, metrics) what would have
    /// been masked: for tuning the policy on real traffic, never for production.
    pub report_only: bool,
}

/// What happens to a request with more new text than the tagger's per-request budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverBudget {
    /// Refuse it with 413 (the default: nothing leaves unread by the tagger).
    #[default]
    Refuse,
    /// Mask it with the rules and dictionaries only.
    RulesOnly,
}

/// What happens to binary media in a request, which no text detector can check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryMedia {
    /// Refuse the request with a 400 naming the field (the default: nothing unread leaves).
    #[default]
    Refuse,
    /// Forward it unread.
    Pass,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            rules_dir: None,
            tagger: true,
            tagger_model: None,
            onnxruntime: None,
            tagger_threads: 1,
            tagger_sessions: 2,
            tagger_min_score: 0.35,
            tagger_weight: 0.8,
            detect_cache_entries: 4096,
            binary_media: BinaryMedia::Refuse,
            tagger_max_chars: 256 * 1024,
            over_budget: OverBudget::Refuse,
            keep_public: true,
            types: Default::default(),
            report_only: false,
        }
    }
}

/// `[draft]`: the local micro model that writes a streamed chat reply's first words while
/// the cloud model starts (DESIGN §5; the knobs are explained in README → Draft).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DraftConfig {
    /// Draft openers; unset = on, since the shipped model is always present.
    pub enabled: Option<bool>,
    /// Directory of a causal LM export (optimum layout); unset = the embedded model.
    pub model: Option<PathBuf>,
    /// Threads one draft step may use.
    pub threads: usize,
    /// Drafts that run side by side; a request that finds them all busy is not drafted.
    pub sessions: usize,
    /// Most tokens of the conversation's tail the model reads.
    pub context_tokens: usize,
    /// Most tokens one draft writes.
    pub max_new_tokens: usize,
    /// Most words in an opener.
    pub max_words: usize,
    /// Fewest words an opener that stops mid-sentence may show: a shorter fragment ("The")
    /// says nothing and only constrains the cloud, so the request goes out plain instead.
    pub min_words: usize,
    /// The first this many tokens decide whether to draft at all ...
    pub start_tokens: usize,
    /// ... by the geometric mean of their probabilities against this.
    pub start_threshold: f32,
    /// Drafting stops before a token less likely than this.
    pub stop_threshold: f32,
    /// 0 = greedy; above 0, nucleus sampling at this temperature.
    pub temperature: f32,
    pub top_p: f32,
    /// Seed of the sampler (one prompt always drafts the same opener).
    pub seed: u64,
    /// How long a streamed chat may wait for its opener, from the request's arrival. The
    /// one upstream request leaves when the opener is final or this runs out, whichever is
    /// first; a draft with no word by then is dropped and the plain request leaves.
    pub budget_ms: u64,
}

impl Default for DraftConfig {
    fn default() -> Self {
        DraftConfig {
            enabled: None,
            model: None,
            threads: 1,
            sessions: 1,
            context_tokens: 512,
            max_new_tokens: 24,
            max_words: 6,
            min_words: 3,
            start_tokens: 2,
            start_threshold: 0.1,
            stop_threshold: 0.2,
            temperature: 0.0,
            top_p: 0.9,
            seed: 0,
            budget_ms: 40,
        }
    }
}

impl DraftConfig {
    /// Whether the proxy drafts openers.
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

/// A configuration that could not be read; the message names the file or variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Defaults, then `file` (if any), then `VEILGATE__…` variables of this process.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with_env(file, None)
    }

    /// Like [`Config::load`] with an explicit environment (tests use this).
    pub fn load_with_env(
        file: Option<&Path>,
        env: Option<HashMap<String, String>>,
    ) -> Result<Config, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!("{}: no such file", path.display())));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let environment = config::Environment::with_prefix("VEILGATE")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(env);
        let config: Config = builder
            .add_source(environment)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Every numeric setting within its range; the error names the key and the range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn check<T: PartialOrd + std::fmt::Display + Copy>(
            key: &str,
            value: T,
            low: T,
            high: T,
        ) -> Result<(), ConfigError> {
            if value >= low && value <= high {
                Ok(())
            } else {
                Err(ConfigError(format!(
                    "{key} = {value} is out of range ({low} to {high})"
                )))
            }
        }
        const DAY_MS: u64 = 24 * 3600 * 1000;
        const GIB: usize = 1 << 30;
        let (s, u, p, d, a) = (
            &self.server,
            &self.upstream,
            &self.privacy,
            &self.draft,
            &self.audit,
        );
        check("server.max_body_bytes", s.max_body_bytes, 1, GIB)?;
        check("server.shutdown_grace_ms", s.shutdown_grace_ms, 0, DAY_MS)?;
        check(
            "server.header_read_timeout_ms",
            s.header_read_timeout_ms,
            100,
            DAY_MS,
        )?;
        check(
            "server.body_read_timeout_ms",
            s.body_read_timeout_ms,
            100,
            DAY_MS,
        )?;
        check("server.max_connections", s.max_connections, 1, 1_000_000)?;
        check(
            "server.max_buffered_body_bytes",
            s.max_buffered_body_bytes,
            s.max_body_bytes,
            16 * GIB,
        )?;
        check(
            "upstream.connect_timeout_ms",
            u.connect_timeout_ms,
            1,
            DAY_MS,
        )?;
        check(
            "upstream.first_byte_timeout_ms",
            u.first_byte_timeout_ms,
            1,
            DAY_MS,
        )?;
        check("upstream.idle_timeout_ms", u.idle_timeout_ms, 1, DAY_MS)?;
        check(
            "upstream.max_response_bytes",
            u.max_response_bytes,
            1,
            16 * GIB,
        )?;
        check("privacy.tagger_threads", p.tagger_threads, 1, 256)?;
        check("privacy.tagger_sessions", p.tagger_sessions, 1, 256)?;
        check("privacy.tagger_min_score", p.tagger_min_score, 0.0, 1.0)?;
        check("privacy.tagger_weight", p.tagger_weight, 0.0, 1.0)?;
        check(
            "privacy.detect_cache_entries",
            p.detect_cache_entries,
            0,
            10_000_000,
        )?;
        check("privacy.tagger_max_chars", p.tagger_max_chars, 1, GIB)?;
        check("draft.threads", d.threads, 1, 256)?;
        check("draft.sessions", d.sessions, 1, 256)?;
        check("draft.context_tokens", d.context_tokens, 1, 32_768)?;
        check("draft.max_new_tokens", d.max_new_tokens, 1, 1024)?;
        check("draft.max_words", d.max_words, 1, 100)?;
        check("draft.min_words", d.min_words, 1, 100)?;
        check("draft.start_tokens", d.start_tokens, 1, 64)?;
        check("draft.start_threshold", d.start_threshold, 0.0, 1.0)?;
        check("draft.stop_threshold", d.stop_threshold, 0.0, 1.0)?;
        check("draft.temperature", d.temperature, 0.0, 10.0)?;
        check("draft.top_p", d.top_p, 0.0, 1.0)?;
        check("draft.budget_ms", d.budget_ms, 0, 60_000)?;
        check("audit.max_bytes", a.max_bytes, 4096, u64::MAX)?;
        check("audit.keep", a.keep, 0, 10_000)?;
        check("audit.fsync_every", a.fsync_every, 1, 1_000_000)?;
        crate::privacy::policy::Policies::new(&p.types).map_err(ConfigError)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load_with_env(None, env(&[])).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8787");
        assert_eq!(c.upstream.base_url, "https://api.openai.com/v1");
        assert!(c.privacy.rules_dir.is_none());
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("veilgate.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:9000\"\n[draft]\nenabled = true\n",
        )
        .unwrap();
        let c = Config::load_with_env(
            Some(&file),
            env(&[
                ("VEILGATE__DRAFT__ENABLED", "false"),
                ("VEILGATE__AUDIT__PATH", "/var/log/veilgate/audit.jsonl"),
                ("VEILGATE__UPSTREAM__BASE_URL", "http://127.0.0.1:1/v1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:9000");
        assert_eq!(c.draft.enabled, Some(false));
        assert_eq!(c.upstream.base_url, "http://127.0.0.1:1/v1");
        assert_eq!(
            c.audit.path.as_deref(),
            Some(Path::new("/var/log/veilgate/audit.jsonl"))
        );
    }

    #[test]
    fn numbers_out_of_range_are_errors_naming_the_key() {
        for (key, value) in [
            ("VEILGATE__PRIVACY__TAGGER_MIN_SCORE", "2"),
            ("VEILGATE__PRIVACY__TAGGER_SESSIONS", "0"),
            ("VEILGATE__DRAFT__TOP_P", "1.5"),
            ("VEILGATE__SERVER__MAX_BODY_BYTES", "0"),
            ("VEILGATE__SERVER__HEADER_READ_TIMEOUT_MS", "0"),
        ] {
            let err = Config::load_with_env(None, env(&[(key, value)])).unwrap_err();
            let name = key["VEILGATE__".len()..].replace("__", ".").to_lowercase();
            assert!(err.to_string().contains(&name), "{key}: {err}");
            assert!(err.to_string().contains("out of range"), "{err}");
        }
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[server]\nlisten_on = \"x\"\n").unwrap();
        let err = Config::load_with_env(Some(&file), env(&[])).unwrap_err();
        assert!(err.to_string().contains("listen_on"), "{err}");
        let err = Config::load_with_env(Some(&dir.path().join("nope.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }
}
