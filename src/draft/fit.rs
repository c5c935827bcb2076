//! Which prompts an opener fits: pure logic, no model.
//!
//! A drafted opener is the reply's first words, written before the cloud has read the
//! request. It must never be wrong in kind, so the draft stays out of the way when:
//! - the prompt constrains the form of the answer ("Answer only yes or no", "Return only the
//!   code", "in one word", "as JSON", "Translate …"), asks for another language ("Answer in
//!   German"), fixes the start ("Start your answer with 'Sure'") or asks for code, a list or
//!   a table first: the right reply has no opening words to draft, and "Sure, here is" would
//!   break it ([`constrains_form`]);
//! - the prompt is not in English, the only language the shipped model writes
//!   ([`looks_english`]).
//!
//! Both are small, readable rules; `tests/draft_gate.rs` measures them on prompts written
//! for that purpose and on the held-out draft prompts.

use std::sync::LazyLock;

use regex::Regex;

/// Phrases that fix the shape of the answer.
static FORM: LazyLock<Regex> = LazyLock::new(|| {
    let patterns = [
        // "Answer only …", "Reply with just …", "Return only the code", "Output only …"
        r"\b(answer|reply|respond|return|output|print|give|write|say|provide)\b[^.?!\n]{0,40}\b(only|just)\b",
        r"\bonly\s+(with\s+)?(the\s+)?(yes|no|true|false|a\s+number|the\s+number|one\s+word|a\s+single|code|json|the\s+code|the\s+answer|the\s+name|the\s+result|the\s+(final\s+)?(value|number|word|letter|option))\b",
        r"\b(just|only)\s+(answer|reply|respond|return|output|give|say|write|print)\b",
        r"\b(yes\s+or\s+no|true\s+or\s+false)\b",
        r"\bwith\s+(one|a\s+single)\s+(word|number|letter|emoji)\b",
        r"\b(convert|turn)\s+((this|it|the\s+following)\s+)?(to|into)\s+(json|yaml|xml|csv|toml)\b",
        r"\bin\s+(one|a\s+single|two|three|four|five|\d+)\s+(word|words|sentence|sentences|line|lines|characters?|letters?|emojis?)\b",
        r"\b(one|single)[-\s]word\s+(answer|reply|response)\b",
        r"\b(exactly|at\s+most|no\s+more\s+than|fewer\s+than|less\s+than|under|max(imum)?)\s+\d+\s+(words|characters|sentences|lines|items|bullets?|tokens)\b",
        r"\b(no|without(\s+any)?)\s+(explanation|explanations|preamble|commentary|introduction|extra\s+text|other\s+text|markdown|formatting)\b",
        r"\b(do\s+not|don't|dont)\s+(explain|add|include|say|write)\b",
        r"\b(as|in|into)\s+(valid\s+)?(json|yaml|xml|csv|toml|a\s+json|a\s+table|a\s+markdown\s+table|a\s+code\s+block)\b",
        r"\bjson\s+(object|array|format|only)\b",
        r"\b(format|formatted)\s+(it\s+)?(as|like)\b",
        r"\b(translate|rewrite|rephrase|paraphrase|proofread|transliterate)\b",
        r"\bcorrect\s+the\s+(grammar|spelling)\b",
        r"\b(respond|reply|answer)\s+(in|with)\s+(the\s+)?(format|following\s+format|a\s+number|a\s+letter|a\s+word|one\s+of)\b",
        r"\b(choose|pick|select)\s+(one|the\s+correct|the\s+right|an?\s+option)\b",
        // Another language: "Answer in German", "… in French please."
        r"\b(answer|reply|respond|response|write|explain|speak|say|tell)\b[^.?!\n]{0,40}\bin\s+(LANGS)\b",
        r"\bin\s+(LANGS)(\s+(please|only))?\s*[.!?]?\s*$",
        // A fixed start: "Start your answer with 'Sure'", "begin with the words …"
        r"\b(start|begin)\s+(your|the|each)\s+(answer|reply|response|message|output|text)\s+with\b",
        r"\b(start|begin)\s+with\s+(the\s+(word|words|phrase|sentence)\s+)?[\x22'\u{201C}\u{2018}\u{AB}]",
        // Code first: "Write a Python function …", "Give me the SQL query", "write code to …"
        r"\b(write|give|create|implement|generate|show|provide|make|code)\s+(me\s+)?(a|an|the|some)\s+([\w+#.-]+\s+){0,2}(function|script|program|class|method|snippet|regex|regular\s+expression|query|code)\b",
        r"\b(write|give|show)\s+(me\s+)?(the\s+)?code\b",
        // A list or a table first: "List five …", "Give me a list of …", "in bullet points"
        r"^\s*(please\s+)?(list|enumerate|tabulate)\b",
        r"\b(give|make|create|write|provide|generate|compile|produce)\s+(me\s+)?(a|an)\s+([\w-]+\s+){0,2}(list|table|checklist)\b",
        r"\b(bullet(ed)?\s+(points?|list)|numbered\s+list|(as|in)\s+a\s+(list|table))\b",
    ];
    let langs = "german|french|spanish|italian|portuguese|dutch|polish|turkish|russian|chinese|\
        mandarin|cantonese|japanese|korean|arabic|hindi|bengali|urdu|persian|farsi|swedish|\
        danish|norwegian|finnish|greek|hebrew|ukrainian|czech|slovak|hungarian|romanian|\
        vietnamese|thai|indonesian|malay|tagalog|swahili|latin|esperanto";
    let patterns: Vec<String> = patterns.iter().map(|p| p.replace("LANGS", langs)).collect();
    Regex::new(&format!("(?i)(?:{})", patterns.join("|"))).expect("form patterns compile")
});

