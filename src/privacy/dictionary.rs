//! Deny-lists and allow-lists matched with aho-corasick.
//!
//! A deny-list maps user terms (project code names, customer names) to an entity type; the
//! [`DenyDictionary`] detector finds them case-insensitively as whole words, longest first.
//! The [`AllowList`] holds terms that are never masked, whatever found them.
//!
//! Case folding: aho-corasick folds ASCII case only, so each term is also added in lower,
//! upper and title case; that covers how non-ASCII names are normally written.

use std::collections::HashSet;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{DetectError, Detector, EntityType, Span};

/// Terms that are never masked.
#[derive(Debug, Default)]
pub struct AllowList {
    /// Lower-cased, whitespace-normalised terms.
    terms: HashSet<String>,
}

impl AllowList {
    /// An allow-list with no terms.
    pub fn empty() -> AllowList {
        AllowList::default()
    }

    /// An allow-list of `terms` (blank terms are ignored).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(terms: I) -> AllowList {
        let terms = terms
            .into_iter()
            .map(|t| fold(t.as_ref()))
            .filter(|t| !t.is_empty())
            .collect();
        AllowList { terms }
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when the list has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// True when `value` is on the list (case-insensitive, whole value).
    pub fn allows(&self, value: &str) -> bool {
        !self.terms.is_empty() && self.terms.contains(&fold(value))
    }
}

/// Case-folds and collapses whitespace, the identity used for allow-list lookups.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// One deny-list term and what it stands for.
#[derive(Debug, Clone)]
pub struct DenyTerm {
    /// The term as written (inner whitespace collapsed).
    pub term: String,
    /// The type its matches are masked as.
    pub kind: EntityType,
    /// Confidence given to its matches.
    pub score: f32,
}

/// The deny-list detector: every term of every deny-list in one automaton.
pub struct DenyDictionary {
    /// `None` when there are no terms (detection is then free).
    automaton: Option<AhoCorasick>,
    /// Pattern id → index into `terms` (one term has several case variants).
    pattern_term: Vec<usize>,
    terms: Vec<DenyTerm>,
    source: Arc<str>,
}

impl std::fmt::Debug for DenyDictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenyDictionary")
            .field("terms", &self.terms.len())
            .finish()
    }
}

impl DenyDictionary {
    /// Compiles `terms` into one case-insensitive automaton. Blank terms are skipped; a term
    /// listed twice keeps its first type.
    pub fn new(terms: Vec<DenyTerm>) -> Result<DenyDictionary, String> {
        let mut seen = HashSet::new();
        let terms: Vec<DenyTerm> = terms
            .into_iter()
            .map(|t| DenyTerm {
                term: t.term.split_whitespace().collect::<Vec<_>>().join(" "),
                ..t
            })
            .filter(|t| !t.term.is_empty() && seen.insert(fold(&t.term)))
            .collect();
        let mut patterns = Vec::new();
        let mut pattern_term = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            let mut variants = vec![
                t.term.clone(),
                t.term.to_lowercase(),
                t.term.to_uppercase(),
                title_case(&t.term),
            ];
            variants.sort();
            variants.dedup();
            for v in variants {
                patterns.push(v);
                pattern_term.push(i);
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|e| e.to_string())?,
            )
        };
        Ok(DenyDictionary {
            automaton,
            pattern_term,
            terms,
            source: Arc::from("dictionary:deny"),
        })
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Appends the whole-word, leftmost-longest term matches in `text` to `out`.
    pub fn find(&self, text: &str, out: &mut Vec<Span>) {
        let Some(ac) = &self.automaton else { return };
        // Overlapping search, then leftmost-longest among the whole-word hits: a plain
        // leftmost-longest search would lose "Acme" in "Acme Corporation" to the failed
        // "Acme Corp".
        let mut hits: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(text)
            .filter(|m| whole_word(text, m.start(), m.end()))
            .map(|m| {
                (
                    m.start(),
                    m.end(),
                    self.pattern_term[m.pattern().as_usize()],
                )
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut last_end = 0;
        for (start, end, term) in hits {
            if start < last_end {
                continue;
            }
            let t = &self.terms[term];
            out.push(Span {
                start,
                end,
                kind: t.kind,
                score: t.score,
                source: self.source.clone(),
            });
            last_end = end;
        }
    }
}

impl Detector for DenyDictionary {
    fn name(&self) -> &str {
        "dictionary"
    }

    fn detect(&self, texts: &[&str], out: &mut [Vec<Span>]) -> Result<(), DetectError> {
        for (text, spans) in texts.iter().zip(out.iter_mut()) {
            self.find(text, spans);
        }
        Ok(())
    }
}

/// True when the characters around `start..end` are not letters or digits.
pub(crate) fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    // Chinese, Japanese, Thai and Khmer are written without spaces: every position next to
    // one of their characters is a word boundary (电话13812345678 holds the word 电话).
    let joins = |c: char| c.is_alphanumeric() && !unspaced_script(c);
    let word = &text[start..end];
    let open_start = word.chars().next().is_some_and(unspaced_script);
    let open_end = word.chars().next_back().is_some_and(unspaced_script);
    (open_start || !before.is_some_and(joins)) && (open_end || !after.is_some_and(joins))
}

