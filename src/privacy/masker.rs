//! The masker: runs every detector over a request's texts in one batch, fuses the findings
//! and rewrites the texts with the vault's placeholders.

use std::sync::Arc;

use super::dictionary::AllowList;
use super::{fusion, DetectError, Detector, EntityType, Span, Vault};

/// One masked value in one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: EntityType,
    /// Byte range in the original text.
    pub start: usize,
    pub end: usize,
    pub placeholder: String,
    pub score: f32,
    pub source: Arc<str>,
}

/// What masking a batch of texts found, per text, in text order.
#[derive(Debug, Default)]
pub struct MaskOutcome {
    pub found: Vec<Vec<Found>>,
}

impl MaskOutcome {
    /// Number of masked values per type, over all texts.
    pub fn counts(&self) -> std::collections::BTreeMap<EntityType, u32> {
        let mut counts = std::collections::BTreeMap::new();
        for f in self.found.iter().flatten() {
            *counts.entry(f.kind).or_insert(0) += 1;
        }
        counts
    }
}

/// The detectors of one running proxy, compiled once and shared read-only.
pub struct Masker {
    detectors: Vec<Arc<dyn Detector>>,
    allow: Arc<AllowList>,
}

impl Masker {
    /// A masker over `detectors`; values on the allow-list are never masked.
    pub fn new(detectors: Vec<Arc<dyn Detector>>, allow: Arc<AllowList>) -> Masker {
        Masker { detectors, allow }
    }

    /// Names of the detectors, in the order they run.
    pub fn detector_names(&self) -> Vec<String> {
        self.detectors
            .iter()
            .map(|d| d.name().to_string())
            .collect()
    }

    /// The fused, allow-filtered spans of each text (byte offsets, sorted by start).
    pub fn detect(&self, texts: &[&str]) -> Result<Vec<Vec<Span>>, DetectError> {
        let mut raw: Vec<Vec<Span>> = vec![Vec::new(); texts.len()];
        for detector in &self.detectors {
            detector.detect(texts, &mut raw)?;
        }
        Ok(raw
            .into_iter()
            .zip(texts)
            .map(|(spans, text)| {
                let spans = spans
                    .into_iter()
                    .filter(|s| text.is_char_boundary(s.start) && text.is_char_boundary(s.end))
                    .filter(|s| s.end <= text.len() && !self.allow.allows(&text[s.start..s.end]))
                    .collect();
                fusion::resolve(spans)
            })
            .collect())
    }

    /// Masks `texts` in place, in order, assigning placeholders from `vault`. Text that
    /// already looks like a placeholder is reserved first so that it survives unchanged.
    pub fn mask(
        &self,
        texts: &mut [&mut String],
        vault: &mut Vault,
    ) -> Result<MaskOutcome, DetectError> {
        for text in texts.iter() {
            vault.reserve_existing(text);
        }
        let spans = {
            let refs: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
            self.detect(&refs)?
        };
        let mut outcome = MaskOutcome::default();
        for (text, spans) in texts.iter_mut().zip(spans) {
            let mut masked = String::with_capacity(text.len());
            let mut found = Vec::with_capacity(spans.len());
            let mut last = 0;
            for span in spans {
                let placeholder = vault.placeholder(span.kind, &text[span.start..span.end]);
                masked.push_str(&text[last..span.start]);
                masked.push_str(placeholder);
                last = span.end;
                found.push(Found {
                    kind: span.kind,
                    start: span.start,
                    end: span.end,
                    placeholder: placeholder.to_string(),
                    score: span.score,
                    source: span.source,
                });
            }
            if !found.is_empty() {
                masked.push_str(&text[last..]);
                **text = masked;
            }
            outcome.found.push(found);
        }
        Ok(outcome)
    }
}
