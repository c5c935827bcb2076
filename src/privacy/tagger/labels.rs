//! From a token classifier's labels to our entity spans: label names of any Hugging Face
//! export mapped onto [`EntityType`], BIO(ES) decoding, and snapping to word boundaries.
//! Pure logic, no model.

use crate::privacy::everyday::is_function_word;
use crate::privacy::{EntityType, Span};

/// What one output class of the model means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Not an entity, or an entity type we do not mask (MISC, DATE, …).
    Outside,
    /// First token of an entity (B-, S-, U-, or a bare type name).
    Begin(EntityType),
    /// A following token (I-, E-, L-).
    Inside(EntityType),
}

/// Maps a label name as Hugging Face configs write it (`B-PER`, `I-ORG`, `PERSON`, `GPE`,
/// `S-LOC`, `B-STREET_ADDRESS`, …) onto a [`Label`]. Unknown types are `Outside`.
pub fn parse_label(name: &str) -> Label {
    let upper = name.trim().to_ascii_uppercase();
    let (prefix, kind) = match upper.split_once(['-', '_']) {
        Some((p @ ("B" | "I" | "S" | "U" | "E" | "L"), rest)) => (p, rest),
        _ => ("B", upper.as_str()),
    };
    let Some(kind) = entity_type(kind) else {
        return Label::Outside;
    };
    match prefix {
        "I" | "E" | "L" => Label::Inside(kind),
        _ => Label::Begin(kind),
    }
}

/// The one table from detector label names to our types.
fn entity_type(name: &str) -> Option<EntityType> {
    Some(match name {
        "PER" | "PERS" | "PERSON" | "NAME" | "FIRSTNAME" | "LASTNAME" | "FULLNAME" => {
            EntityType::Person
        }
        "LOC" | "LOCATION" | "GPE" | "CITY" | "COUNTRY" | "STATE" | "REGION" | "FAC"
        | "FACILITY" => EntityType::Location,
        "ORG" | "ORGANIZATION" | "ORGANISATION" | "COMPANY" | "CORP" => EntityType::Organization,
        "ADDRESS" | "ADDR" | "STREET" | "STREET_ADDRESS" | "STREETADDRESS" => EntityType::Address,
        "EMAIL" | "EMAIL_ADDRESS" => EntityType::Email,
        "PHONE" | "TEL" | "PHONE_NUMBER" | "TELEPHONENUM" => EntityType::Phone,
        "DOB" | "DATE_OF_BIRTH" => EntityType::DateOfBirth,
        _ => return None,
    })
}

/// One classified token of one text: its byte range, best label and that label's probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenTag {
    pub start: usize,
    pub end: usize,
    pub label: Label,
    pub prob: f32,
}

/// A decoded entity: byte range, type, mean token probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub start: usize,
    pub end: usize,
    pub kind: EntityType,
    pub score: f32,
}

/// Groups BIO-tagged tokens (sorted by start) into entities. An `Inside` token continues an
/// entity of its type and starts one otherwise (models are not always well formed).
pub fn decode(tokens: &[TokenTag]) -> Vec<Entity> {
    let mut entities: Vec<Entity> = Vec::new();
    let mut open: Option<(Entity, usize)> = None; // entity and its token count
    for tok in tokens {
        let (kind, continues) = match tok.label {
            Label::Outside => {
                entities.extend(close(open.take()));
                continue;
            }
            Label::Begin(k) => (k, false),
            Label::Inside(k) => (k, open.as_ref().is_some_and(|(e, _)| e.kind == k)),
        };
        if continues {
            let (e, n) = open.as_mut().expect("continues implies open");
            e.end = tok.end;
            e.score += tok.prob;
            *n += 1;
        } else {
            entities.extend(close(open.take()));
            open = Some((
                Entity {
                    start: tok.start,
                    end: tok.end,
                    kind,
                    score: tok.prob,
                },
                1,
            ));
        }
    }
    entities.extend(close(open));
    entities
}

fn close(open: Option<(Entity, usize)>) -> Option<Entity> {
    open.map(|(mut e, n)| {
        e.score /= n as f32;
        e
    })
}

/// Joins final spans of one type that only spaces or tabs separate: the tagger sometimes
/// starts a name's second word afresh ("Tom" "Baker"), and two placeholders for one name
/// read as two people to the cloud. Each span must have passed every check on its own, so
/// the characters masked stay the same (plus the space between). The joined span keeps the
/// higher score. Spans must be sorted by start.
pub fn join_adjacent(text: &str, spans: Vec<Span>) -> Vec<Span> {
    let mut joined: Vec<Span> = Vec::with_capacity(spans.len());
    for e in spans {
        match joined.last_mut() {
            Some(last)
                if last.kind == e.kind
                    && last.end < e.start
                    && text[last.end..e.start]
                        .bytes()
                        .all(|b| b == b' ' || b == b'\t') =>
            {
                last.end = e.end;
                last.score = last.score.max(e.score);
            }
            _ => joined.push(e),
        }
    }
    joined
}

