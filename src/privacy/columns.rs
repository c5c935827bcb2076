//! Tables: the cells of one column hold one kind of value. A CSV export, a TSV paste or a
//! Markdown table names a person in every row of its `name` column, yet the tagger, reading
//! a row without a sentence around it, finds some of them and misses others. Here a column
//! whose header names a kind of personal data ("name", "customer", "address", …), or in
//! which a detector found that kind in at least one cell and no cell holds any other kind,
//! gets that kind for every cell that can hold it (letters, no `@`, not too long).
//!
//! Contact blocks follow the same idea: a line that is nothing but a name ("Donette
//! Sobanski" under "CURRICULUM VITAE", above an address; a signature's name above a phone
//! number) is a person when a line next to it holds an address, e-mail or phone number.
//!
//! A table is a run of at least three lines (header included) that split into the same
//! number (at least two) of cells on one delimiter: tab, `|`, `;` or `,`. Quoted CSV cells
//! with the delimiter inside are not split; such a line simply does not join a table.

use std::sync::Arc;

use super::{EntityType, Span};

const DELIMITERS: [char; 4] = ['\t', '|', ';', ','];

/// Header words that name a column's kind (compared lower-cased, `_`/`-` read as spaces).
const HEADERS: [(&str, EntityType); 22] = [
    ("name", EntityType::Person),
    ("full name", EntityType::Person),
    ("first name", EntityType::Person),
    ("last name", EntityType::Person),
    ("surname", EntityType::Person),
    ("given name", EntityType::Person),
    ("customer", EntityType::Person),
    ("customer name", EntityType::Person),
    ("employee", EntityType::Person),
    ("employee name", EntityType::Person),
    ("contact", EntityType::Person),
    ("contact name", EntityType::Person),
    ("patient", EntityType::Person),
    ("patient name", EntityType::Person),
    ("client", EntityType::Person),
    ("owner", EntityType::Person),
    ("author", EntityType::Person),
    ("assignee", EntityType::Person),
    ("address", EntityType::Address),
    ("street", EntityType::Address),
    ("street address", EntityType::Address),
    ("home address", EntityType::Address),
];

/// Kinds a column can pass on to its cells.
const KINDS: [EntityType; 4] = [
    EntityType::Person,
    EntityType::Location,
    EntityType::Organization,
    EntityType::Address,
];

/// The longest cell that can be one value of a column (bytes).
const MAX_CELL: usize = 80;

/// `spans` (disjoint, sorted) plus a span for every cell of a typed column and every name
/// line of a contact block that none covers.
pub fn fill(text: &str, mut spans: Vec<Span>) -> Vec<Span> {
    if !text.contains('\n') {
        return spans;
    }
    let mut added = contact_names(text, &spans);
    for table in tables(text) {
        for col in 0..table.width {
            let cells: Vec<(usize, usize)> = table.rows.iter().map(|r| r[col]).collect();
            let Some(kind) = column_kind(text, &cells, &spans) else {
                continue;
            };
            // A typed column's findings are that column's values: never public knowledge.
            for s in spans.iter_mut().filter(|s| {
                s.kind == kind && cells[1..].iter().any(|&(a, b)| s.start < b && a < s.end)
            }) {
                if !s.source.ends_with(":column") {
                    s.source = Arc::from(format!("{}:column", s.source));
                }
            }
            for &(a, b) in &cells[1..] {
                let value = &text[a..b];
                let free = !spans
                    .iter()
                    .chain(&added)
                    .any(|s: &Span| s.start < b && a < s.end);
                if free && holds_value(kind, value) {
                    added.push(Span {
                        start: a,
                        end: b,
                        kind,
                        score: 0.7,
                        source: Arc::from("tagger:column"),
                    });
                }
            }
        }
    }
    if !added.is_empty() {
        spans.extend(added);
        spans.sort_by_key(|s| s.start);
    }
    spans
}

/// Kinds that make the lines around them a contact block.
const CONTACT: [EntityType; 3] = [EntityType::Address, EntityType::Email, EntityType::Phone];

/// How many lines away a contact detail makes a name line a person.
const CONTACT_REACH: usize = 2;

