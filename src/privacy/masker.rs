//! The masker: runs every detector over a request's texts in one batch, fuses the findings,
//! masks every further occurrence of a found value, and rewrites the texts with the vault's
//! placeholders.

use std::collections::HashSet;
use std::sync::Arc;

use super::cache::DetectCache;
use super::dictionary::AllowList;
use super::everyday::is_everyday;
use super::normalise::DetectionCopy;
use super::people::{name_parts, unify_types, People};
use super::policy::{Action, Policies, REDACTED};
use super::public::PublicKnowledge;
use super::vault::normalise;
use super::{columns, fusion, DetectError, Detector, EntityType, Span, Vault};

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
    cache: Option<DetectCache>,
    public: Option<Arc<PublicKnowledge>>,
    policies: Arc<Policies>,
}

impl Masker {
    /// A masker over `detectors`; values on the allow-list are never masked.
    pub fn new(detectors: Vec<Arc<dyn Detector>>, allow: Arc<AllowList>) -> Masker {
        Masker {
            detectors,
            allow,
            cache: None,
            public: None,
            policies: Arc::new(Policies::default()),
        }
    }

    /// Follows `policies` per entity type (keep, minimum score, allow-list, redact).
    pub fn with_policies(mut self, policies: Arc<Policies>) -> Masker {
        self.policies = policies;
        self
    }

    /// The policy per entity type.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Keeps the places on `public` unmasked where nothing personal stands beside them
    /// ([`PublicKnowledge::keep_public`]).
    pub fn with_public(mut self, public: Arc<PublicKnowledge>) -> Masker {
        self.public = Some(public);
        self
    }

    /// Remembers what the detectors found in up to `entries` texts ([`DetectCache`]), so a
    /// text seen before (an earlier turn of a conversation) is not run through them again;
    /// 0 turns the cache off.
    pub fn with_cache(mut self, entries: usize) -> Masker {
        self.cache = (entries > 0).then(|| DetectCache::new(entries));
        self
    }

    /// Characters of `texts` the detectors have not seen (the detection cache does not hold
    /// them): what running the tagger over them would cost.
    pub fn uncached_chars(&self, texts: &[&str]) -> usize {
        texts
            .iter()
            .filter(|t| {
                self.cache
                    .as_ref()
                    .is_none_or(|cache| cache.get(cache.key(t)).is_none())
            })
            .map(|t| t.chars().count())
            .sum()
    }

    /// Names of the detectors, in the order they run.
    pub fn detector_names(&self) -> Vec<String> {
        self.detectors
            .iter()
            .map(|d| d.name().to_string())
            .collect()
    }

    /// The fused, allow-filtered spans of each text (byte offsets, sorted by start). Texts
    /// the cache remembers are not run through the detectors again.
    pub fn detect(&self, texts: &[&str]) -> Result<Vec<Vec<Span>>, DetectError> {
        let Some(cache) = &self.cache else {
            return self.run_detectors(texts, |_| true, DetectionCopy::of);
        };
        let keys: Vec<u128> = texts.iter().map(|t| cache.key(t)).collect();
        let mut found: Vec<Option<Vec<Span>>> = keys
            .iter()
            .map(|&k| cache.get(k).map(|spans| spans.to_vec()))
            .collect();
        let new: Vec<usize> = (0..texts.len()).filter(|&i| found[i].is_none()).collect();
        if !new.is_empty() {
            let new_texts: Vec<&str> = new.iter().map(|&i| texts[i]).collect();
            for (i, spans) in
                new.into_iter()
                    .zip(self.run_detectors(&new_texts, |_| true, DetectionCopy::of)?)
            {
                cache.put(keys[i], Arc::from(spans.as_slice()));
                found[i] = Some(spans);
            }
        }
        Ok(found.into_iter().map(|f| f.unwrap_or_default()).collect())
    }