/// Widens `start..end` to whole words of `text`: a name tagged from its second subword on
/// still masks the whole name, never half of it.
pub fn snap_to_words(text: &str, start: usize, end: usize) -> (usize, usize) {
    let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
    let start = text[..start]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(start, |(i, _)| i);
    let end = end
        + text[end..]
            .char_indices()
            .take_while(|&(_, c)| is_word(c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
    // Trailing punctuation, apostrophes and a possessive 's stay outside ("Ada's" masks
    // "Ada", "Hauptstraße 12," masks "Hauptstraße 12").
    let word = text[start..end].trim_end_matches([',', ';', ':', '.', '!', '?']);
    let trimmed = word
        .strip_suffix("'s")
        .or_else(|| word.strip_suffix("’s"))
        .unwrap_or(word)
        .trim_end_matches(['\'', '’']);
    (start, start + trimmed.len())
}

/// Whether `text` can be a value of `kind` at all: names, places and organisations never
/// hold code punctuation (`user_id`, `a=b`, `src/app`, `{name}`), a person's name holds no
/// digits, and a street address is never one bare word ("IBAN"): it has a number or at
/// least two words. In text that is not all capitals, a single all-capital word is an
/// acronym ("IBAN", "API"), not a person. Identifiers and acronyms are the tagger's
/// typical false alarms.
pub fn plausible(kind: EntityType, text: &str, mixed_case: bool) -> bool {
    const CODE: &[char] = &[
        '_', '=', '/', '\\', '@', '{', '}', '<', '>', '|', '$', '`', '[', ']',
    ];
    // Closed-class words (pronouns, determiners) are never a name, place or company alone.
    if is_function_word(&text.to_lowercase()) {
        return false;
    }
    match kind {
        EntityType::Address => {
            text.chars().any(|c| c.is_ascii_digit()) || text.split_whitespace().nth(1).is_some()
        }
        EntityType::Person => {
            let acronym = mixed_case
                && !text.contains(char::is_whitespace)
                && text.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && !text.chars().any(char::is_lowercase);
            !acronym && !text.contains(CODE) && !text.chars().any(|c| c.is_ascii_digit())
        }
        _ => !text.contains(CODE),
    }
}

/// Whether the one-word person `text[start..end]` opens a sentence as an imperative verb:
/// "Mark the ticket as done", "Bill the client", "Will this work?". A sentence-initial
/// capitalised word directly followed by a determiner is a command, not someone's name.
pub fn imperative_verb(text: &str, start: usize, end: usize) -> bool {
    const DETERMINERS: &[&str] = &[
        "the", "a", "an", "this", "that", "these", "those", "my", "your", "our", "their", "its",
        "all", "every", "each", "some", "any",
    ];
    let word = &text[start..end];
    if word.contains(char::is_whitespace) {
        return false;
    }
    let before = text[..start].trim_end_matches([' ', '\t']);
    let opens = before.is_empty() || before.ends_with(['.', '!', '?', '\n', ':', '"']);
    let next = text[end..].split_whitespace().next().map(|w| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    });
    opens && next.is_some_and(|w| DETERMINERS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityType::*;

    #[test]
    fn sentence_initial_words_before_a_determiner_are_commands() {
        let text = "Mark the ticket as done and ping Mark about it.";
        assert!(imperative_verb(text, 0, 4));
        assert!(!imperative_verb(text, 33, 37));
        assert!(imperative_verb("Done. Bill the client today.", 6, 10));
        assert!(!imperative_verb("Mark Twain wrote it.", 0, 10));
        assert!(!imperative_verb("Mark called the office.", 0, 4));
        assert!(!imperative_verb("Ask Mark the way.", 4, 8));
    }

    #[test]
    fn label_names_of_common_exports_map_onto_our_types() {
        assert_eq!(parse_label("B-PER"), Label::Begin(Person));
        assert_eq!(parse_label("I-PERSON"), Label::Inside(Person));
        assert_eq!(parse_label("B-GPE"), Label::Begin(Location));
        assert_eq!(parse_label("S-ORG"), Label::Begin(Organization));
        assert_eq!(parse_label("E-LOC"), Label::Inside(Location));
        assert_eq!(parse_label("I-STREET_ADDRESS"), Label::Inside(Address));
        assert_eq!(parse_label("PERSON"), Label::Begin(Person));
        assert_eq!(parse_label("O"), Label::Outside);
        assert_eq!(parse_label("B-MISC"), Label::Outside);
        assert_eq!(parse_label("B-DATE"), Label::Outside);
    }

    fn tag(start: usize, end: usize, label: Label, prob: f32) -> TokenTag {
        TokenTag {
            start,
            end,
            label,
            prob,
        }
    }

    #[test]
    fn bio_tokens_group_into_entities_with_mean_scores() {
        let tokens = [
            tag(0, 3, Label::Begin(Person), 0.9),
            tag(4, 9, Label::Inside(Person), 0.7),
            tag(10, 12, Label::Outside, 0.99),
            tag(13, 18, Label::Begin(Location), 0.8),
        ];
        let got = decode(&tokens);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].start, got[0].end, got[0].kind), (0, 9, Person));
        assert!((got[0].score - 0.8).abs() < 1e-6);
        assert_eq!((got[1].start, got[1].end, got[1].kind), (13, 18, Location));
    }

    #[test]
    fn a_stray_inside_token_starts_an_entity_and_a_type_change_splits() {
        let tokens = [
            tag(0, 3, Label::Inside(Organization), 0.6),
            tag(3, 6, Label::Inside(Person), 0.6),
            tag(7, 9, Label::Begin(Person), 0.6),
        ];
        let kinds: Vec<_> = decode(&tokens).iter().map(|e| (e.start, e.kind)).collect();
        assert_eq!(kinds, vec![(0, Organization), (3, Person), (7, Person)]);
    }

    #[test]
    fn one_name_split_by_the_tagger_is_one_entity() {
        let text = "notes Tom Baker sent, then Anna\nBerlin and Paris, London";
        let entity = |start, end, kind, score| Span {
            start,
            end,
            kind,
            score,
            source: "tagger".into(),
        };
        let got = join_adjacent(
            text,
            vec![
                entity(6, 9, Person, 0.55),
                entity(10, 15, Person, 0.64),
                entity(27, 31, Person, 0.9),
                entity(32, 38, Location, 0.9), // after a line break
                entity(43, 48, Location, 0.9),
                entity(50, 56, Location, 0.9), // after a comma
            ],
        );
        let spans: Vec<_> = got.iter().map(|e| &text[e.start..e.end]).collect();
        assert_eq!(
            spans,
            ["Tom Baker", "Anna", "Berlin", "Paris", "London"],
            "only a space joins, and only one type"
        );
        assert!((got[0].score - 0.64).abs() < 1e-6);
        let mixed = join_adjacent(
            "Anna Siemens",
            vec![entity(0, 4, Person, 0.9), entity(5, 12, Organization, 0.9)],
        );
        assert_eq!(mixed.len(), 2, "a person beside a company stays two");
    }

    #[test]
    fn code_identifiers_are_not_names() {
        assert!(plausible(Person, "Ada Lovelace", true));
        assert!(plausible(Person, "O'Neil-Smith", true));
        assert!(!plausible(Person, "user_name", true));
        assert!(!plausible(Person, "Agent007", true));
        assert!(
            !plausible(Person, "IBAN", true),
            "an acronym in mixed-case text"
        );
        assert!(plausible(Person, "JOHN", false), "a name in ALL-CAPS text");
        assert!(plausible(Person, "JOHN MILLER", true));
        assert!(!plausible(Organization, "them", true), "a pronoun");
        assert!(!plausible(Person, "She", true));
        assert!(!plausible(Organization, "DB_HOST=prod", true));
        assert!(plausible(Organization, "3M", true));
        assert!(!plausible(Location, "src/Paris", true));
        assert!(plausible(Address, "221B Baker Street", true));
        assert!(plausible(Address, "Baker Street", true));
        assert!(!plausible(Address, "IBAN", true));
    }

    #[test]
    fn spans_snap_to_whole_words_without_possessives() {
        let text = "Ask Johannsson's team, or O'Neil.";
        // "hannsson" tagged: widen to "Johannsson", drop "'s".
        assert_eq!(snap_to_words(text, 6, 14), (4, 14));
        let (s, e) = snap_to_words(text, 26, 28);
        assert_eq!(&text[s..e], "O'Neil");
        let text = "in Hauptstraße 12, Berlin";
        let (s, e) = snap_to_words(text, 3, 19); // "Hauptstraße 12," with its comma
        assert_eq!(&text[s..e], "Hauptstraße 12");
        let text = "Zoë Åberg";
        let (s, e) = snap_to_words(text, 1, 8);
        assert_eq!(&text[s..e], "Zoë Åberg");
    }
}
