//! Regex rules with validators, loaded from `rules/*.toml` at start-up.
//!
//! A rule file holds `[[rule]]` tables, optional `[[dictionary]]` deny-lists, an optional
//! `[allow]` list and an optional file-wide `threshold` (default 0.5). A rule:
//!
//! ```toml
//! [[rule]]
//! name = "card"                  # unique; spans get source "rule:card"
//! type = "CREDIT_CARD"           # an EntityType tag
//! regex = '''\b4\d{3}(?:[ -]?\d{4}){3}\b'''
//! score = 0.85                   # base confidence in 0..=1
//! validator = "luhn"             # or { name = "entropy", min_bits_per_char = 3.5 }, or a list
//! group = "value"                # optional: mask only this capture group (name, number, list)
//! requires = ["4"]               # optional literals, one must occur for the rule to run
//! isolated = true                # optional: the match may not be glued to more token
//! context = { words = ["card"], boost = 0.1, before = 40, after = 20 }
//! negative_context = { words = ["order"], penalty = 0.4 }
//! threshold = 0.5                # optional: overrides the file's threshold
//! examples = ["card 4111 1111 1111 1111"]    # checked by the tests
//! not_examples = ["order 4111 1111 1111 1112"]
//! ```
//!
//! A span whose final score is below the threshold is dropped. `\b` in a pattern means an
//! ASCII word boundary: the fast DFA cannot evaluate Unicode boundaries on non-ASCII text,
//! and would fall back to a far slower engine for every chat message with an accent in it.
//!
//! Every problem (bad TOML, bad regex, unknown type or validator) is a [`RulesError`] that
//! names the file and the rule; veilgate refuses to start with a broken rule file.

mod engine;
mod spec;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use engine::RuleDetector;

use super::dictionary::{AllowList, DenyDictionary, DenyTerm};
use super::{Detector, Masker};
use engine::Rule;
use spec::{compile_rule, entity_type, invalid, RuleFile};

/// The shipped rule files and the files they refer to, so that the binary works with no
/// files on disk. A test checks that this list matches the `rules/` folder.
const EMBEDDED: &[(&str, &str)] = &[
    ("contact.toml", include_str!("../../rules/contact.toml")),
    (
        "dictionaries.toml",
        include_str!("../../rules/dictionaries.toml"),
    ),
    (
        "deny_example.txt",
        include_str!("../../rules/deny_example.txt"),
    ),
    ("finance.toml", include_str!("../../rules/finance.toml")),
    ("network.toml", include_str!("../../rules/network.toml")),
    ("personal.toml", include_str!("../../rules/personal.toml")),
    ("secrets.toml", include_str!("../../rules/secrets.toml")),
];

const DEFAULT_THRESHOLD: f32 = 0.5;
const DEFAULT_DICTIONARY_SCORE: f32 = 0.95;

/// A rule file could not be loaded; the message names the file and the rule.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file or folder could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    /// The folder holds no `*.toml` file.
    #[error("{dir}: no rule files (*.toml) in this folder")]
    NoRuleFiles { dir: String },
    /// The file is not valid TOML or has an unknown or missing key.
    #[error("{file}:{line}: bad rule file: {message}")]
    Toml {
        file: String,
        line: usize,
        message: String,
    },
    /// A rule's regex does not compile.
    #[error("{file}: rule \"{rule}\": bad regex: {error}")]
    Regex {
        file: String,
        rule: String,
        error: String,
    },
    /// A rule names a type that is not an entity type.
    #[error("{file}: rule \"{rule}\": unknown entity type \"{tag}\" (known: {known})")]
    UnknownType {
        file: String,
        rule: String,
        tag: String,
        known: String,
    },
    /// A rule names a validator that does not exist.
    #[error("{file}: rule \"{rule}\": unknown validator \"{name}\" (known: {known})")]
    UnknownValidator {
        file: String,
        rule: String,
        name: String,
        known: String,
    },
    /// Anything else wrong with one rule or dictionary.
    #[error("{file}: rule \"{rule}\": {message}")]
    Invalid {
        file: String,
        rule: String,
        message: String,
    },
}

/// The compiled rules, deny-lists and allow-list, ready to become a [`Masker`].
pub struct RuleBook {
    rules: RuleDetector,
    dictionary: DenyDictionary,
    allow: AllowList,
}

impl std::fmt::Debug for RuleBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleBook")
            .field("rules", &self.rules.len())
            .field("deny_terms", &self.dictionary.len())
            .field("allow_terms", &self.allow.len())
            .finish()
    }
}

impl RuleBook {
    /// A masker running the rules and the deny-lists, honouring the allow-list.
    pub fn into_masker(self) -> Masker {
        let (detectors, allow) = self.into_parts();
        Masker::new(detectors, allow)
    }

    /// The detectors (rules, then dictionary) and the allow-list, for a masker that adds
    /// more detectors (the tagger) to them.
    pub fn into_parts(self) -> (Vec<Arc<dyn Detector>>, Arc<AllowList>) {
        let detectors: Vec<Arc<dyn Detector>> =
            vec![Arc::new(self.rules), Arc::new(self.dictionary)];
        (detectors, Arc::new(self.allow))
    }

    /// Number of compiled regex rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Number of deny-list terms.
    pub fn deny_term_count(&self) -> usize {
        self.dictionary.len()
    }

    /// Number of allow-list terms.
    pub fn allow_term_count(&self) -> usize {
        self.allow.len()
    }

