//! Compiled rules and the rule detector: the hot path of regex detection.
//!
//! Per text, one aho-corasick pass over every rule's `requires` literals decides which rules
//! can match at all; only those run their regex. A regex match then passes the rule's
//! isolation check and validators, and its score is moved by context words found in a window
//! around it. Nothing is compiled here and little is allocated: a bit set per text and the
//! spans themselves.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, Input};
use regex::Regex;

use super::super::dictionary::whole_word;
use super::super::validators::Validator;
use super::super::{DetectError, Detector, EntityType, Span};

/// Context words around a match that move its score.
pub(crate) struct Context {
    pub words: AhoCorasick,
    /// Window sizes in characters before the match start and after its end.
    pub before: usize,
    pub after: usize,
    /// Added to the score when a word is found (negative for lowering context).
    pub delta: f32,
}

impl Context {
    /// True when a context word occurs as a whole word in the window around `start..end`.
    fn found(&self, text: &str, start: usize, end: usize) -> bool {
        let ws = back_chars(text, start, self.before);
        let we = forward_chars(text, end, self.after);
        self.any_word(text, ws, start) || self.any_word(text, end, we)
    }

    fn any_word(&self, text: &str, from: usize, to: usize) -> bool {
        from < to
            && self
                .words
                .find_overlapping_iter(Input::new(text).span(from..to))
                .any(|m| whole_word(text, m.start(), m.end()))
    }
}

/// The byte offset `n` characters before `at` (or 0).
fn back_chars(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(at, |(i, _)| i)
}

/// The byte offset `n` characters after `at` (or the end).
fn forward_chars(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

/// One compiled rule.
pub(crate) struct Rule {
    pub name: String,
    /// `rule:<name>`, shared by every span the rule reports.
    pub source: Arc<str>,
    pub kind: EntityType,
    pub regex: Regex,
    /// Capture groups to mask, first participating one wins; empty masks the whole match.
    pub groups: Vec<usize>,
    pub validators: Vec<Validator>,
    pub score: f32,
    pub threshold: f32,
    pub context: Option<Context>,
    pub negative: Option<Context>,
    /// The match must not be glued to letters, digits, or `.`/`-` followed by them.
    pub isolated: bool,
    /// Literals (ASCII case-insensitive) one of which must occur in the text for the rule to
    /// run; empty means always run.
    pub requires: Vec<String>,
    /// Texts the rule must find something in, and texts it must find nothing in.
    pub examples: Vec<String>,
    pub not_examples: Vec<String>,
}

impl Rule {
    /// Appends this rule's spans in `text` to `out`.
    fn find(&self, text: &str, out: &mut Vec<Span>) {
        let mut locs = (!self.groups.is_empty()).then(|| self.regex.capture_locations());
        let mut at = 0;
        while at <= text.len() {
            let (ms, me, vs, ve) = match &mut locs {
                None => match self.regex.find_at(text, at) {
                    Some(m) => (m.start(), m.end(), m.start(), m.end()),
                    None => break,
                },
                Some(locs) => {
                    let Some(m) = self.regex.captures_read_at(locs, text, at) else {
                        break;
                    };
                    match self.groups.iter().find_map(|&g| locs.get(g)) {
                        Some((vs, ve)) => (m.start(), m.end(), vs, ve),
                        None => (m.start(), m.end(), m.start(), m.start()),
                    }
                }
            };
            let mut accepted = ve > vs && self.accept(text, ms, me, vs, ve, out);
            let mut end = me;
            if !accepted && locs.is_none() && !self.validators.is_empty() {
                // A match that fails its validator may hold a shorter one that passes: a card
                // followed by more digits ("4111 1111 1111 1111 12 items") fails Luhn as a
                // whole. Try it cut back at each separator, longest first.
                if let Some(cut) = self.shorter_match(text, ms, me, out) {
                    (accepted, end) = (true, cut);
                }
            }
            at = if accepted && end > ms {
                end
            } else {
                next_char(text, ms)
            };
        }
    }

    /// The longest prefix of the match `ms..me`, ending before a separator, that the regex
    /// matches whole and that passes the checks (its span pushed); `None` if none does.
    fn shorter_match(
        &self,
        text: &str,
        ms: usize,
        me: usize,
        out: &mut Vec<Span>,
    ) -> Option<usize> {
        let mut cut = me;
        while let Some(sep) = text[ms..cut].rfind(|c: char| !c.is_alphanumeric()) {
            cut = ms + sep;
            if cut == ms {
                return None;
            }
            let whole = self
                .regex
                .find_at(&text[..cut], ms)
                .is_some_and(|m| m.start() == ms && m.end() == cut);
            if whole && self.accept(text, ms, cut, ms, cut, out) {
                return Some(cut);
            }
        }
        None
    }

    /// Checks one match and, when it passes, pushes its span.
    fn accept(
        &self,
        text: &str,
        ms: usize,
        me: usize,
        vs: usize,
        ve: usize,
        out: &mut Vec<Span>,
    ) -> bool {
        if self.isolated && !isolated(text, ms, me) {
            return false;
        }
        let value = &text[vs..ve];
        if !self.validators.iter().all(|v| v.check(value)) {
            return false;
        }
        let mut score = self.score;
        if let Some(c) = &self.context {
            if c.found(text, ms, me) {
                score += c.delta;
            }
        }
        if let Some(c) = &self.negative {
            if c.found(text, ms, me) {
                score += c.delta;
            }
        }
        let score = score.clamp(0.0, 1.0);
        if score < self.threshold {
            return false;
        }
        out.push(Span {
            start: vs,
            end: ve,
            kind: self.kind,
            score,
            source: self.source.clone(),
        });
        true
    }
}

fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(text.len() + 1, |c| at + c.len_utf8())
}

