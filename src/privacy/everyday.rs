//! Everyday words the tagger mistakes for names, places or organisations: "Translate to
//! French", "Compare Java and Go", "Sunny weather", "Explain ownership and borrowing",
//! "They've asked me". The shipped model saw only template sentences and tags such words;
//! masking them changes what the cloud is asked. These checks run on every tagger span and
//! drop the ones that are plainly ordinary language, and the masker skips such words when
//! it masks further occurrences of a found value. Pure logic, no model.
//!
//! The checks never drop a word that is also a name: the common-word list
//! (`models/tagger/common_words.txt`, from SCOWL) holds only words that English word lists
//! write in lower case alone, so "Mark", "Will", "Grace" or "Smith" are not in it.

use std::sync::LazyLock;

use crate::privacy::EntityType;

/// Lower-case English words that are never a name, sorted (binary search).
static COMMON: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words: Vec<&str> = include_str!("../../models/tagger/common_words.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    words.sort_unstable();
    words
});

/// Capitalised words that name a language, a nationality, a programming language, a unit or
/// a rank, never a person, place or company on their own. Languages that are also common
/// given names (Julia, Ruby) are deliberately absent: "ask Julia" must stay masked.
#[rustfmt::skip]
const TERMS: &[&str] = &[
    // Languages and nationalities.
    "afrikaans", "albanian", "american", "amharic", "arabic", "armenian", "australian",
    "austrian", "basque", "belarusian", "belgian", "bengali", "bosnian", "brazilian",
    "british", "bulgarian", "burmese", "cantonese", "catalan", "canadian", "chinese",
    "croatian", "czech", "danish", "dutch", "english", "estonian", "european", "farsi",
    "filipino", "finnish", "flemish", "french", "gaelic", "georgian", "german", "greek",
    "gujarati", "hebrew", "hindi", "hungarian", "icelandic", "indian", "indonesian", "irish",
    "italian", "japanese", "kannada", "kazakh", "korean", "kurdish", "latin", "latvian",
    "lithuanian", "macedonian", "malay", "malayalam", "maltese", "mandarin", "marathi",
    "mexican", "mongolian", "nepali", "norwegian", "pashto", "persian", "polish", "portuguese",
    "punjabi", "romanian", "russian", "sanskrit", "scottish", "serbian", "sinhala", "slovak",
    "slovenian", "somali", "spanish", "swahili", "swedish", "swiss", "tagalog", "tamil",
    "telugu", "thai", "tibetan", "turkish", "ukrainian", "urdu", "uzbek", "vietnamese",
    "welsh", "yiddish", "yoruba", "zulu",
    // The same in their own languages, as prompts write them ("auf Deutsch", "in het Engels").
    "deutsch", "englisch", "französisch", "spanisch", "italienisch", "engels", "frans",
    "duits", "anglais", "allemand", "espagnol", "italien", "inglés", "francés", "alemán",
    "español", "inglese", "francese", "tedesco", "italiano", "angielski", "niemiecki",
    // Programming languages, runtimes and tools.
    "go", "golang", "rust", "java", "javascript", "typescript", "python", "kotlin", "swift",
    "scala", "haskell", "perl", "php", "dart", "elixir", "erlang", "clojure", "lua", "zig",
    "nim", "ocaml", "fortran", "cobol", "lisp", "scheme", "prolog", "matlab", "bash",
    "powershell", "sql", "postgresql", "mysql", "sqlite", "node", "deno", "react", "vue",
    "angular", "svelte", "django", "flask", "rails", "spring", "docker", "kubernetes", "linux",
    "git", "numpy", "pandas", "pytorch", "tensorflow", "webassembly", "wasm", "c", "c++", "c#",
    "f#", "objective-c", "assembly", "verilog", "vhdl", "solidity", "send", "sync", "serde",
    "tokio", "async", "await", "const", "var", "enum", "struct", "impl", "fn", "def", "int",
    "bool", "str", "vec", "dict", "tuple", "null", "nil",
    // Units and scales.
    "celsius", "fahrenheit",
    // Ranks in job titles ("Senior Software Engineer").
    "senior", "junior",
];