    /// Runs every rule over its own `examples` and `not_examples`; returns one line per rule
    /// that misses an example or fires on a counter-example (empty when all is well).
    pub fn self_check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for rule in self.rules.rules() {
            for ex in &rule.examples {
                let mut out = Vec::new();
                self.rules.find_with(&rule.name, ex, &mut out);
                if out.is_empty() {
                    problems.push(format!("rule {} misses its example {ex:?}", rule.name));
                }
            }
            for ex in &rule.not_examples {
                let mut out = Vec::new();
                self.rules.find_with(&rule.name, ex, &mut out);
                if let Some(s) = out.first() {
                    problems.push(format!(
                        "rule {} fires on its counter-example {ex:?} at {:?}",
                        rule.name,
                        &ex[s.start..s.end]
                    ));
                }
            }
        }
        problems
    }
}

/// Loads every `*.toml` in `dir` (in name order), or the embedded copies of the shipped
/// `rules/` when `dir` is `None`. Dictionary `file`s are relative to the same folder.
pub fn load(dir: Option<&Path>) -> Result<RuleBook, RulesError> {
    match dir {
        None => {
            let files: Vec<(String, String)> = EMBEDDED
                .iter()
                .filter(|(name, _)| name.ends_with(".toml"))
                .map(|(name, text)| (format!("rules/{name} (embedded)"), text.to_string()))
                .collect();
            build(&files, &|name: &str| {
                EMBEDDED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| text.to_string())
                    .ok_or_else(|| {
                        std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "not among the embedded rule files",
                        )
                    })
            })
        }
        Some(dir) => {
            let io = |file: &Path, source| RulesError::Io {
                file: file.display().to_string(),
                source,
            };
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| io(dir, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .collect();
            paths.sort();
            if paths.is_empty() {
                return Err(RulesError::NoRuleFiles {
                    dir: dir.display().to_string(),
                });
            }
            let mut files = Vec::new();
            for path in paths {
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                files.push((path.display().to_string(), text));
            }
            build(&files, &|name: &str| {
                std::fs::read_to_string(dir.join(name))
            })
        }
    }
}

/// Compiles one rule file given as text (dictionary `file`s are not available).
pub fn load_str(file: &str, text: &str) -> Result<RuleBook, RulesError> {
    build(&[(file.to_string(), text.to_string())], &|_: &str| {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no rules folder",
        ))
    })
}

type ReadRef<'a> = &'a dyn Fn(&str) -> std::io::Result<String>;

fn build(files: &[(String, String)], read_ref: ReadRef<'_>) -> Result<RuleBook, RulesError> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_files: Vec<&str> = Vec::new();
    let mut deny = Vec::new();
    let mut allow = Vec::new();
    for (file, text) in files {
        let parsed: RuleFile = toml::from_str(text).map_err(|e| RulesError::Toml {
            file: file.clone(),
            line: e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            }),
            message: e.message().to_string(),
        })?;
        let threshold = parsed.threshold.unwrap_or(DEFAULT_THRESHOLD);
        if !(0.0..=1.0).contains(&threshold) {
            return Err(RulesError::Toml {
                file: file.clone(),
                line: 1,
                message: format!("threshold {threshold} is outside 0..=1"),
            });
        }
        for spec in parsed.rules {
            let name = spec.name.clone();
            if let Some(i) = rules.iter().position(|r| r.name == name) {
                return Err(invalid(
                    file,
                    &name,
                    format!("duplicate rule name (also in {})", rule_files[i]),
                ));
            }
            rules.push(compile_rule(file, spec, threshold)?);
            rule_files.push(file);
        }
        for (i, d) in parsed.dictionaries.into_iter().enumerate() {
            let label = format!(
                "dictionary {}",
                d.name.clone().unwrap_or_else(|| format!("#{}", i + 1))
            );
            let kind = entity_type(file, &label, &d.kind)?;
            let score = d.score.unwrap_or(DEFAULT_DICTIONARY_SCORE);
            if !(0.0..=1.0).contains(&score) {
                return Err(invalid(
                    file,
                    &label,
                    format!("score {score} is outside 0..=1"),
                ));
            }
            let mut terms = d.terms;
            if let Some(f) = &d.file {
                terms.extend(read_terms(file, &label, f, read_ref)?);
            }
            deny.extend(terms.into_iter().map(|term| DenyTerm { term, kind, score }));
        }
        if let Some(a) = parsed.allow {
            allow.extend(a.terms);
            if let Some(f) = &a.file {
                allow.extend(read_terms(file, "allow", f, read_ref)?);
            }
        }
    }
    let all_files = files
        .iter()
        .map(|(f, _)| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let rules = RuleDetector::new(rules).map_err(|m| invalid(&all_files, "requires", m))?;
    let dictionary = DenyDictionary::new(deny).map_err(|m| invalid(&all_files, "dictionary", m))?;
    Ok(RuleBook {
        rules,
        dictionary,
        allow: AllowList::new(allow),
    })
}

/// Reads a term file: one term per line; blank lines and lines starting with `#` are skipped.
fn read_terms(
    file: &str,
    label: &str,
    name: &str,
    read_ref: ReadRef<'_>,
) -> Result<Vec<String>, RulesError> {
    let text = read_ref(name)
        .map_err(|e| invalid(file, label, format!("cannot read term file {name}: {e}")))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests;