    /// Every detector over `texts` in one batch, each reading its text's
    /// [`DetectionCopy`], then back to the original offsets, trimmed of quotes, brackets and
    /// list markers, then the allow-list and fusion.
    fn run_detectors(
        &self,
        texts: &[&str],
        runs: impl Fn(&dyn Detector) -> bool,
        copy: fn(&str) -> Option<DetectionCopy>,
    ) -> Result<Vec<Vec<Span>>, DetectError> {
        let copies: Vec<Option<DetectionCopy>> = texts.iter().map(|t| copy(t)).collect();
        let views: Vec<&str> = texts
            .iter()
            .zip(&copies)
            .map(|(t, c)| c.as_ref().map_or(*t, |c| c.text.as_str()))
            .collect();
        let mut raw: Vec<Vec<Span>> = vec![Vec::new(); texts.len()];
        for detector in self.detectors.iter().filter(|d| runs(d.as_ref())) {
            detector.detect(&views, &mut raw)?;
        }
        Ok(raw
            .into_iter()
            .zip(texts.iter().zip(&views))
            .zip(&copies)
            .map(|((spans, (text, view)), copy)| {
                let spans = spans
                    .into_iter()
                    .filter(|s| s.end <= view.len())
                    .filter(|s| view.is_char_boundary(s.start) && view.is_char_boundary(s.end))
                    .map(|mut s| {
                        if let Some(copy) = copy {
                            (s.start, s.end) = copy.original(s.start, s.end);
                        }
                        s
                    })
                    .filter_map(|s| trim_span(text, s))
                    .filter(|s| !self.allow.allows(&text[s.start..s.end]))
                    .collect();
                // Cells a table's column types are added after fusion; the allow list
                // holds for them too.
                let mut spans = columns::fill(text, fusion::resolve(spans));
                spans.retain(|s| !self.allow.allows(&text[s.start..s.end]));
                match &self.public {
                    Some(public) => public.keep_public(text, spans),
                    None => spans,
                }
            })
            .collect())
    }

    /// Masks `texts` in place, in order, assigning placeholders from `vault`. A value found
    /// anywhere (in any of `texts`, or already in `vault`) is masked wherever else it occurs
    /// as a whole word, so one value never leaves masked in one place and in clear in
    /// another. Callers reserve placeholder-like text the client wrote beforehand
    /// ([`Vault::reserve_existing`]).
    pub fn mask(
        &self,
        texts: &mut [&mut String],
        vault: &mut Vault,
    ) -> Result<MaskOutcome, DetectError> {
        rewrite(texts, vault, &self.policies, |refs| self.detect(refs))
    }

    /// Masks `texts` like [`Masker::mask`] with the rules and dictionaries only, for texts
    /// beyond the tagger's budget when the configuration says so.
    pub fn mask_rules_only(
        &self,
        texts: &mut [&mut String],
        vault: &mut Vault,
    ) -> Result<MaskOutcome, DetectError> {
        rewrite(texts, vault, &self.policies, |refs| {
            self.run_detectors(refs, |d| d.name() != "tagger", DetectionCopy::of)
        })
    }

    /// Masks identifiers (model ids, ids the API issues, enum values) in place, with the
    /// rules and dictionaries only, reading `_` as a space: the tagger takes `toolu_01A…` for
    /// an address and `claude-3` for a person, while a secret glued to an id's prefix
    /// (`call_AKIA…`) must still be found.
    pub fn mask_identifiers(
        &self,
        texts: &mut [&mut String],
        vault: &mut Vault,
    ) -> Result<MaskOutcome, DetectError> {
        rewrite(texts, vault, &self.policies, |refs| {
            self.run_detectors(refs, |d| d.name() != "tagger", DetectionCopy::of_identifier)
        })
    }
}