/// Pronouns, determiners, conjunctions and their contractions: never an entity, and never
/// the first or last word of one ("Maria. And Gonzalez" is two things, neither "And").
#[rustfmt::skip]
const FUNCTION_WORDS: &[&str] = &[
    "i", "me", "my", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers",
    "it", "its", "we", "us", "our", "ours", "they", "them", "their", "theirs", "this", "that",
    "these", "those", "who", "whom", "whose", "which", "what", "the", "a", "an", "and", "or",
    "but", "nor", "so", "yet", "then", "to", "of", "in", "on", "at", "for", "from", "with",
    "by", "as", "if", "yes", "no", "ok", "okay", "hi", "hello", "hey", "dear", "thanks",
    "please", "i'm", "i've", "i'll", "i'd", "you're", "you've", "you'll", "you'd", "he's",
    "he'll", "he'd", "she's", "she'll", "she'd", "it's", "it'll", "we're", "we've", "we'll",
    "we'd", "they're", "they've", "they'll", "they'd", "that's", "there's", "here's", "what's",
    "who's", "let's", "don't", "doesn't", "didn't", "can't", "won't", "isn't", "aren't",
    "wasn't", "weren't",
];

/// Words that make an address an address: a span without one, a capital or a digit-led
/// house number is ordinary text ("radius 4").
#[rustfmt::skip]
const STREET_WORDS: &[&str] = &[
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "way",
    "boulevard", "blvd", "court", "ct", "place", "pl", "square", "sq", "terrace", "close",
    "highway", "hwy", "parkway", "suite", "apt", "floor", "straße", "strasse", "str", "weg",
    "gasse", "platz", "rue", "avenida", "calle", "via", "viale", "piazza", "ulica", "laan",
    "straat", "plein", "po", "box",
];

/// Nouns that follow a person's name when the name is a theorem or a technique
/// ("Bayes' theorem", "the Pomodoro technique"): the phrase is a concept, not a person.
#[rustfmt::skip]
const EPONYM_NOUNS: &[&str] = &[
    "theorem", "technique", "conjecture", "paradox", "algorithm", "equation", "inequality",
    "lemma", "constant", "hypothesis",
];

/// True when the tagger span `text[start..end]` of `kind` is ordinary language, not a
/// value to mask.
pub fn is_everyday(text: &str, start: usize, end: usize, kind: EntityType) -> bool {
    let span = &text[start..end];
    let words: Vec<String> = span.split_whitespace().map(bare).collect();
    if !words
        .iter()
        .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
    {
        // "x", "7", "5, 3, 9, 1": no word to be a name. A postal code alone ("64677") is
        // part of an address: it has four digits or more.
        let postal = span
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| run.len() >= 4);
        return !(kind == EntityType::Address && postal);
    }
    if kind == EntityType::Address {
        let lower = !span.chars().any(char::is_uppercase);
        let street = words.iter().any(|w| STREET_WORDS.contains(&w.as_str()));
        return lower && !street && words.iter().all(|w| common_or_number(w));
    }
    if words
        .iter()
        .all(|w| TERMS.contains(&w.as_str()) || FUNCTION_WORDS.contains(&w.as_str()))
    {
        return true;
    }
    // One case throughout ("ownership", "no equipment", "CALORIES"): capitals say nothing
    // here, so a span of common words is ordinary text. Names are never in the list.
    let one_case = !span.chars().any(char::is_uppercase) || !span.chars().any(char::is_lowercase);
    if one_case && words.iter().all(|w| common_or_number(w)) {
        return true;
    }
    let one_word = words.len() == 1;
    if one_word && opens_sentence(text, start) && is_common(&words[0]) {
        return true; // "Sunny weather…", "Brainstorm names…", "Answer only…"
    }
    eponym(text, end)
}

