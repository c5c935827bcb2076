//! One person, one placeholder; one word, one type. "Maria Gonzalez … reply to Maria" must
//! reach the cloud as `[PERSON_1] … reply to [PERSON_1]`, not as two people, and "Hannah" must
//! not be a place in one message and a person in the next.
//!
//! A first name or surname standing alone gets the placeholder of the full name it belongs to,
//! when exactly one full name of the request (or of the vault) has it as its first or last
//! word; the reply's placeholder then comes back as the full name.

use std::collections::HashMap;

use super::{EntityType, Span, Vault};

/// Types a word of prose can be taken for; between them, one word keeps one type.
const NAME_LIKE: [EntityType; 4] = [
    EntityType::Person,
    EntityType::Location,
    EntityType::Organization,
    EntityType::Address,
];

/// Gives every span of the same name-like value (case and spacing ignored) the one type with
/// the highest total score over the request.
pub fn unify_types(texts: &[&str], spans: &mut [Vec<Span>]) {
    let key = |text: &str, s: &Span| -> String {
        text[s.start..s.end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut votes: HashMap<String, HashMap<EntityType, f32>> = HashMap::new();
    for (text, spans) in texts.iter().zip(spans.iter()) {
        for s in spans.iter().filter(|s| NAME_LIKE.contains(&s.kind)) {
            *votes
                .entry(key(text, s))
                .or_default()
                .entry(s.kind)
                .or_default() += s.score;
        }
    }
    let winner: HashMap<String, EntityType> = votes
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| {
            let best = v
                .into_iter()
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(t, _)| t)
                .expect("at least two types");
            (k, best)
        })
        .collect();
    if winner.is_empty() {
        return;
    }
    for (text, spans) in texts.iter().zip(spans.iter_mut()) {
        for s in spans.iter_mut().filter(|s| NAME_LIKE.contains(&s.kind)) {
            if let Some(&kind) = winner.get(&key(text, s)) {
                s.kind = kind;
            }
        }
    }
}

/// The first and last word of a full name (two words or more), where they can stand for the
/// person: capitalised, three characters or more.
pub fn name_parts(full: &str) -> impl Iterator<Item = &str> {
    let words: Vec<&str> = full.split_whitespace().collect();
    let parts = if words.len() >= 2 {
        vec![words[0], words[words.len() - 1]]
    } else {
        Vec::new()
    };
    parts
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && w.chars().next().is_some_and(char::is_uppercase))
}

/// The full names of a request, by their parts.
pub struct People {
    /// Lower-cased part → the one full name it belongs to (`None`: several do).
    by_part: HashMap<String, Option<String>>,
}

impl People {
    /// The full names among the PERSON spans of `texts` and the PERSON values of `vault`.
    pub fn of(texts: &[&str], spans: &[Vec<Span>], vault: &Vault) -> People {
        let found = texts.iter().zip(spans).flat_map(|(text, spans)| {
            spans
                .iter()
                .filter(|s| s.kind == EntityType::Person)
                .map(|s| text[s.start..s.end].trim())
        });
        let held = vault
            .entries()
            .iter()
            .filter(|e| e.kind == EntityType::Person)
            .map(|e| e.value.as_str());
        let mut by_part: HashMap<String, Option<String>> = HashMap::new();
        for full in found.chain(held) {
            let folded = full.split_whitespace().collect::<Vec<_>>().join(" ");
            for part in name_parts(full) {
                by_part
                    .entry(part.to_lowercase())
                    .and_modify(|known| {
                        if known
                            .as_deref()
                            .is_some_and(|k| !k.eq_ignore_ascii_case(&folded))
                        {
                            *known = None;
                        }
                    })
                    .or_insert_with(|| Some(folded.clone()));
            }
        }
        People { by_part }
    }

    /// The value to give `value` a placeholder by: the full name it is part of, if exactly one
    /// is; else `value` itself.
    pub fn canonical<'a>(&'a self, kind: EntityType, value: &'a str) -> &'a str {
        if kind != EntityType::Person || value.split_whitespace().count() != 1 {
            return value;
        }
        match self.by_part.get(&value.trim().to_lowercase()) {
            Some(Some(full)) => full,
            _ => value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::span_of as span;

    #[test]
    fn a_first_name_or_surname_alone_is_its_full_name() {
        let texts = [
            "Maria Gonzalez wrote",
            "reply to Maria and the Gonzalez family",
        ];
        let spans = vec![
            vec![span(texts[0], "Maria Gonzalez", EntityType::Person)],
            vec![
                span(texts[1], "Maria", EntityType::Person),
                span(texts[1], "Gonzalez", EntityType::Person),
            ],
        ];
        let people = People::of(&texts, &spans, &Vault::new());
        assert_eq!(
            people.canonical(EntityType::Person, "Maria"),
            "Maria Gonzalez"
        );
        assert_eq!(
            people.canonical(EntityType::Person, "GONZALEZ"),
            "Maria Gonzalez"
        );
        assert_eq!(people.canonical(EntityType::Person, "Pedro"), "Pedro");
        assert_eq!(people.canonical(EntityType::Location, "Maria"), "Maria");
    }

    #[test]
    fn a_part_two_people_share_stays_its_own() {
        let texts = ["Maria Gonzalez and Maria Lopez met Maria"];
        let spans = vec![vec![
            span(texts[0], "Maria Gonzalez", EntityType::Person),
            span(texts[0], "Maria Lopez", EntityType::Person),
        ]];
        let people = People::of(&texts, &spans, &Vault::new());
        assert_eq!(people.canonical(EntityType::Person, "Maria"), "Maria");
        assert_eq!(people.canonical(EntityType::Person, "Lopez"), "Maria Lopez");
    }

    #[test]
    fn one_word_keeps_one_type_across_the_request() {
        let texts = ["Hannah called", "ask hannah"];
        let mut spans = vec![
            vec![Span {
                score: 0.9,
                ..span(texts[0], "Hannah", EntityType::Person)
            }],
            vec![Span {
                score: 0.5,
                ..span(texts[1], "hannah", EntityType::Location)
            }],
        ];
        unify_types(&texts, &mut spans);
        assert_eq!(spans[1][0].kind, EntityType::Person);
    }

    #[test]
    fn parts_are_capitalised_words_of_three_letters_or_more() {
        assert_eq!(
            name_parts("Siobhan Murphy").collect::<Vec<_>>(),
            ["Siobhan", "Murphy"]
        );
        assert_eq!(name_parts("Jo de la Cruz").collect::<Vec<_>>(), ["Cruz"]);
        assert_eq!(name_parts("Madonna").count(), 0);
    }
}
