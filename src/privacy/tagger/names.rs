//! The tagger's name list: a given name followed by a surname, both capitalised ("Kay Mann",
//! "Larry Lewis"), is a person even where the model sees no cue around it. The shipped model
//! learnt names from template sentences, so a bare name in an e-mail's sign-off or a list
//! of attendees often passes it by. Neither word may be an everyday word ("Rose Garden",
//! "In London"); a surname that is also a noun still counts ("Grace Church" is masked, as
//! "Tom Baker" must be). The lists are the 1990 US Census given names and surnames
//! (`models/tagger/given_names.txt`, `surnames.txt`, written by `scripts/gen-names.py`).
//! Pure logic, no model.

use std::sync::LazyLock;

use crate::privacy::everyday::is_common;

static GIVEN: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| sorted(include_str!("../../../models/tagger/given_names.txt")));
static SURNAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| sorted(include_str!("../../../models/tagger/surnames.txt")));

/// Reads the lists now (at start-up), so that no request pays for it.
pub fn load() {
    LazyLock::force(&GIVEN);
    LazyLock::force(&SURNAMES);
}

fn sorted(file: &'static str) -> Vec<&'static str> {
    let mut words: Vec<&str> = file
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    words.sort_unstable();
    words
}

/// Byte ranges of the full names in `text`: a capitalised given name, then one or more
/// capitalised surnames ("Steve Van Hooser", "Ann Smith-Jones"), separated by spaces only,
/// none of them an everyday word, none part of a longer token (an e-mail address, a path).
pub fn full_names(text: &str) -> Vec<(usize, usize)> {
    let words = words(text);
    let spaced = |a: &Word, b: &Word| text[a.end..b.start].bytes().all(|c| c == b' ');
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < words.len() {
        let (first, next) = (&words[i], &words[i + 1]);
        if !(first.bare && is_given(first.text) && spaced(first, next) && is_surname(next.text)) {
            i += 1;
            continue;
        }
        let mut last = i + 1;
        while last + 1 < words.len()
            && words[last].bare
            && spaced(&words[last], &words[last + 1])
            && is_surname(words[last + 1].text)
        {
            last += 1;
        }
        found.push((first.start, words[last].end));
        i = last + 1;
    }
    found
}

/// A whitespace-separated token with the punctuation around it trimmed; `bare` when
/// nothing trailed it ("Kay" in "Kay Mann", not in "Kay, Mann").
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    bare: bool,
}

fn words(text: &str) -> Vec<Word<'_>> {
    const OPEN: &[char] = &['(', '"', '\'', '“', '‘', '['];
    const CLOSE: &[char] = &[',', '.', ';', ':', '!', '?', ')', '"', '\'', '”', '’', ']'];
    let mut out = Vec::new();
    let mut offset = 0;
    for token in text.split_whitespace() {
        let start = offset + text[offset..].find(token).expect("a token of the text");
        offset = start + token.len();
        let inner = token.trim_start_matches(OPEN);
        let trimmed = inner.trim_end_matches(CLOSE);
        let start = start + (token.len() - inner.len());
        out.push(Word {
            text: trimmed,
            start,
            end: start + trimmed.len(),
            bare: trimmed.len() == inner.len(),
        });
    }
    out
}

/// "Kay": an upper-case ASCII letter, then lower-case ones.
fn capitalised(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && word.len() >= 2
        && chars.all(|c| c.is_ascii_lowercase())
}

fn is_given(word: &str) -> bool {
    capitalised(word) && listed(&GIVEN, word)
}

/// A surname, or a double-barrelled one whose every part is one.
fn is_surname(word: &str) -> bool {
    word.split('-')
        .all(|part| capitalised(part) && listed(&SURNAMES, part))
}

fn listed(list: &[&str], word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    !is_common(&lower) && list.binary_search(&lower.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        full_names(text).iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn bare_full_names_are_found() {
        assert_eq!(names("Thanks,\nKay Mann"), ["Kay Mann"]);
        assert_eq!(
            names("Dear Larry Lewis, please ask (Ed Wong) and Steve Van Hooser."),
            ["Larry Lewis", "Ed Wong", "Steve Van Hooser"]
        );
        assert_eq!(names("cc: Ann Smith-Jones; Bob"), ["Ann Smith-Jones"]);
    }

    #[test]
    fn everyday_words_case_and_longer_tokens_are_not_names() {
        for text in [
            "In London we met.",     // "In" is no given name
            "the Rose Garden",       // "garden" too
            "kay mann wrote",        // not capitalised
            "KAY MANN wrote",        // all capitals: the model's remit
            "kay.mann@example.com",  // an address
            "Kay, Mann and Lewis",   // a comma between
            "Kay\nMann",             // a line between
            "Will Power is a film.", // "power" is an everyday word
            "Zoë Mann",              // not ASCII: the list has no such given name
        ] {
            assert_eq!(names(text), Vec::<&str>::new(), "{text:?}");
        }
    }
}