/// A word lower-cased, without surrounding punctuation or a possessive.
fn bare(word: &str) -> String {
    let w = word
        .trim_matches(|c: char| {
            !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '#' || c == '+')
        })
        .replace('’', "'")
        .to_lowercase();
    let w = w.strip_suffix("'s").unwrap_or(&w);
    w.trim_end_matches('\'').to_string()
}

/// Whether `word` (lower case) is a pronoun, determiner, conjunction or contraction.
pub fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.contains(&word)
}

/// Whether `word` (lower case) is a function word or an everyday word that is never a name.
pub fn is_common(word: &str) -> bool {
    FUNCTION_WORDS.contains(&word) || COMMON.binary_search(&word).is_ok()
}

fn common_or_number(word: &str) -> bool {
    is_common(word) || word.chars().all(|c| c.is_ascii_digit())
}

/// Whether `start` is where a text or a sentence begins.
fn opens_sentence(text: &str, start: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\t', '"', '\'', '(', '*', '“']);
    before.is_empty() || before.ends_with(['.', '!', '?', '\n', ':', ';'])
}

fn eponym(text: &str, end: usize) -> bool {
    let rest = text[end..]
        .trim_start_matches(['\'', '’'])
        .trim_start_matches('s')
        .trim_start();
    rest.split_whitespace()
        .next()
        .map(bare)
        .is_some_and(|w| EPONYM_NOUNS.contains(&w.as_str()))
}

/// Cuts a tagger span where a sentence ends inside it and trims function words from the
/// ends of each piece: "Maria. And Gonzalez" is "Maria" and "Gonzalez".
pub fn split_and_trim(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let span = &text[start..end];
    let mut pieces = Vec::new();
    let mut from = 0;
    let bytes = span.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ends_sentence = matches!(b, b'.' | b'!' | b'?' | b';')
            && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace())
            && !(b == b'.' && abbreviation(&span[from..i]));
        if ends_sentence || b == b'\n' {
            pieces.push((start + from, start + i));
            from = i + 1;
        }
    }
    pieces.push((start + from, end));
    pieces
        .into_iter()
        .filter_map(|(s, e)| trim_function_words(text, s, e))
        .collect()
}

/// Whether the text before a full stop ends in an initial or a title ("J.", "Dr.", "St."),
/// whose stop ends no sentence.
fn abbreviation(before: &str) -> bool {
    #[rustfmt::skip]
    const TITLES: &[&str] = &[
        "dr", "mr", "mrs", "ms", "mx", "prof", "st", "jr", "sr", "rev", "hon",
    ];
    let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    word.chars().count() == 1 || TITLES.contains(&word.to_lowercase().as_str())
}

