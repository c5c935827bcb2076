//! Finding personal data and replacing it with placeholders.
//!
//! Detectors ([`rules`], [`dictionary`], the ONNX [`tagger`]) each report [`Span`]s over a
//! batch of texts; [`fusion`] resolves overlaps between them; the [`Vault`] assigns each
//! distinct value a `[TYPE_N]` placeholder for the whole request and later puts the values
//! back, in whole texts or in streamed fragments ([`stream`]).

pub mod cache;
pub mod columns;
pub mod dictionary;
pub mod everyday;
pub mod fusion;
pub mod masker;
pub mod normalise;
pub mod people;
pub mod policy;
pub mod public;
pub mod rules;
pub mod stream;
pub mod tagger;
pub mod validators;
pub mod vault;

use std::fmt;
use std::sync::Arc;

pub use masker::{MaskOutcome, Masker};
pub use vault::Vault;

/// Builds the masker a configuration asks for: the rules and dictionaries of
/// `privacy.rules_dir` (or the embedded ones), plus the tagger unless `privacy.tagger` is
/// false. Any detector that cannot load is an error: veilgate never runs without one it
/// was asked for.
pub fn build_masker(cfg: &crate::config::PrivacyConfig) -> anyhow::Result<Masker> {
    let (mut detectors, allow) = rules::load(cfg.rules_dir.as_deref())?.into_parts();
    if cfg.tagger {
        let opts = tagger::TaggerOptions {
            model_dir: cfg.tagger_model.clone(),
            onnxruntime: cfg.onnxruntime.clone(),
            threads: cfg.tagger_threads,
            sessions: cfg.tagger_sessions,
            min_score: cfg.tagger_min_score,
            weight: cfg.tagger_weight,
            ..tagger::TaggerOptions::default()
        };
        detectors.push(Arc::new(tagger::Tagger::load(&opts)?));
    }
    let policies = policy::Policies::new(&cfg.types).map_err(anyhow::Error::msg)?;
    let deny = policies.deny_terms();
    if !deny.is_empty() {
        detectors.push(Arc::new(
            dictionary::DenyDictionary::new(deny).map_err(anyhow::Error::msg)?,
        ));
    }
    let masker = Masker::new(detectors, allow)
        .with_cache(cfg.detect_cache_entries)
        .with_policies(Arc::new(policies));
    Ok(if cfg.keep_public {
        masker.with_public(Arc::new(public::PublicKnowledge::embedded()))
    } else {
        masker
    })
}

/// The kinds of personal data veilgate masks. The placeholder tag is [`EntityType::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Person,
    Location,
    Organization,
    Address,
    Email,
    Phone,
    CreditCard,
    Iban,
    UsSsn,
    IpAddress,
    Url,
    Secret,
    Id,
    DateOfBirth,
    Hostname,
}

impl EntityType {
    /// Every type, in a fixed order (used for metrics and placeholder scanning).
    pub const ALL: [EntityType; 15] = [
        EntityType::Person,
        EntityType::Location,
        EntityType::Organization,
        EntityType::Address,
        EntityType::Email,
        EntityType::Phone,
        EntityType::CreditCard,
        EntityType::Iban,
        EntityType::UsSsn,
        EntityType::IpAddress,
        EntityType::Url,
        EntityType::Secret,
        EntityType::Id,
        EntityType::DateOfBirth,
        EntityType::Hostname,
    ];

    /// The upper-case tag used in placeholders and reports, e.g. `CREDIT_CARD`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Person => "PERSON",
            EntityType::Location => "LOCATION",
            EntityType::Organization => "ORGANIZATION",
            EntityType::Address => "ADDRESS",
            EntityType::Email => "EMAIL",
            EntityType::Phone => "PHONE",
            EntityType::CreditCard => "CREDIT_CARD",
            EntityType::Iban => "IBAN",
            EntityType::UsSsn => "US_SSN",
            EntityType::IpAddress => "IP_ADDRESS",
            EntityType::Url => "URL",
            EntityType::Secret => "SECRET",
            EntityType::Id => "ID",
            EntityType::DateOfBirth => "DATE_OF_BIRTH",
            EntityType::Hostname => "HOSTNAME",
        }
    }

    /// Parses a tag as written by [`EntityType::as_str`] (case-insensitive).
    pub fn parse(tag: &str) -> Option<EntityType> {
        EntityType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(tag))
    }

    /// Whether two values of this type that differ only in case and spacing are the same
    /// value (names and e-mail addresses are; secrets and IDs are not).
    pub fn folds_case(self) -> bool {
        matches!(
            self,
            EntityType::Person
                | EntityType::Location
                | EntityType::Organization
                | EntityType::Address
                | EntityType::Email
                | EntityType::Hostname
        )
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of a detector: a byte range of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Byte offset of the first byte (on a char boundary).
    pub start: usize,
    /// Byte offset one past the last byte (on a char boundary).
    pub end: usize,
    pub kind: EntityType,
    /// Confidence in 0..=1; fusion prefers the higher score, then the longer span.
    pub score: f32,
    /// Which detector and rule found it, e.g. `rule:email` or `dictionary:deny`.
    pub source: Arc<str>,
}

impl Span {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for an empty range.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True when the two byte ranges share at least one byte.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A detector failed; the request that needed it is refused (fail closed).
#[derive(Debug, thiserror::Error)]
#[error("detector {detector} failed: {message}")]
pub struct DetectError {
    pub detector: String,
    pub message: String,
}

/// Anything that finds personal data in a batch of texts.
///
/// This is the seam where the rules, the dictionaries and the ONNX tagger plug in: the
/// masker hands every text of a request to every detector in one call, so a model can run
/// them as one batch. Implementations must be pure (no I/O per call) and thread-safe.
pub trait Detector: Send + Sync {
    /// A short name for errors and metrics (`rules`, `dictionary`, `tagger`).
    fn name(&self) -> &str;

    /// Appends the spans found in `texts[i]` to `out[i]`; `out.len() == texts.len()`.
    fn detect(&self, texts: &[&str], out: &mut [Vec<Span>]) -> Result<(), DetectError>;
}

/// A span over the first occurrence of `value` in `text` (score 0.8), for tests.
#[cfg(test)]
pub(crate) fn span_of(text: &str, value: &str, kind: EntityType) -> Span {
    let start = text.find(value).expect("value in text");
    Span {
        start,
        end: start + value.len(),
        kind,
        score: 0.8,
        source: Arc::from("test"),
    }
}
