//! The rule-file schema (what a `rules/*.toml` may say) and its compilation into
//! [`Rule`]s, with errors that name the file and the rule.

use std::sync::Arc;

use aho_corasick::AhoCorasick;
use regex::RegexBuilder;
use serde::Deserialize;

use super::engine::{Context, Rule};
use super::RulesError;
use crate::privacy::validators::{SpecError, Validator, NAMES as VALIDATOR_NAMES};
use crate::privacy::EntityType;

const DEFAULT_BEFORE: usize = 48;
const DEFAULT_AFTER: usize = 24;

/// One rule file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    pub(super) threshold: Option<f32>,
    #[serde(default, rename = "rule")]
    pub(super) rules: Vec<RuleSpec>,
    #[serde(default, rename = "dictionary")]
    pub(super) dictionaries: Vec<DictionarySpec>,
    pub(super) allow: Option<AllowSpec>,
}

/// One `[[rule]]` table (see the `rules` module doc for the fields).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleSpec {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) regex: String,
    pub(super) score: f32,
    pub(super) validator: Option<toml::Value>,
    pub(super) group: Option<toml::Value>,
    #[serde(default)]
    pub(super) requires: Vec<String>,
    #[serde(default)]
    pub(super) isolated: bool,
    pub(super) context: Option<ContextSpec>,
    pub(super) negative_context: Option<ContextSpec>,
    pub(super) threshold: Option<f32>,
    #[allow(dead_code)] // documentation for people reading the file
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) examples: Vec<String>,
    #[serde(default)]
    pub(super) not_examples: Vec<String>,
}

/// `context` / `negative_context`: the words, how much they move the score, how far they reach.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContextSpec {
    pub(super) words: Vec<String>,
    pub(super) boost: Option<f32>,
    pub(super) penalty: Option<f32>,
    pub(super) before: Option<usize>,
    pub(super) after: Option<usize>,
}

/// One `[[dictionary]]` deny-list: inline `terms` and/or a term `file`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DictionarySpec {
    pub(super) name: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) terms: Vec<String>,
    pub(super) file: Option<String>,
    pub(super) score: Option<f32>,
}

/// The `[allow]` list: inline `terms` and/or a term `file`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AllowSpec {
    #[serde(default)]
    pub(super) terms: Vec<String>,
    pub(super) file: Option<String>,
}

pub(super) fn invalid(file: &str, rule: &str, message: String) -> RulesError {
    RulesError::Invalid {
        file: file.to_string(),
        rule: rule.to_string(),
        message,
    }
}

pub(super) fn entity_type(file: &str, rule: &str, tag: &str) -> Result<EntityType, RulesError> {
    EntityType::parse(tag).ok_or_else(|| RulesError::UnknownType {
        file: file.to_string(),
        rule: rule.to_string(),
        tag: tag.to_string(),
        known: EntityType::ALL.map(EntityType::as_str).join(", "),
    })
}

pub(super) fn compile_rule(
    file: &str,
    spec: RuleSpec,
    file_threshold: f32,
) -> Result<Rule, RulesError> {
    let name = spec.name.as_str();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(invalid(
            file,
            name,
            "a rule name must be non-empty with no spaces".into(),
        ));
    }
    let kind = entity_type(file, name, &spec.kind)?;
    for (what, v) in [("score", Some(spec.score)), ("threshold", spec.threshold)] {
        if let Some(v) = v {
            if !(0.0..=1.0).contains(&v) {
                return Err(invalid(file, name, format!("{what} {v} is outside 0..=1")));
            }
        }
    }
    let regex = RegexBuilder::new(&ascii_word_boundaries(&spec.regex))
        .build()
        .map_err(|e| RulesError::Regex {
            file: file.to_string(),
            rule: name.to_string(),
            error: e.to_string(),
        })?;
    let groups = match &spec.group {
        None => Vec::new(),
        Some(g) => capture_groups(g, &regex).map_err(|m| invalid(file, name, m))?,
    };
    let validators = match &spec.validator {
        None => Vec::new(),
        Some(v) => validators(v).map_err(|e| match e {
            SpecError::Unknown(v) => RulesError::UnknownValidator {
                file: file.to_string(),
                rule: name.to_string(),
                name: v,
                known: VALIDATOR_NAMES.join(", "),
            },
            SpecError::BadParam(m) => invalid(file, name, m),
        })?,
    };
    let positive = spec
        .context
        .as_ref()
        .map(|c| context(c, false))
        .transpose()
        .map_err(|m| invalid(file, name, m))?;
    let negative = spec
        .negative_context
        .as_ref()
        .map(|c| context(c, true))
        .transpose()
        .map_err(|m| invalid(file, name, m))?;
    if spec.requires.iter().any(|l| l.is_empty()) {
        return Err(invalid(
            file,
            name,
            "requires holds an empty literal".into(),
        ));
    }
    Ok(Rule {
        source: Arc::from(format!("rule:{name}")),
        name: spec.name,
        kind,
        regex,
        groups,
        validators,
        score: spec.score,
        threshold: spec.threshold.unwrap_or(file_threshold),
        context: positive,
        negative,
        isolated: spec.isolated,
        requires: spec.requires,
        examples: spec.examples,
        not_examples: spec.not_examples,
    })
}