/// Name lines next to contact details: a line of two to four capitalised words with no
/// digits, not all upper case (a heading), with no everyday word (never a name: "Senior
/// Accountant", "Best Regards"), that no span touches, within [`CONTACT_REACH`] lines of an address,
/// e-mail or phone number.
fn contact_names(text: &str, spans: &[Span]) -> Vec<Span> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, offset + line.trim_end().len()));
        offset += line.len();
    }
    let contact: Vec<bool> = lines
        .iter()
        .map(|&(a, b)| {
            spans
                .iter()
                .any(|s| CONTACT.contains(&s.kind) && s.start < b && a < s.end)
        })
        .collect();
    let mut out = Vec::new();
    for (i, &(a, b)) in lines.iter().enumerate() {
        let lead = text[a..b].len() - text[a..b].trim_start().len();
        let (a, value) = (a + lead, text[a..b].trim());
        let near = contact
            [i.saturating_sub(CONTACT_REACH)..(i + CONTACT_REACH + 1).min(lines.len())]
            .iter()
            .any(|&c| c);
        if near
            && is_name_line(value)
            && !spans.iter().any(|s| s.start < a + value.len() && a < s.end)
        {
            out.push(Span {
                start: a,
                end: a + value.len(),
                kind: EntityType::Person,
                score: 0.7,
                source: Arc::from("tagger:contact-block"),
            });
        }
    }
    out
}

fn is_name_line(value: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && !value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(char::is_lowercase)
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '\'' | '-' | '.'))
        })
        && !words
            .iter()
            .any(|w| super::everyday::is_common(&w.trim_end_matches('.').to_lowercase()))
}

/// The kind of a column: named by its header cell, or found in some cell with no other kind
/// found in any.
fn column_kind(text: &str, cells: &[(usize, usize)], spans: &[Span]) -> Option<EntityType> {
    let header = text[cells[0].0..cells[0].1]
        .trim_matches(|c: char| !c.is_alphanumeric())
        .replace(['_', '-'], " ")
        .to_lowercase();
    if let Some(&(_, kind)) = HEADERS.iter().find(|(h, _)| *h == header) {
        return Some(kind);
    }
    let mut kind = None;
    let mut found = 0;
    for &(a, b) in &cells[1..] {
        for s in spans.iter().filter(|s| s.start < b && a < s.end) {
            if !KINDS.contains(&s.kind) || kind.is_some_and(|k| k != s.kind) {
                return None;
            }
            kind = Some(s.kind);
            found += 1;
        }
    }
    // Two findings at least, so that one stray finding in a column of something else (or in
    // comma-separated prose lines) does not type it; and never prose: cells that end a
    // sentence are not a column of values.
    let prose = cells[1..]
        .iter()
        .filter(|&&(a, b)| text[a..b].ends_with(['.', '!', '?']))
        .count()
        * 2
        >= cells.len() - 1;
    kind.filter(|_| found >= 2 && !prose)
}

/// Whether a cell can hold a value of `kind`: some letters, no e-mail or URL, not a sentence;
/// a name is a few capitalised words without digits.
fn holds_value(kind: EntityType, value: &str) -> bool {
    let words = value.split_whitespace().count();
    let capitalised = value.chars().next().is_some_and(char::is_uppercase);
    value.len() <= MAX_CELL
        && value.chars().any(char::is_alphabetic)
        && !value.contains('@')
        && !value.contains("://")
        && match kind {
            EntityType::Person => {
                capitalised && words <= 4 && !value.chars().any(|c| c.is_ascii_digit())
            }
            EntityType::Location | EntityType::Organization => capitalised && words <= 6,
            _ => true,
        }
}

struct Table {
    width: usize,
    /// Per row, the trimmed byte range of each cell.
    rows: Vec<Vec<(usize, usize)>>,
}

/// The tables of `text`: runs of at least three lines with the same cell count on the same
/// delimiter. Markdown separator rows (`|---|---|`) end nothing and count as no row.
fn tables(text: &str) -> Vec<Table> {
    let mut out = Vec::new();
    let mut current: Option<(char, Table)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        if is_separator_row(line) {
            continue;
        }
        let row = DELIMITERS.iter().find_map(|&d| {
            let cells = split_row(line, start, d);
            (cells.len() >= 2).then_some((d, cells))
        });
        let continues = match (&current, &row) {
            (Some((d, t)), Some((_, _))) => {
                let cells = split_row(line, start, *d);
                (cells.len() == t.width).then_some(cells)
            }
            _ => None,
        };
        match continues {
            Some(cells) => current.as_mut().expect("current table").1.rows.push(cells),
            None => {
                if let Some((_, t)) = current.take() {
                    if t.rows.len() >= 3 {
                        out.push(t);
                    }
                }
                current = row.map(|(d, cells)| {
                    (
                        d,
                        Table {
                            width: cells.len(),
                            rows: vec![cells],
                        },
                    )
                });
            }
        }
    }
    if let Some((_, t)) = current {
        if t.rows.len() >= 3 {
            out.push(t);
        }
    }
    out
}

