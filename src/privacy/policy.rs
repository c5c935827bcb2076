//! The policy per entity type, from `[privacy.types.TYPE]` in the main configuration: what
//! happens to a finding of that type (mask it, keep it, refuse the request, or redact it for
//! good), the score it needs, and terms always kept or always masked as that type.
//!
//! ```toml
//! [privacy.types.LOCATION]
//! action = "keep"                 # mask (default) | keep | block | redact
//! [privacy.types.PERSON]
//! min_score = 0.6                 # tagger and rule findings below this are not masked
//! allow = ["Ada Lovelace"]        # never masked as this type (case and spacing ignored)
//! deny = ["Project Falcon"]       # always masked as this type, wherever they occur
//! [privacy.types.US_SSN]
//! action = "block"                # the request is refused with 400 naming the type
//! [privacy.types.SECRET]
//! action = "redact"               # replaced by [REDACTED], never put back in the reply
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::dictionary::{AllowList, DenyTerm};
use super::{EntityType, Span};

/// What happens to a finding of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Replaced by a placeholder that the reply's copy is turned back into (the default).
    #[default]
    Mask,
    /// Left as it is.
    Keep,
    /// The request is refused (400 naming the type); nothing is forwarded.
    Block,
    /// Replaced by `[REDACTED]`, which is never turned back.
    Redact,
}

/// The settings of one type, as written in the configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TypePolicy {
    pub action: Action,
    /// Findings scored below this are not masked.
    pub min_score: f32,
    /// Terms never masked as this type.
    pub allow: Vec<String>,
    /// Terms always masked as this type.
    pub deny: Vec<String>,
}

/// The text a redacted value is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// Every type's policy, compiled.
#[derive(Default)]
pub struct Policies {
    by_type: HashMap<EntityType, (TypePolicy, AllowList)>,
}

impl Policies {
    /// Compiles `[privacy.types]`; an unknown type tag or a score outside 0..=1 is an error
    /// naming it.
    pub fn new(types: &BTreeMap<String, TypePolicy>) -> Result<Policies, String> {
        let mut by_type = HashMap::new();
        for (tag, policy) in types {
            let kind = EntityType::parse(tag)
                .ok_or_else(|| format!("privacy.types.{tag}: no such entity type"))?;
            if !(0.0..=1.0).contains(&policy.min_score) {
                return Err(format!(
                    "privacy.types.{tag}.min_score = {} is out of range (0 to 1)",
                    policy.min_score
                ));
            }
            by_type.insert(kind, (policy.clone(), AllowList::new(&policy.allow)));
        }
        Ok(Policies { by_type })
    }

    /// The action for `kind`.
    pub fn action(&self, kind: EntityType) -> Action {
        self.by_type
            .get(&kind)
            .map_or(Action::Mask, |(p, _)| p.action)
    }

    /// Whether a finding stays a finding: its type is not kept, its score reaches the type's
    /// minimum, and its value is not on the type's allow-list.
    pub fn admits(&self, text: &str, span: &Span) -> bool {
        match self.by_type.get(&span.kind) {
            None => true,
            Some((policy, allow)) => {
                policy.action != Action::Keep
                    && span.score >= policy.min_score
                    && !allow.allows(&text[span.start..span.end])
            }
        }
    }

    /// The deny terms of every type, for a dictionary detector.
    pub fn deny_terms(&self) -> Vec<DenyTerm> {
        self.by_type
            .iter()
            .flat_map(|(&kind, (policy, _))| {
                policy.deny.iter().map(move |term| DenyTerm {
                    term: term.clone(),
                    kind,
                    score: 0.99,
                })
            })
            .collect()
    }

    /// Whether no type has a policy of its own.
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn types(toml_text: &str) -> BTreeMap<String, TypePolicy> {
        toml::from_str(toml_text).unwrap()
    }

    fn span(kind: EntityType, start: usize, end: usize, score: f32) -> Span {
        Span {
            start,
            end,
            kind,
            score,
            source: Arc::from("test"),
        }
    }

    #[test]
    fn keep_min_score_and_allow_drop_findings() {
        let p = Policies::new(&types(
            "[LOCATION]\naction = \"keep\"\n[PERSON]\nmin_score = 0.6\nallow = [\"Ada Lovelace\"]\n",
        ))
        .unwrap();
        let text = "Ada Lovelace met Bob in Paris";
        assert!(!p.admits(text, &span(EntityType::Location, 24, 29, 0.9)));
        assert!(!p.admits(text, &span(EntityType::Person, 0, 12, 0.9)));
        assert!(!p.admits(text, &span(EntityType::Person, 17, 20, 0.5)));
        assert!(p.admits(text, &span(EntityType::Person, 17, 20, 0.7)));
        assert!(p.admits(text, &span(EntityType::Email, 0, 3, 0.1)));
    }

    #[test]
    fn unknown_types_and_bad_scores_are_errors_naming_them() {
        let err = Policies::new(&types("[NAME]\naction = \"keep\"\n"))
            .err()
            .unwrap();
        assert!(err.contains("privacy.types.NAME"), "{err}");
        let err = Policies::new(&types("[PERSON]\nmin_score = 2\n"))
            .err()
            .unwrap();
        assert!(err.contains("min_score"), "{err}");
    }
}