/// Finds spans with `detect`, propagates the found values over every text, then rewrites
/// each text with the vault's placeholders.
fn rewrite(
    texts: &mut [&mut String],
    vault: &mut Vault,
    policies: &Policies,
    detect: impl FnOnce(&[&str]) -> Result<Vec<Vec<Span>>, DetectError>,
) -> Result<MaskOutcome, DetectError> {
    let (spans, people) = {
        let refs: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        let mut spans = detect(&refs)?;
        if !policies.is_empty() {
            for (text, spans) in refs.iter().zip(spans.iter_mut()) {
                spans.retain(|s| policies.admits(text, s));
            }
        }
        propagate(&refs, &mut spans, vault);
        unify_types(&refs, &mut spans);
        let people = People::of(&refs, &spans, vault);
        (spans, people)
    };
    let mut outcome = MaskOutcome::default();
    for (text, spans) in texts.iter_mut().zip(spans) {
        let mut masked = String::with_capacity(text.len());
        let mut found = Vec::with_capacity(spans.len());
        let mut last = 0;
        for span in spans {
            let value = people.canonical(span.kind, &text[span.start..span.end]);
            let placeholder = match policies.action(span.kind) {
                Action::Redact => REDACTED,
                _ => vault.placeholder(span.kind, value),
            };
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

/// Adds a span for every whole-word occurrence, in any text, of a value that some detector
/// found somewhere in `texts` or that `vault` already holds (an opener masked after its
/// request), or of the first name or surname of a full name found so, where no span covers
/// it yet. Case is ignored for the types whose values fold
/// case (ASCII only); other values must match exactly. An occurrence that is plainly an
/// everyday word ("save" where the model took "Save" for a name) is left alone: the words
/// that check passes are never names.
fn propagate(texts: &[&str], spans: &mut [Vec<Span>], vault: &Vault) {
    let mut seen = HashSet::new();
    let mut values: Vec<(EntityType, &str, f32)> = Vec::new();
    let found = texts.iter().zip(spans.iter()).flat_map(|(text, spans)| {
        spans
            .iter()
            .map(|s| (s.kind, &text[s.start..s.end], s.score))
    });
    let held = vault
        .entries()
        .iter()
        .map(|e| (e.kind, e.value.as_str(), 1.0));
    for (kind, value, score) in found.chain(held) {
        let value = value.trim();
        // A full name's first name and surname stand for the person wherever they occur.
        let parts = (kind == EntityType::Person)
            .then(|| name_parts(value))
            .into_iter()
            .flatten();
        for value in std::iter::once(value).chain(parts) {
            if value.chars().count() >= 2 && seen.insert((kind, normalise(kind, value))) {
                values.push((kind, value, score));
            }
        }
    }
    if values.is_empty() {
        return;
    }
    // Longest first, so "Ada Lovelace" wins over "Ada" where both occur.
    values.sort_by_key(|(_, v, _)| std::cmp::Reverse(v.len()));
    let needles: Vec<String> = values
        .iter()
        .map(|(_, v, _)| v.to_ascii_lowercase())
        .collect();
    let source: Arc<str> = Arc::from("propagated");
    for (text, spans) in texts.iter().zip(spans.iter_mut()) {
        // ASCII lower-casing keeps every byte offset, so matches index `text` directly.
        let lower = text.to_ascii_lowercase();
        let before = spans.len();
        for ((kind, value, score), needle) in values.iter().zip(&needles) {
            for (start, _) in lower.match_indices(needle.as_str()) {
                let end = start + needle.len();
                let exact = kind.folds_case() || &text[start..end] == *value;
                let whole_word = !text[..start].ends_with(char::is_alphanumeric)
                    && !text[end..].starts_with(char::is_alphanumeric);
                let covered = spans.iter().any(|s| s.start < end && start < s.end);
                if exact
                    && whole_word
                    && !covered
                    && !(is_name_like(*kind) && is_everyday(text, start, end, *kind))
                {
                    spans.push(Span {
                        start,
                        end,
                        kind: *kind,
                        score: *score,
                        source: source.clone(),
                    });
                }
            }
        }
        if spans.len() > before {
            spans.sort_by_key(|s| s.start);
        }
    }
}

/// Types whose values are words of prose, where an everyday word is never one.
fn is_name_like(kind: EntityType) -> bool {
    matches!(
        kind,
        EntityType::Person | EntityType::Location | EntityType::Organization | EntityType::Address
    )
}

/// A span without the quotes, brackets and list markers around a value (`'Berlin'`,
/// `- Fatima`, `(Jane)`): the client's punctuation stays in place, so a reply that quotes the
/// placeholder reads right once unmasked. Secrets are kept whole. `None` when nothing is left.
fn trim_span(text: &str, mut span: Span) -> Option<Span> {
    if span.kind == EntityType::Secret {
        return Some(span);
    }
    const PAIRS: [(char, char); 9] = [
        ('(', ')'),
        ('[', ']'),
        ('{', '}'),
        ('<', '>'),
        ('"', '"'),
        ('\'', '\''),
        ('\u{201C}', '\u{201D}'),
        ('\u{2018}', '\u{2019}'),
        ('\u{AB}', '\u{BB}'),
    ];
    loop {
        let value = &text[span.start..span.end];
        let mut chars = value.chars();
        let (Some(first), Some(last)) = (chars.next(), value.chars().next_back()) else {
            return None;
        };
        let inner = |open: usize, close: usize| &value[open..value.len() - close];
        if first.is_whitespace() {
            span.start += first.len_utf8();
        } else if last.is_whitespace() {
            span.end -= last.len_utf8();
        } else if matches!(first, '-' | '*' | '\u{2022}' | '\u{B7}' | '\u{2013}')
            && chars.next().is_some_and(char::is_whitespace)
        {
            span.start += first.len_utf8();
        } else if let Some(&(_, close)) = PAIRS.iter().find(|(o, _)| *o == first) {
            if last == close && value.len() > first.len_utf8() {
                // Wrapped whole: 'Berlin', (Jane Roe).
                span.start += first.len_utf8();
                span.end -= last.len_utf8();
            } else if !inner(first.len_utf8(), 0).contains(close) {
                span.start += first.len_utf8();
            } else {
                break;
            }
        } else if let Some(&(open, _)) = PAIRS.iter().find(|(_, c)| *c == last) {
            if !inner(0, last.len_utf8()).contains(open) {
                span.end -= last.len_utf8();
            } else {
                break;
            }
        } else {
            break;
        }
    }
    (span.start < span.end).then_some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finds the given words wherever they occur, as `kind` (a stand-in for a model that sees
    /// a value in one context only).
    struct Words(Vec<(&'static str, EntityType, usize)>);

    impl Detector for Words {
        fn name(&self) -> &str {
            "words"
        }
        fn detect(&self, texts: &[&str], out: &mut [Vec<Span>]) -> Result<(), DetectError> {
            for (word, kind, only_in) in &self.0 {
                if let Some(start) = texts[*only_in].find(word) {
                    out[*only_in].push(Span {
                        start,
                        end: start + word.len(),
                        kind: *kind,
                        score: 0.7,
                        source: "words".into(),
                    });
                }
            }
            Ok(())
        }
    }

    fn mask(detector: Words, texts: &[&str], vault: &mut Vault) -> Vec<String> {
        let masker = Masker::new(vec![Arc::new(detector)], Arc::new(AllowList::default()));
        let mut owned: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        let mut refs: Vec<&mut String> = owned.iter_mut().collect();
        masker.mask(&mut refs, vault).unwrap();
        owned
    }

    #[test]
    fn a_value_found_once_is_masked_everywhere_it_occurs() {
        let detector = Words(vec![("Paris", EntityType::Location, 2)]);
        let texts = [
            r#"{"city":"Paris"}"#,
            "paris, then PARIS again",
            "It is sunny in Paris today.",
            "Parisian food and Paris2024 stay.",
        ];
        let got = mask(detector, &texts, &mut Vault::new());
        assert_eq!(
            got,
            [
                r#"{"city":"[LOCATION_1]"}"#,
                "[LOCATION_1], then [LOCATION_1] again",
                "It is sunny in [LOCATION_1] today.",
                "Parisian food and Paris2024 stay.",
            ]
        );
    }

    #[test]
    fn case_sensitive_values_propagate_only_as_written() {
        let detector = Words(vec![("AbC9xYz", EntityType::Secret, 0)]);
        let got = mask(
            detector,
            &["key AbC9xYz", "abc9xyz AbC9xYz"],
            &mut Vault::new(),
        );
        assert_eq!(got, ["key [SECRET_1]", "abc9xyz [SECRET_1]"]);
    }

    /// Counts the texts it is asked about; finds "Ada" wherever it occurs.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl Detector for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        fn detect(&self, texts: &[&str], out: &mut [Vec<Span>]) -> Result<(), DetectError> {
            self.0
                .fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
            for (text, out) in texts.iter().zip(out) {
                out.extend(text.match_indices("Ada").map(|(start, _)| Span {
                    start,
                    end: start + 3,
                    kind: EntityType::Person,
                    score: 0.9,
                    source: "counting".into(),
                }));
            }
            Ok(())
        }
    }

    #[test]
    fn earlier_turns_are_not_detected_again() {
        let counting = Arc::new(Counting::default());
        let masker =
            Masker::new(vec![counting.clone()], Arc::new(AllowList::default())).with_cache(64);
        let asked = || counting.0.load(std::sync::atomic::Ordering::SeqCst);
        let mut turns: Vec<String> = Vec::new();
        for turn in 1..=20 {
            turns.push(format!("Turn {turn}: Ada says hello."));
            let mut texts = turns.clone();
            let mut refs: Vec<&mut String> = texts.iter_mut().collect();
            let before = asked();
            masker.mask(&mut refs, &mut Vault::new()).unwrap();
            assert_eq!(
                asked() - before,
                1,
                "turn {turn}: only the new text is detected"
            );
            assert!(texts
                .iter()
                .all(|t| t.contains("[PERSON_1]") && !t.contains("Ada")));
        }
        let uncached =
            Masker::new(vec![counting.clone()], Arc::new(AllowList::default())).with_cache(0);
        let before = asked();
        uncached.detect(&["Ada", "Ada"]).unwrap();
        uncached.detect(&["Ada", "Ada"]).unwrap();
        assert_eq!(
            asked() - before,
            4,
            "with the cache off every text is detected"
        );
    }

    #[test]
    fn values_already_in_the_vault_are_masked_in_new_text() {
        let mut vault = Vault::new();
        vault.placeholder(EntityType::Person, "Ada Lovelace");
        let got = mask(Words(vec![]), &["ada lovelace wrote it"], &mut vault);
        assert_eq!(got, ["[PERSON_1] wrote it"]);
    }
}
