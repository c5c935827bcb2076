//! What of a drafted text may be shown, and when drafting stops: pure logic, no model.
//!
//! An opener is shown word by word, and only whole words: a word counts once the text after
//! it has begun (whitespace), so the client never sees half a word that a later token would
//! have finished differently. Drafting stops after `max_words` words, after the first
//! sentence, or at the first line break (a list or a heading is starting). A word that is a
//! list marker or code is never shown: drafting stops before it.

use serde::Serialize;

/// Why drafting stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// `max_words` whole words were written.
    Words,
    /// The first sentence ended.
    Sentence,
    /// A line break: the reply goes on with a list, a heading or a new paragraph.
    Line,
    /// The model ended its reply.
    Eos,
    /// The next token was less likely than `stop_threshold`.
    Unsure,
    /// `max_new_tokens` were generated.
    Tokens,
    /// The first tokens were unconfident: nothing was drafted.
    Unconfident,
    /// Whoever wanted the opener stopped listening.
    Cancelled,
    /// Every draft session was busy: the draft stepped aside without running.
    Busy,
    /// The next word was a list marker or code, which an opener never shows.
    Format,
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: [&str; 12] = [
    "e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "st.", "no.", "approx.", "u.s.",
];

/// How much of `text` (the drafted reply so far, leading whitespace removed) can be shown,
/// as a byte length ending on a whole word, and whether drafting should stop there.
pub fn visible(text: &str, max_words: usize) -> (usize, Option<Stop>) {
    let mut end = 0;
    let mut words = 0;
    let mut word_start = None;
    for (i, c) in text.char_indices() {
        if !c.is_whitespace() {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            // Where a list or code may begin: a line's start, or right after a colon.
            let line_start = text[..start].trim_end_matches([' ', '\t']);
            let line_start = line_start.is_empty() || line_start.ends_with(['\n', ':']);
            if is_format(&text[start..i], line_start) {
                return (end, Some(Stop::Format));
            }
            words += 1;
            end = i;
            if ends_sentence(&text[start..i]) {
                return (end, Some(Stop::Sentence));
            }
            if words >= max_words {
                return (end, Some(Stop::Words));
            }
        }
        if c == '\n' && words > 0 {
            return (end, Some(Stop::Line));
        }
    }
    (end, None)
}

/// The length of `text` once its last word is known to be whole (the model ended, or its
/// next token began a new word), capped by the same stops as [`visible`].
pub fn visible_final(text: &str, max_words: usize) -> usize {
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || c == '\u{FFFD}');
    let mut closed = String::with_capacity(trimmed.len() + 1);
    closed.push_str(trimmed);
    closed.push(' ');
    visible(&closed, max_words).0
}

fn ends_sentence(word: &str) -> bool {
    let last = word.chars().last();
    if !matches!(last, Some('.' | '!' | '?')) {
        return false;
    }
    let lower = word.to_lowercase();
    let lower = lower.trim_start_matches(|c: char| !c.is_alphanumeric());
    !ABBREVIATIONS.contains(&lower)
        // "3." in "3. Mix the flour" is a list number, "a.m." an abbreviation.
        && !word[..word.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !word[..word.len() - 1].contains('.')
}

/// Whether `word` is a list marker or a code keyword at the start of a line or after a colon
/// ("1.", "2)", "-", "*", "•", "def", "import"), or markup or code anywhere ("# Title", "`x`",
/// "{", "a=b", "f(x)"): the start of a list, a heading or a code block, not prose an opener
/// may show.
fn is_format(word: &str, line_start: bool) -> bool {
    #[rustfmt::skip]
    const KEYWORDS: &[&str] = &[
        "def", "fn", "func", "function", "class", "import", "from", "#include", "package",
        "const", "let", "var", "public", "private", "select", "<?php", "<html>", "<!doctype",
    ];
    let digits = word.trim_end_matches(['.', ')', ':']);
    let numbered = word.len() > digits.len()
        && !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() && digits.len() == 1);
    // Markers and keywords open a list or a code line only at a line start: "comes from the"
    // and "a class of" are prose.
    let marker =
        numbered || matches!(word, "-" | "*" | "•" | "+" | "–" | "—") || KEYWORDS.contains(&word);
    (line_start && marker)
        || word.starts_with(['#', '`', '{', '}', '[', '<', '|', '>'])
        || word.contains(['`', '{', '}', '=', ';', '_'])
        || (word.contains('(') && !word.starts_with('('))
}

/// Number of words in `text`.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_words_are_visible() {
        assert_eq!(visible("The capi", 8), (3, None));
        assert_eq!(visible("The capital of", 8), (11, None));
        assert_eq!(visible("Hel", 8), (0, None));
    }

    #[test]
    fn stops_after_max_words() {
        let text = "one two three four five six";
        assert_eq!(visible(text, 4), (18, Some(Stop::Words)));
        assert_eq!(&text[..18], "one two three four");
        // The fourth word is not whole until something follows it.
        assert_eq!(visible("one two three four", 4), (13, None));
    }

    #[test]
    fn stops_at_the_first_sentence_end_but_not_at_abbreviations_or_numbers() {
        assert_eq!(visible("Sure! Here it is", 8), (5, Some(Stop::Sentence)));
        assert_eq!(visible("Use e.g. flour and", 8), (14, None));
        assert_eq!(visible("Step 3. Mix the", 8), (11, None));
        assert_eq!(visible("It is 3.5 kg", 8), (9, None));
        assert_eq!(visible("Why? Because", 8), (4, Some(Stop::Sentence)));
    }

    #[test]
    fn a_line_break_ends_the_opener() {
        assert_eq!(
            visible("Here are the steps:\n1. Preheat", 8),
            (19, Some(Stop::Line))
        );
        // A leading blank line is not a stop: no word yet.
        assert_eq!(visible("\nHello there", 8), (6, None));
    }

    #[test]
    fn list_markers_and_code_are_never_shown() {
        for text in [
            "1. Preheat the oven",
            "2) Mix",
            "- Flour and",
            "* Eggs ",
            "# Recipe ",
            "```python\ndef",
            "def add(a, b):",
            "`x` is",
            "a. Yes ",
        ] {
            assert_eq!(visible(text, 8), (0, Some(Stop::Format)), "{text}");
        }
        assert_eq!(
            visible("Here is the code: def add", 8),
            (17, Some(Stop::Format))
        );
        assert_eq!(visible("It costs 3.5 dollars (about", 8), (20, None));
        // A dash inside a line, a year and keywords inside a sentence are prose.
        assert_eq!(visible("Sure - it opened in 2019. ", 8), (25, None));
        assert_eq!(visible("It comes from a class of ", 8), (24, None));
        assert_eq!(visible("It costs $5 a month ", 8), (19, None));
        assert_eq!(visible("Yes, it is. ", 8).1, Some(Stop::Sentence));
    }

    #[test]
    fn the_final_word_counts_once_the_model_has_ended() {
        assert_eq!(visible_final("The answer is 42", 8), 16);
        assert_eq!(visible_final("Paris is the capital.  ", 8), 21);
        assert_eq!(visible_final("one two three four five", 3), 13);
        assert_eq!(visible_final("caf\u{FFFD}", 8), 3);
    }
}