fn trim_function_words(text: &str, mut start: usize, mut end: usize) -> Option<(usize, usize)> {
    loop {
        let piece = &text[start..end];
        let trimmed = piece.trim();
        if trimmed.is_empty() {
            // Only whitespace between two cuts (". . ." inside a span).
            return None;
        }
        start += piece.len() - piece.trim_start().len();
        end = start + trimmed.len();
        let piece = &text[start..end];
        let (first, last) = match (
            piece.find(char::is_whitespace),
            piece.rfind(char::is_whitespace),
        ) {
            (Some(f), Some(l)) => (f, l),
            _ => break, // one word: it stands or falls as a whole
        };
        if FUNCTION_WORDS.contains(&bare(&piece[..first]).as_str()) {
            start += first;
        } else if FUNCTION_WORDS.contains(&bare(&piece[last..]).as_str()) {
            end = start + last;
        } else {
            break;
        }
    }
    let piece = text[start..end].trim_end_matches([',', ';', ':', '.', '!', '?']);
    (!piece.is_empty()).then_some((start, start + piece.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityType::*;

    fn everyday_word(text: &str, word: &str, kind: EntityType) -> bool {
        let start = text.find(word).expect("word in text");
        is_everyday(text, start, start + word.len(), kind)
    }

    #[test]
    fn languages_and_programming_languages_are_not_entities() {
        assert!(everyday_word("Translate to French: hi", "French", Person));
        assert!(everyday_word("Compare Java and Go", "Go", Location));
        assert!(everyday_word("Is Rust faster?", "Rust", Location));
        assert!(everyday_word(
            "Hoe zeg je dat in het Engels?",
            "Engels",
            Location
        ));
        assert!(
            !everyday_word("Plot it in Julia", "Julia", Person),
            "a language that is also a given name stays masked"
        );
    }

    #[test]
    fn lower_case_everyday_words_are_not_entities() {
        assert!(everyday_word(
            "Explain ownership and borrowing",
            "ownership",
            Person
        ));
        assert!(everyday_word(
            "a workout with no equipment",
            "no equipment",
            Organization
        ));
        assert!(everyday_word("a circle with radius 4", "radius 4", Address));
        assert!(everyday_word("Sort: 5, 3, 9, 1", "5, 3, 9, 1", Address));
        assert!(
            !everyday_word("Uruguay 64677", "64677", Address),
            "a postal code"
        );
        assert!(everyday_word("Count the CALORIES", "CALORIES", Location));
        assert!(
            !everyday_word("i met mark yesterday", "mark", Person),
            "also a name"
        );
        assert!(!everyday_word("CALL JOHN NOW", "JOHN", Person));
        assert!(!everyday_word(
            "ship to 12 main street",
            "12 main street",
            Address
        ));
        assert!(!everyday_word(
            "talk to anna kowalska",
            "anna kowalska",
            Person
        ));
    }

    #[test]
    fn sentence_initial_words_are_not_names_unless_they_are_names_too() {
        assert!(everyday_word("Sunny weather is forecast", "Sunny", Person));
        assert!(everyday_word(
            "Brainstorm names for a shop",
            "Brainstorm",
            Person
        ));
        assert!(everyday_word(
            "Thanks. Answer only yes or no.",
            "Answer",
            Person
        ));
        assert!(everyday_word("They've asked me", "They've", Person));
        assert!(!everyday_word("Grace called today", "Grace", Person));
        assert!(!everyday_word("Mark said so", "Mark", Person));
        assert!(
            !everyday_word("Ask Sunny about it", "Sunny", Person),
            "mid-sentence"
        );
    }

    #[test]
    fn eponyms_are_concepts() {
        assert!(everyday_word(
            "Explain Bayes' theorem simply",
            "Bayes",
            Person
        ));
        assert!(everyday_word("the Pomodoro technique", "Pomodoro", Person));
        assert!(!everyday_word("John's test results", "John", Person));
    }

    /// The pieces `split_and_trim` makes of `text` from the start of `from` to the start of
    /// `to` (or the end).
    fn pieces<'a>(text: &'a str, from: &str, to: Option<&str>) -> Vec<&'a str> {
        let start = text.find(from).unwrap();
        let end = to.map_or(text.len(), |t| text.find(t).unwrap());
        split_and_trim(text, start, end)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn spans_split_at_sentence_ends_and_lose_edge_function_words() {
        let text = "Yes, Maria. And Gonzalez is her surname.";
        assert_eq!(pieces(text, "Maria", Some(" is")), ["Maria", "Gonzalez"]);
        assert_eq!(pieces("Ada Lovelace and", "Ada", None), ["Ada Lovelace"]);
        for text in ["Dr. Ada King", "J. R. R. Tolkien"] {
            assert_eq!(pieces(text, text, None), [text]);
        }
    }

    #[test]
    fn a_span_over_an_ellipsis_of_spaced_stops_is_cut_without_panicking() {
        // Found in the English Web Treebank: the tagger's span ran over ". . ." and the
        // whitespace between two cuts was trimmed past itself.
        let text = "Bolivar, etc. . . Garibaldi 's is";
        assert_eq!(pieces(text, "etc", Some(" 's")), ["etc", "Garibaldi"]);
    }
}