/// True when `start..end` is a token of its own: the neighbours are not word characters,
/// nor a `.` that joins the match to more word characters ("1.2.3.4.5", "v1.2.3.4").
/// A `-` or `:` next to the match is fine ("10.0.0.1:8080", "IP:10.0.0.1", ranges).
fn isolated(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let joiner = |c: char| c == '.';
    let mut before = text[..start].chars().rev();
    match before.next() {
        Some(c) if word(c) => return false,
        Some(c) if joiner(c) && before.next().is_some_and(word) => return false,
        _ => {}
    }
    let mut after = text[end..].chars();
    match after.next() {
        Some(c) if word(c) => false,
        Some(c) if joiner(c) && after.next().is_some_and(word) => false,
        _ => true,
    }
}

/// Which rules may match a text, decided by one pass over all `requires` literals.
struct Prefilter {
    literals: AhoCorasick,
    /// Literal id → rules that list it.
    literal_rules: Vec<Vec<usize>>,
}

/// The rule detector: every compiled rule of every rule file.
pub struct RuleDetector {
    rules: Vec<Rule>,
    prefilter: Option<Prefilter>,
    /// Rules without `requires`: they always run.
    always: Vec<usize>,
}

impl RuleDetector {
    /// Builds the detector and its literal prefilter.
    pub(crate) fn new(rules: Vec<Rule>) -> Result<RuleDetector, String> {
        let mut literals: Vec<String> = Vec::new();
        let mut literal_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.requires.is_empty() {
                always.push(i);
            }
            for lit in &rule.requires {
                let lit = lit.to_ascii_lowercase();
                match literals.iter().position(|l| *l == lit) {
                    Some(p) => literal_rules[p].push(i),
                    None => {
                        literals.push(lit);
                        literal_rules.push(vec![i]);
                    }
                }
            }
        }
        let prefilter = if literals.is_empty() {
            None
        } else {
            let literals = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&literals)
                .map_err(|e| e.to_string())?;
            Some(Prefilter {
                literals,
                literal_rules,
            })
        };
        Ok(RuleDetector {
            rules,
            prefilter,
            always,
        })
    }

    /// Number of compiled rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub(crate) fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Appends every rule's spans in `text` to `out` (overlaps are left to fusion).
    pub fn find(&self, text: &str, out: &mut Vec<Span>) {
        if text.is_empty() {
            return;
        }
        for &i in &self.always {
            self.rules[i].find(text, out);
        }
        let Some(pf) = &self.prefilter else { return };
        let mut active = vec![false; self.rules.len()];
        let mut any = false;
        for m in pf.literals.find_overlapping_iter(text) {
            for &r in &pf.literal_rules[m.pattern().as_usize()] {
                any |= !active[r];
                active[r] = true;
            }
        }
        if !any {
            return;
        }
        for (rule, _) in self.rules.iter().zip(&active).filter(|(_, &on)| on) {
            rule.find(text, out);
        }
    }

    /// Runs only the rule named `name` (for self-checks and tests).
    pub(crate) fn find_with(&self, name: &str, text: &str, out: &mut Vec<Span>) {
        if let Some(rule) = self.rules.iter().find(|r| r.name == name) {
            rule.find(text, out);
        }
    }
}

impl Detector for RuleDetector {
    fn name(&self) -> &str {
        "rules"
    }

    fn detect(&self, texts: &[&str], out: &mut [Vec<Span>]) -> Result<(), DetectError> {
        for (text, spans) in texts.iter().zip(out.iter_mut()) {
            self.find(text, spans);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolation_rejects_tokens_glued_to_more_token() {
        let t = "x 1.2.3.4.5 y";
        assert!(!isolated(t, 2, 9));
        let t = "ip 1.2.3.4. next";
        assert!(isolated(t, 3, 10));
        let t = "a1.2.3.4";
        assert!(!isolated(t, 1, 8));
    }

    #[test]
    fn windows_count_characters_not_bytes() {
        let t = "ééé abc";
        assert_eq!(back_chars(t, 6, 2), 2);
        assert_eq!(forward_chars(t, 0, 2), 4);
        assert_eq!(forward_chars(t, 0, 100), t.len());
        assert_eq!(back_chars(t, 0, 5), 0);
    }
}