/// A character of a script written without spaces between words.
fn unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}' | '\u{1000}'..='\u{109F}' | '\u{1780}'..='\u{17FF}'
        | '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{FF66}'..='\u{FF9F}')
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if at_word_start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        at_word_start = !c.is_alphanumeric();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(terms: &[(&str, EntityType)]) -> DenyDictionary {
        DenyDictionary::new(
            terms
                .iter()
                .map(|(t, k)| DenyTerm {
                    term: t.to_string(),
                    kind: *k,
                    score: 0.95,
                })
                .collect(),
        )
        .unwrap()
    }

    fn found(d: &DenyDictionary, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        d.find(text, &mut out);
        out.iter()
            .map(|s| format!("{}:{}", s.kind, &text[s.start..s.end]))
            .collect()
    }

    #[test]
    fn deny_terms_match_case_insensitively() {
        let d = deny(&[("Project Falcon", EntityType::Organization)]);
        assert_eq!(
            found(&d, "status of PROJECT falcon?"),
            vec!["ORGANIZATION:PROJECT falcon"]
        );
    }

    #[test]
    fn deny_terms_match_whole_words_only() {
        let d = deny(&[("Zephyr", EntityType::Organization)]);
        assert!(found(&d, "zephyrine and Zephyrs").is_empty());
        assert_eq!(found(&d, "(zephyr)"), vec!["ORGANIZATION:zephyr"]);
    }

    #[test]
    fn longest_whole_word_term_wins() {
        let d = deny(&[
            ("Acme", EntityType::Organization),
            ("Acme Corp", EntityType::Organization),
        ]);
        assert_eq!(found(&d, "Acme Corp ships"), vec!["ORGANIZATION:Acme Corp"]);
        assert_eq!(
            found(&d, "Acme Corporation ships"),
            vec!["ORGANIZATION:Acme"]
        );
    }

    #[test]
    fn non_ascii_terms_match_in_common_cases() {
        let d = deny(&[("Jürgen Öztürk", EntityType::Person)]);
        assert_eq!(
            found(&d, "mail JÜRGEN ÖZTÜRK now"),
            vec!["PERSON:JÜRGEN ÖZTÜRK"]
        );
        assert_eq!(
            found(&d, "mail jürgen öztürk now"),
            vec!["PERSON:jürgen öztürk"]
        );
    }

    #[test]
    fn empty_dictionary_finds_nothing() {
        let d = DenyDictionary::new(vec![]).unwrap();
        assert!(d.is_empty());
        assert!(found(&d, "anything").is_empty());
    }

    #[test]
    fn allow_list_matches_whole_value_ignoring_case_and_spacing() {
        let a = AllowList::new(["localhost", "Example  Corp"]);
        assert!(a.allows("LocalHost"));
        assert!(a.allows(" example corp "));
        assert!(!a.allows("localhost2"));
        assert!(!AllowList::empty().allows("localhost"));
    }
}