/// Rewrites each `\b` of a pattern to `(?-u:\b)` (see the module doc for why).
pub(super) fn ascii_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') if chars.peek() != Some(&'{') => out.push_str(r"(?-u:\b)"),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

pub(super) fn capture_groups(
    spec: &toml::Value,
    regex: &regex::Regex,
) -> Result<Vec<usize>, String> {
    let one = |v: &toml::Value| -> Result<usize, String> {
        match v {
            toml::Value::Integer(i) => usize::try_from(*i)
                .ok()
                .filter(|&i| i > 0 && i < regex.captures_len())
                .ok_or_else(|| {
                    format!(
                        "group {i} does not exist (the regex has {} groups)",
                        regex.captures_len() - 1
                    )
                }),
            toml::Value::String(s) => regex
                .capture_names()
                .position(|n| n == Some(s.as_str()))
                .ok_or_else(|| format!("group \"{s}\" is not a named group of the regex")),
            other => Err(format!(
                "group must be a number, a name or a list of them, not {other}"
            )),
        }
    };
    match spec {
        toml::Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        toml::Value::Array(_) => Err("group list is empty".into()),
        v => Ok(vec![one(v)?]),
    }
}

pub(super) fn validators(spec: &toml::Value) -> Result<Vec<Validator>, SpecError> {
    let one = |v: &toml::Value| -> Result<Validator, SpecError> {
        match v {
            toml::Value::String(name) => Validator::from_spec(name, &[]),
            toml::Value::Table(t) => {
                let Some(toml::Value::String(name)) = t.get("name") else {
                    return Err(SpecError::BadParam(
                        "a validator table needs name = \"...\"".into(),
                    ));
                };
                let mut params = Vec::new();
                for (k, v) in t.iter().filter(|(k, _)| *k != "name") {
                    let n = match v {
                        toml::Value::Integer(i) => *i as f64,
                        toml::Value::Float(f) => *f,
                        other => {
                            return Err(SpecError::BadParam(format!(
                                "validator parameter {k} must be a number, not {other}"
                            )))
                        }
                    };
                    params.push((k.clone(), n));
                }
                Validator::from_spec(name, &params)
            }
            other => Err(SpecError::BadParam(format!(
                "validator must be a name, a table or a list, not {other}"
            ))),
        }
    };
    match spec {
        toml::Value::Array(items) => items.iter().map(one).collect(),
        v => Ok(vec![one(v)?]),
    }
}

pub(super) fn context(spec: &ContextSpec, negative: bool) -> Result<Context, String> {
    let (key, amount) = match (negative, spec.boost, spec.penalty) {
        (false, Some(b), None) => ("boost", b),
        (true, None, Some(p)) => ("penalty", -p),
        (false, _, _) => return Err("context needs boost = <number> (and no penalty)".into()),
        (true, _, _) => {
            return Err("negative_context needs penalty = <number> (and no boost)".into())
        }
    };
    if !(-1.0..=1.0).contains(&amount) {
        return Err(format!("{key} must be within 0..=1"));
    }
    let words: Vec<&str> = spec
        .words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err("context words are empty".into());
    }
    // ASCII case folding in the automaton; lower-case variants cover accented words.
    let mut variants: Vec<String> = words
        .iter()
        .flat_map(|w| [w.to_string(), w.to_lowercase()])
        .collect();
    variants.sort();
    variants.dedup();
    let words = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&variants)
        .map_err(|e| e.to_string())?;
    Ok(Context {
        words,
        before: spec.before.unwrap_or(DEFAULT_BEFORE),
        after: spec.after.unwrap_or(DEFAULT_AFTER),
        delta: amount,
    })
}