fn is_separator_row(line: &str) -> bool {
    let t = line.trim();
    t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// The trimmed cells of `line` (at byte `start` of the text) split on `d`; the empty edge
/// cells of a Markdown row (`| a | b |`) are dropped.
fn split_row(line: &str, start: usize, d: char) -> Vec<(usize, usize)> {
    if !line.contains(d) {
        return Vec::new();
    }
    let mut cells = Vec::new();
    let mut at = 0;
    for part in line.split(d) {
        let lead = part.len() - part.trim_start().len();
        let a = start + at + lead;
        let b = a + part.trim().len();
        cells.push((a, b));
        at += part.len() + d.len_utf8();
    }
    if d == '|' {
        if cells.first().is_some_and(|&(a, b)| a == b) {
            cells.remove(0);
        }
        if cells.last().is_some_and(|&(a, b)| a == b) {
            cells.pop();
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::span_of as span;

    fn values<'t>(text: &'t str, spans: &[Span]) -> Vec<(&'t str, EntityType)> {
        spans
            .iter()
            .map(|s| (&text[s.start..s.end], s.kind))
            .collect()
    }

    #[test]
    fn a_name_column_masks_every_row() {
        let text = "name,email,phone\nAnn Lee,[EMAIL_1],555\nCody Thurmer,[EMAIL_2],556\n";
        let got = fill(text, vec![]);
        assert_eq!(
            values(text, &got),
            [
                ("Ann Lee", EntityType::Person),
                ("Cody Thurmer", EntityType::Person)
            ]
        );
    }

    #[test]
    fn a_column_takes_the_one_kind_found_in_it() {
        let text = "id | who | city\n---|---|---\n1 | Ann Lee | Oslo\n2 | Bo Quist | Lund\n3 | Cy Dahl | Umeå\n";
        // One finding in a column is not enough.
        let spans = vec![span(text, "Ann Lee", EntityType::Person)];
        assert_eq!(fill(text, spans).len(), 1);
        let spans = vec![
            span(text, "Ann Lee", EntityType::Person),
            span(text, "Bo Quist", EntityType::Person),
        ];
        let got = fill(text, spans);
        assert_eq!(
            values(text, &got),
            [
                ("Ann Lee", EntityType::Person),
                ("Bo Quist", EntityType::Person),
                ("Cy Dahl", EntityType::Person)
            ]
        );
        // The column's findings are its values, never kept as public names.
        assert!(got.iter().all(|s| s.source.ends_with(":column")));
    }

    #[test]
    fn a_name_line_beside_contact_details_is_a_person() {
        let text = "CURRICULUM VITAE\nDonette Sobanski\n416 Harbour Road, Springfield\n";
        let spans = vec![span(text, "416 Harbour Road", EntityType::Address)];
        let got = fill(text, spans);
        assert_eq!(
            values(text, &got),
            [
                ("Donette Sobanski", EntityType::Person),
                ("416 Harbour Road", EntityType::Address)
            ]
        );
        // Headings, job titles and closings stay; so does a name line with no contact nearby.
        let text = "Best Regards\nSenior Accountant\nCURRICULUM VITAE\n+1 537 518 5905\n";
        let spans = vec![span(text, "+1 537 518 5905", EntityType::Phone)];
        assert_eq!(fill(text, spans).len(), 1);
        let text = "Donette Sobanski\n\n\n\nno contact here\n";
        assert!(fill(text, vec![]).is_empty());
    }

    #[test]
    fn mixed_columns_prose_and_numbers_are_left_alone() {
        // Two kinds in one column: nothing is inferred.
        let text = "a,b\nAnn Lee,1\nOslo,2\nBo,3\n";
        let spans = vec![
            span(text, "Ann Lee", EntityType::Person),
            span(text, "Oslo", EntityType::Location),
        ];
        assert_eq!(fill(text, spans).len(), 2);
        // Prose with commas is not a table.
        let text = "Hi, Ann.\nThanks, see you.\n";
        assert!(fill(text, vec![]).is_empty());
        let text = "Sure, sounds good.\nAlso, Ann Lee agreed.\nThen, Bob Said Yes.\nLater, Everyone Went Home.\n";
        let spans = vec![
            span(text, "Ann Lee", EntityType::Person),
            span(text, "Bob Said Yes", EntityType::Person),
        ];
        assert_eq!(fill(text, spans).len(), 2);
        // A header-named column does not mask numbers.
        let text = "name;score\n1;2\n3;4\n";
        assert!(fill(text, vec![]).is_empty());
    }
}
