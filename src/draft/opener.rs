//! What of a drafted text may be shown, and when drafting stops: pure logic, no model.
//!
//! An opener is shown word by word, and only whole words: a word counts once the text after
//! it has begun (whitespace), so the client never sees half a word that a later token would
//! have finished differently. Drafting stops after `max_words` words, after the first
//! sentence, or at the first line break (a list or a heading is starting). A word that is a
//! list marker or code is never shown: drafting stops before it.
//!
//! An opener never asserts what the user did not say: it stops before the first content word
//! the conversation does not hold ([`Grounding`]), so "The capital of Australia is Canberra."
//! shows "The capital of Australia is" and the cloud says the fact.

use std::collections::HashSet;

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
    /// The next word was a content word the conversation does not hold.
    Ungrounded,
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: [&str; 12] = [
    "e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "st.", "no.", "approx.", "u.s.",
];

/// Words an opener may show though the conversation does not hold them: function words and
/// acknowledgements, which assert nothing about the world. Quantifiers and judgements
/// ("most", "many", "best", "first", "yes", "no") are content: "The most" answers "How many
/// planets…" wrongly, "No," answers a question.
#[rustfmt::skip]
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "is", "are", "was", "were",
    "be", "been", "being", "am", "do", "does", "did", "has", "have", "had", "having", "will",
    "would", "shall", "should", "can", "could", "may", "might", "must", "of", "in", "on", "at",
    "to", "for", "from", "by", "with", "about", "as", "into", "onto", "over", "under",
    "between", "through", "during", "before", "after", "above", "below", "up", "down", "out",
    "off", "than", "then", "so", "and", "or", "but", "nor", "not", "if", "because", "while",
    "when", "where", "which", "who", "whom", "whose", "what", "why", "how", "there", "here",
    "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them", "my", "your",
    "his", "our", "their", "one", "some", "any", "all", "each", "every", "both", "either",
    "such", "own", "same", "very", "too", "also", "just", "only", "sure", "certainly",
    "absolutely", "okay", "ok", "let", "let's", "here's", "there's", "it's",
    "that's", "i'm", "i'd", "i'll", "you're", "we're", "they're", "don't", "doesn't", "isn't",
    "aren't", "can't", "won't", "dear", "hi", "hello", "hey", "thanks", "thank", "glad",
    "happy", "help",
];

/// The words of a conversation, folded to rough stems, against which an opener's words are
/// checked: a content word may be shown only when the conversation holds it (any form:
/// "planet" for "planets", "improve" for "improved"; numbers and names exactly).
pub struct Grounding {
    stems: Option<HashSet<String>>,
}

impl Grounding {
    /// The grounding of a conversation whose messages are `texts`.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Grounding {
        let stems = texts
            .into_iter()
            .flat_map(pieces)
            .map(|piece| stem(&piece))
            .collect();
        Grounding { stems: Some(stems) }
    }

    /// Holds every word: drafting without the grounding rule.
    pub fn anything() -> Grounding {
        Grounding { stems: None }
    }

    /// Whether `word` (as the model wrote it, punctuation included) asserts nothing the
    /// conversation does not say.
    pub fn holds(&self, word: &str) -> bool {
        let Some(stems) = &self.stems else {
            return true;
        };
        let lower = word.to_lowercase().replace('\u{2019}', "'");
        let core = lower.trim_matches(|c: char| !c.is_alphanumeric());
        FUNCTION_WORDS.contains(&core)
            || pieces(core)
                .all(|p| FUNCTION_WORDS.contains(&p.as_str()) || stems.contains(&stem(&p)))
    }
}

/// The alphanumeric runs of `text`, lower-cased, a possessive "'s" dropped.
fn pieces(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .map(|w| {
            let w = w.to_lowercase().replace('\u{2019}', "'");
            let w = w.trim_matches('\'');
            w.strip_suffix("'s").unwrap_or(w).to_owned()
        })
        .filter(|w| !w.is_empty())
}

/// A rough English stem: "planets" and "planet", "improved" and "improve", "recipes" and
/// "recipe" meet; numbers and short words stay as they are.
fn stem(word: &str) -> String {
    if word.chars().any(|c| c.is_ascii_digit()) || word.chars().count() <= 3 {
        return word.to_owned();
    }
    let mut w = word.to_owned();
    for (suffix, with) in [
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("ly", ""),
        ("s", ""),
    ] {
        if w.len() >= suffix.len() + 3
            && w.ends_with(suffix)
            && !(suffix == "s" && w.ends_with("ss"))
        {
            w.truncate(w.len() - suffix.len());
            w.push_str(with);
            break;
        }
    }
    if w.len() > 3 && w.ends_with('e') {
        w.pop();
    }
    w
}