/// True when an opener fits `prompt` at all: English, and the form of the answer left free.
pub fn fits(prompt: &str) -> bool {
    looks_english(prompt) && !constrains_form(prompt)
}

/// True when `prompt` constrains the form of the answer.
pub fn constrains_form(prompt: &str) -> bool {
    FORM.is_match(prompt)
}

/// Frequent function words, one list per language, that rarely occur in the others.
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "the", "and", "is", "are", "was", "were", "of", "to", "in", "what", "how", "why", "who",
    "which", "with", "for", "on", "that", "this", "it", "you", "your", "me", "my", "i", "can",
    "do", "does", "a", "an", "be", "should", "would", "could", "from", "about", "please",
    "write", "tell", "give", "when", "where", "there", "have", "has", "some", "best",
    "between",
];
#[rustfmt::skip]
const OTHERS: &[&[&str]] = &[
    // German
    &[
        "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "ich", "wie", "was", "mit",
        "für", "auf", "sie", "es", "zu", "den", "dem", "des", "bitte", "warum", "wer", "mir",
        "mein", "kann", "sind", "auch", "oder", "ob", "über", "schreibe", "erkläre", "gibt",
    ],
    // French
    &[
        "le", "la", "les", "et", "est", "une", "des", "du", "je", "tu", "vous", "nous", "que",
        "qui", "quoi", "comment", "pourquoi", "pour", "avec", "dans", "sur", "pas", "ce",
        "cette", "mon", "ma", "mes", "quelle", "quel", "écris", "explique", "peux", "moi",
        "au", "aux",
    ],
    // Spanish
    &[
        "el", "los", "las", "y", "es", "una", "del", "por", "para", "con", "qué", "cómo",
        "por", "porque", "cuál", "cuáles", "yo", "tú", "usted", "mi", "pero", "muy", "está",
        "son", "escribe", "explica", "puedes", "hola", "gracias", "dónde", "cuando", "se",
        "lo",
    ],
    // Italian
    &[
        "il", "lo", "gli", "e", "è", "di", "che", "un", "una", "per", "con", "non", "sono",
        "come", "perché", "cosa", "quale", "mi", "io", "tu", "della", "nel", "alla", "scrivi",
        "spiega", "puoi", "ciao", "grazie", "dove", "quando", "si",
    ],
    // Dutch
    &[
        "de", "het", "een", "en", "is", "van", "ik", "je", "jij", "niet", "wat", "hoe",
        "waarom", "met", "voor", "op", "zijn", "dat", "dit", "mijn", "kun", "kan", "schrijf",
        "leg", "uit", "zeg", "wel", "ook", "naar",
    ],
    // Portuguese
    &[
        "o", "os", "as", "e", "é", "um", "uma", "do", "da", "dos", "das", "não", "que", "com",
        "para", "por", "como", "eu", "você", "meu", "minha", "está", "são", "escreva",
        "explique", "pode", "obrigado", "onde", "quando",
    ],
    // Polish
    &[
        "i", "w", "z", "na", "nie", "jest", "to", "się", "co", "jak", "dlaczego", "czy", "ja",
        "ty", "mój", "moja", "dla", "po", "od", "przez", "napisz", "wyjaśnij", "proszę",
        "dziękuję", "gdzie", "kiedy", "jaki", "jaka",
    ],
    // Turkish
    &[
        "ve", "bir", "bu", "ne", "nasıl", "neden", "için", "ile", "mi", "mı", "da", "de",
        "ben", "sen", "benim", "lütfen", "nedir", "var", "yok", "olarak", "yaz", "açıkla",
    ],
];