/// How much of `text` (the drafted reply so far, leading whitespace removed) can be shown,
/// as a byte length ending on a whole word, and whether drafting should stop there.
pub fn visible(text: &str, max_words: usize, ground: &Grounding) -> (usize, Option<Stop>) {
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
            if !ground.holds(&text[start..i]) {
                return (end, Some(Stop::Ungrounded));
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
pub fn visible_final(text: &str, max_words: usize, ground: &Grounding) -> usize {
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || c == '\u{FFFD}');
    let mut closed = String::with_capacity(trimmed.len() + 1);
    closed.push_str(trimmed);
    closed.push(' ');
    visible(&closed, max_words, ground).0
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

/// Whether the opener `shown` (the whole words so far) may go out, given why drafting stops
/// there (`stop`, None while it goes on): once it has `min_words` words, or when it is a
/// complete unit however short (a sentence, a line such as "Dear Mom,", the whole reply).
/// Until then its words are held back; a fragment that stops short ("The", "The most") is
/// never shown, and the request goes out plain.
pub fn releasable(shown: &str, stop: Option<Stop>, min_words: usize) -> bool {
    word_count(shown) >= min_words
        || matches!(stop, Some(Stop::Sentence | Stop::Line | Stop::Eos)) && !shown.is_empty()
}

/// Number of words in `text`.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, max_words: usize) -> (usize, Option<Stop>) {
        visible(text, max_words, &Grounding::anything())
    }

    fn shown_final(text: &str, max_words: usize) -> usize {
        visible_final(text, max_words, &Grounding::anything())
    }

    /// What an opener drafted as `text` shows for a conversation of `prompt`.
    fn grounded(prompt: &str, text: &str) -> String {
        let ground = Grounding::new([prompt]);
        let end = visible_final(text, 12, &ground);
        text[..end].to_owned()
    }

    #[test]
    fn an_opener_stops_before_what_the_user_did_not_say() {
        let capital = "What is the capital of Australia?";
        assert_eq!(
            grounded(capital, "The capital of Australia is Canberra."),
            "The capital of Australia is"
        );
        // Forms of the prompt's words, numbers and names, exactly or by stem.
        assert_eq!(
            grounded(
                "How can I improve my sleep?",
                "Improving your sleep can be done"
            ),
            "Improving your sleep can be"
        );
        assert_eq!(
            grounded(
                "How many planets are in the solar system?",
                "There are 8 planets"
            ),
            "There are"
        );
        assert_eq!(
            grounded(
                "Tell me about Australia's cities",
                "Australia's largest city"
            ),
            "Australia's"
        );
        // Acknowledgements and function words are fine; judgements are not.
        assert_eq!(
            grounded("Write a letter to my mom", "Sure, here is a letter"),
            "Sure, here is a letter"
        );
        assert_eq!(
            grounded("Write a letter to my mom", "Dear Mom,"),
            "Dear Mom,"
        );
        assert_eq!(grounded("Is Paris bigger than London?", "No, Paris is"), "");
        assert_eq!(
            grounded("How many planets are in the solar system?", "The most"),
            "The"
        );
        assert_eq!(
            grounded("Give me 3 tips", "Here are 3 tips"),
            "Here are 3 tips"
        );
        assert_eq!(grounded("Give me 3 tips", "Here are 5 tips"), "Here are");
        // Words of other turns count too: the conversation, not only the last prompt.
        let ground = Grounding::new(["Who wrote Hamlet?", "And Macbeth?"]);
        assert!(
            ground.holds("Hamlet,") && ground.holds("Macbeth.") && !ground.holds("Shakespeare")
        );
    }

    #[test]
    fn only_whole_words_are_shown() {
        assert_eq!(shown("The capi", 8), (3, None));
        assert_eq!(shown("The capital of", 8), (11, None));
        assert_eq!(shown("Hel", 8), (0, None));
    }

    #[test]
    fn stops_after_max_words() {
        let text = "one two three four five six";
        assert_eq!(shown(text, 4), (18, Some(Stop::Words)));
        assert_eq!(&text[..18], "one two three four");
        // The fourth word is not whole until something follows it.
        assert_eq!(shown("one two three four", 4), (13, None));
    }

    #[test]
    fn stops_at_the_first_sentence_end_but_not_at_abbreviations_or_numbers() {
        assert_eq!(shown("Sure! Here it is", 8), (5, Some(Stop::Sentence)));
        assert_eq!(shown("Use e.g. flour and", 8), (14, None));
        assert_eq!(shown("Step 3. Mix the", 8), (11, None));
        assert_eq!(shown("It is 3.5 kg", 8), (9, None));
        assert_eq!(shown("Why? Because", 8), (4, Some(Stop::Sentence)));
    }

    #[test]
    fn a_line_break_ends_the_opener() {
        assert_eq!(
            shown("Here are the steps:\n1. Preheat", 8),
            (19, Some(Stop::Line))
        );
        // A leading blank line is not a stop: no word yet.
        assert_eq!(shown("\nHello there", 8), (6, None));
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
            assert_eq!(shown(text, 8), (0, Some(Stop::Format)), "{text}");
        }
        assert_eq!(
            shown("Here is the code: def add", 8),
            (17, Some(Stop::Format))
        );
        assert_eq!(shown("It costs 3.5 dollars (about", 8), (20, None));
        // A dash inside a line, a year and keywords inside a sentence are prose.
        assert_eq!(shown("Sure - it opened in 2019. ", 8), (25, None));
        assert_eq!(shown("It comes from a class of ", 8), (24, None));
        assert_eq!(shown("It costs $5 a month ", 8), (19, None));
        assert_eq!(shown("Yes, it is. ", 8).1, Some(Stop::Sentence));
    }

    #[test]
    fn a_fragment_shorter_than_min_words_is_held_and_never_shown() {
        assert!(!releasable("The", None, 3));
        assert!(!releasable("The most", Some(Stop::Ungrounded), 3));
        assert!(!releasable("The capital", Some(Stop::Unsure), 3));
        assert!(releasable("The capital of", None, 3));
        // Complete units may be short.
        assert!(releasable("Dear Mom,", Some(Stop::Line), 3));
        assert!(releasable("Sure!", Some(Stop::Sentence), 3));
        assert!(releasable("Yes", Some(Stop::Eos), 3));
        assert!(!releasable("", Some(Stop::Line), 3));
    }

    #[test]
    fn the_final_word_counts_once_the_model_has_ended() {
        assert_eq!(shown_final("The answer is 42", 8), 16);
        assert_eq!(shown_final("Paris is the capital.  ", 8), 21);
        assert_eq!(shown_final("one two three four five", 3), 13);
        assert_eq!(shown_final("caf\u{FFFD}", 8), 3);
    }
}