/// True when `prompt` reads as English: more English function words than those of any
/// other listed language, and (for prompts with none of either) no script or letters that
/// English does not use.
pub fn looks_english(prompt: &str) -> bool {
    let letters = prompt.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return false;
    }
    // Text in another script (Cyrillic, CJK, Arabic, …) is not English.
    let latin = prompt
        .chars()
        .filter(|c| c.is_alphabetic() && (c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(c)))
        .count();
    if latin * 10 < letters * 8 {
        return false;
    }
    let words: Vec<String> = prompt
        .split(|c: char| !(c.is_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    // A word shared by English and another list ("in", "is", "me") counts for neither.
    let shared = |w: &str| ENGLISH.contains(&w) && OTHERS.iter().any(|l| l.contains(&w));
    let count = |list: &[&str]| {
        words
            .iter()
            .filter(|w| list.contains(&w.as_str()) && !shared(w))
            .count()
    };
    let english = count(ENGLISH);
    let other = OTHERS.iter().map(|l| count(l)).max().unwrap_or(0);
    if english == 0 && other == 0 {
        // No function word at all ("Paul Newman films"): English unless it is written with
        // letters English does not use.
        let foreign = prompt
            .chars()
            .filter(|c| c.is_alphabetic() && !c.is_ascii())
            .count();
        return foreign * 20 <= letters;
    }
    english > other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_that_fix_the_answer_shape_are_constrained() {
        for p in [
            "Answer only yes or no: is water wet?",
            "Return only the Python code, no explanation.",
            "Reply in one word: what colour is grass?",
            "Give the answer as JSON with keys \"a\" and \"b\".",
            "Translate to French: good morning",
            "Summarise this in exactly 3 sentences.",
            "Is 7 prime? True or false.",
            "Don't explain, just give me the number.",
            "What is a black hole? Answer in German.",
            "Explain photosynthesis in French please",
            "Start your answer with 'Sure'. What is 2+2?",
            "Write a Python function that reverses a string.",
            "Give me a list of five fruits.",
            "List the planets of the solar system.",
            "Summarise the causes of the war in bullet points.",
        ] {
            assert!(constrains_form(p), "{p}");
        }
    }

    #[test]
    fn open_questions_are_not_constrained() {
        for p in [
            "What is the capital of Australia?",
            "How do I boil an egg?",
            "Explain how a hash map works.",
            "Write a short poem about the sea.",
            "Why is the sky blue?",
            "Give me three ideas for a birthday party.",
            "Is Brie popular in French cuisine?",
            "How do I start with Rust?",
            "What does a list comprehension do in Python?",
        ] {
            assert!(!constrains_form(p), "{p}");
        }
    }

    #[test]
    fn english_is_told_from_other_languages() {
        for p in [
            "What is the capital of Australia?",
            "How do I boil an egg?",
            "Paul Newman films",
            "Explain the café culture of Vienna.",
        ] {
            assert!(looks_english(p), "{p}");
        }
        for p in [
            "Wie koche ich ein Ei?",
            "Quelle est la capitale de l'Australie ?",
            "¿Cómo se dice gracias en francés?",
            "Come si dice buongiorno in inglese?",
            "Hoe zeg je dank je wel?",
            "Jak się masz?",
            "Как дела?",
            "東京の天気は？",
            "Größenvergleich Äpfel Birnen",
        ] {
            assert!(!looks_english(p), "{p}");
        }
    }
}
