//! The vault: placeholder ↔ original value, for the life of one request.
//!
//! Numbering (`[PERSON_1]`, `[PERSON_2]`, …) counts distinct values per type in order of
//! first appearance, so a client that resends the whole history gets the same placeholders
//! in every turn with no state kept between requests. Placeholder-like text that the client's
//! side wrote itself (a template with `[PERSON_1]` in it) is *reserved*: its numbers are
//! never handed out, so it survives a round trip. Placeholders in the model's own earlier
//! turns are not reserved: they are the cloud's names for this conversation's values, and
//! reserving them would move the real values to new numbers (one person seen as two).
//!
//! Unmasking is tolerant of what models write back: `[PERSON_1]`, `[person_1]`, `PERSON_1`,
//! `<PERSON_1>`, `{PERSON_1}`, `{{PERSON_1}}`, `[PERSON 1]`. A space between tag and number is
//! only accepted inside paired brackets, so ordinary prose such as "ID 3" is never touched.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::EntityType;

/// The core of every placeholder variant: a tag, `_` or a space, a number. Brackets around
/// it are checked by hand (see [`find_placeholders`]) because the regex crate has no
/// back-references to pair them.
static CORE: LazyLock<Regex> = LazyLock::new(|| {
    let tags: Vec<String> = EntityType::ALL
        .iter()
        .map(|t| t.as_str().replace('_', "[_ ]"))
        .collect();
    // Tags and digits are ASCII-only: Unicode case folding would let "ſECRET_1" (long s)
    // match a tag that `EntityType::parse` then does not know.
    Regex::new(&format!(
        r"(?i)\b((?-u:{}))([_ ])([0-9]{{1,{MAX_DIGITS}}})\b",
        tags.join("|")
    ))
    .unwrap()
});

/// Placeholder numbers have at most this many digits.
const MAX_DIGITS: usize = 6;

/// One placeholder-like occurrence in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Byte range to replace, brackets included when they are paired.
    pub start: usize,
    pub end: usize,
    pub kind: EntityType,
    pub n: u32,
}

/// The bracket pairs models wrap placeholders in, longest opener first.
const PAIRS: [(&str, &str); 4] = [("{{", "}}"), ("[", "]"), ("<", ">"), ("{", "}")];

/// Finds every placeholder variant in `text` at or after byte `from` (bytes before `from`
/// are context for word boundaries only).
pub fn find_placeholders(text: &str, from: usize) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let mut at = from;
    while let Some(caps) = CORE.captures_at(text, at) {
        let whole = caps.get(0).unwrap();
        at = whole.end();
        let tag = caps[1].replace(' ', "_");
        let Some(kind) = EntityType::parse(&tag) else {
            continue;
        };
        let spaced = caps[1].contains(' ') || &caps[2] == " ";
        let Ok(n) = caps[3].parse::<u32>() else {
            continue;
        };
        let (before, after) = (&text[from..whole.start()], &text[whole.end()..]);
        let pair = PAIRS
            .iter()
            .find(|(open, close)| before.ends_with(open) && after.starts_with(close));
        match pair {
            Some((open, close)) => found.push(Occurrence {
                start: whole.start() - open.len(),
                end: whole.end() + close.len(),
                kind,
                n,
            }),
            None if !spaced => found.push(Occurrence {
                start: whole.start(),
                end: whole.end(),
                kind,
                n,
            }),
            None => {}
        }
    }
    found
}

/// One value the request carried, and the placeholder that stands for it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: EntityType,
    pub n: u32,
    /// `[TYPE_N]`.
    pub placeholder: String,
    /// The original value, as first seen.
    pub value: String,
}

/// Placeholder ↔ value table of one request. Values are zeroed when it is dropped (each
/// clone's too).
#[derive(Debug, Default, Clone)]
pub struct Vault {
    entries: Vec<Entry>,
    by_value: HashMap<(EntityType, String), usize>,
    by_tag: HashMap<(EntityType, u32), usize>,
    reserved: HashSet<(EntityType, u32)>,
    next: HashMap<EntityType, u32>,
}

impl Vault {
    /// An empty vault.
    pub fn new() -> Vault {
        Vault::default()
    }

    /// Marks every placeholder-like token in `text` as taken, so that no value is given
    /// that tag and the client's own text comes back unchanged.
    pub fn reserve_existing(&mut self, text: &str) {
        for occ in find_placeholders(text, 0) {
            self.reserved.insert((occ.kind, occ.n));
        }
    }

    /// The placeholder for `value`, assigning the next free number on first sight.
    pub fn placeholder(&mut self, kind: EntityType, value: &str) -> &str {
        let key = (kind, normalise(kind, value));
        if let Some(&i) = self.by_value.get(&key) {
            return &self.entries[i].placeholder;
        }
        let next = self.next.entry(kind).or_insert(1);
        while self.reserved.contains(&(kind, *next)) {
            *next += 1;
        }
        let n = *next;
        *next += 1;
        let i = self.entries.len();
        self.entries.push(Entry {
            kind,
            n,
            placeholder: format!("[{}_{}]", kind.as_str(), n),
            value: value.to_string(),
        });
        self.by_value.insert(key, i);
        self.by_tag.insert((kind, n), i);
        &self.entries[i].placeholder
    }

    /// Every value assigned so far, in order of first appearance.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// True when nothing was masked (unmasking is then the identity).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The original value behind `kind`/`n`, if this request assigned it.
    pub fn lookup(&self, kind: EntityType, n: u32) -> Option<&str> {
        self.by_tag
            .get(&(kind, n))
            .map(|&i| self.entries[i].value.as_str())
    }

    /// The types present in the vault (the only tags worth waiting for in a stream).
    pub fn kinds(&self) -> Vec<EntityType> {
        let mut kinds: Vec<EntityType> = self.entries.iter().map(|e| e.kind).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// Replaces every placeholder of this vault in `text` by its value.
    pub fn unmask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.unmask_from(text, 0, false)
    }

    /// Like [`Vault::unmask`], for text that sits inside a JSON string literal (tool-call
    /// arguments): values are JSON-escaped as they are put back.
    pub fn unmask_json_fragment<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.unmask_from(text, 0, true)
    }

    /// Unmasks `text[from..]`, using `text[..from]` only as context for word boundaries.
    pub(crate) fn unmask_from<'a>(&self, text: &'a str, from: usize, json: bool) -> Cow<'a, str> {
        if self.entries.is_empty() {
            return Cow::Borrowed(&text[from..]);
        }
        let mut out = String::new();
        let mut last = from;
        for occ in find_placeholders(text, from) {
            let Some(value) = self.lookup(occ.kind, occ.n) else {
                continue;
            };
            out.push_str(&text[last..occ.start]);
            if json {
                let quoted = serde_json::to_string(value).expect("strings serialise");
                out.push_str(&quoted[1..quoted.len() - 1]);
            } else {
                out.push_str(value);
            }
            last = occ.end;
        }
        if last == from {
            return Cow::Borrowed(&text[from..]);
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        // Best effort: overwrite the originals before the allocator reuses the memory.
        for entry in &mut self.entries {
            wipe(&mut entry.value);
        }
        for ((_, mut key), _) in self.by_value.drain() {
            wipe(&mut key);
        }
    }
}

fn wipe(s: &mut String) {
    // SAFETY: zero bytes are valid UTF-8, so the string stays well-formed.
    unsafe { s.as_mut_vec().fill(0) };
}

/// The identity of a value, so that one value written two ways gets one placeholder: card,
/// phone and social security numbers are their digits ("4111 1111 1111 1111" is
/// "4111111111111111"), an IBAN its letters and digits in capitals, and names, places and
/// e-mail addresses fold case and inner spacing.
pub(crate) fn normalise(kind: EntityType, value: &str) -> String {
    let trimmed = value.trim();
    let kept = |keep: fn(&char) -> bool| -> String {
        trimmed
            .chars()
            .filter(keep)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    match kind {
        EntityType::CreditCard | EntityType::Phone | EntityType::UsSsn => {
            let digits = kept(char::is_ascii_digit);
            if !digits.is_empty() {
                return digits;
            }
        }
        EntityType::Iban => return kept(char::is_ascii_alphanumeric),
        _ => {}
    }
    if kind.folds_case() {
        trimmed
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    } else {
        trimmed.to_string()
    }
}

/// True when `tail` (which starts at an opener or at the start of a word) could still grow
/// into a placeholder of one of `kinds`: it is a proper prefix of some variant, or a complete
/// one that more digits or a closing bracket could change.
pub(crate) fn could_become_placeholder(tail: &str, kinds: &[EntityType]) -> bool {
    let b = tail.as_bytes();
    let mut i = 0;
    let mut opener = "";
    for (open, _) in PAIRS {
        if tail.starts_with(open) {
            opener = open;
            i = open.len();
            break;
        }
    }
    if i == b.len() {
        return true; // a lone opener, or "{" that may become "{{"
    }
    kinds
        .iter()
        .any(|kind| tag_could_continue(&b[i..], kind.as_str().as_bytes(), opener))
}

fn tag_could_continue(rest: &[u8], tag: &[u8], opener: &str) -> bool {
    let mut j = 0;
    // The tag itself; inside brackets its underscores may be spaces.
    for &t in tag {
        let Some(&c) = rest.get(j) else { return true };
        let ok = if t == b'_' {
            c == b'_' || (c == b' ' && !opener.is_empty())
        } else {
            c.eq_ignore_ascii_case(&t)
        };
        if !ok {
            return false;
        }
        j += 1;
    }
    // The separator.
    match rest.get(j) {
        None => return true,
        Some(b'_') => {}
        Some(b' ') if !opener.is_empty() => {}
        Some(_) => return false,
    }
    j += 1;
    // The number: while it ends the text, more digits may follow.
    let digits = rest[j..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > MAX_DIGITS {
        return false;
    }
    if j + digits == rest.len() {
        return true;
    }
    if digits == 0 {
        return false;
    }
    // After the number only a closing bracket can still be pending.
    let after = &rest[j + digits..];
    match opener {
        "{{" => after == b"}",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault_with(values: &[(EntityType, &str)]) -> Vault {
        let mut v = Vault::new();
        for (k, val) in values {
            v.placeholder(*k, val);
        }
        v
    }

    #[test]
    fn numbers_count_distinct_values_per_type_in_order() {
        let mut v = Vault::new();
        assert_eq!(
            v.placeholder(EntityType::Person, "Ada Lovelace"),
            "[PERSON_1]"
        );
        assert_eq!(v.placeholder(EntityType::Email, "a@b.io"), "[EMAIL_1]");
        assert_eq!(
            v.placeholder(EntityType::Person, "Alan Turing"),
            "[PERSON_2]"
        );
        assert_eq!(
            v.placeholder(EntityType::Person, "ada  LOVELACE "),
            "[PERSON_1]"
        );
    }

    #[test]
    fn one_number_written_two_ways_is_one_value() {
        let mut v = Vault::new();
        let card = v
            .placeholder(EntityType::CreditCard, "4111 1111 1111 1111")
            .to_string();
        assert_eq!(
            v.placeholder(EntityType::CreditCard, "4111-1111-1111-1111"),
            card
        );
        assert_eq!(
            v.placeholder(EntityType::CreditCard, "4111111111111111"),
            card
        );
        let phone = v
            .placeholder(EntityType::Phone, "+44 20 7946 0958")
            .to_string();
        assert_eq!(v.placeholder(EntityType::Phone, "+442079460958"), phone);
        let iban = v
            .placeholder(EntityType::Iban, "DE89 3704 0044 0532 0130 00")
            .to_string();
        assert_eq!(
            v.placeholder(EntityType::Iban, "de89370400440532013000"),
            iban
        );
        let email = v
            .placeholder(EntityType::Email, "Ada@Example.org")
            .to_string();
        assert_eq!(v.placeholder(EntityType::Email, "ada@example.org"), email);
        assert_eq!(v.entries().len(), 4);
        // The value that comes back is the one first written.
        assert_eq!(v.unmask(&card), "4111 1111 1111 1111");
    }

    #[test]
    fn secrets_are_case_sensitive() {
        let mut v = Vault::new();
        assert_eq!(v.placeholder(EntityType::Secret, "AbC"), "[SECRET_1]");
        assert_eq!(v.placeholder(EntityType::Secret, "abc"), "[SECRET_2]");
    }

    #[test]
    fn unmask_accepts_the_variants_models_write() {
        let v = vault_with(&[
            (EntityType::Person, "Ada"),
            (EntityType::CreditCard, "4111"),
        ]);
        for text in [
            "[PERSON_1]",
            "[person_1]",
            "PERSON_1",
            "<PERSON_1>",
            "{PERSON_1}",
            "{{PERSON_1}}",
            "[PERSON 1]",
        ] {
            assert_eq!(v.unmask(text), "Ada", "variant {text}");
        }
        assert_eq!(v.unmask("card [CREDIT CARD 1]."), "card 4111.");
        assert_eq!(v.unmask("card CREDIT_CARD_1."), "card 4111.");
    }

    #[test]
    fn spaced_variant_needs_brackets() {
        let v = vault_with(&[(EntityType::Id, "X-99")]);
        assert_eq!(v.unmask("step ID 1 of 3"), "step ID 1 of 3");
        assert_eq!(v.unmask("[ID 1]"), "X-99");
    }

    #[test]
    fn person_1_is_never_person_10() {
        let mut v = Vault::new();
        for i in 1..=10 {
            v.placeholder(EntityType::Person, &format!("Name{i}"));
        }
        assert_eq!(v.unmask("[PERSON_10] and [PERSON_1]"), "Name10 and Name1");
        assert_eq!(v.unmask("PERSON_10 PERSON_1"), "Name10 Name1");
    }

    #[test]
    fn unknown_placeholders_and_unpaired_brackets_stay() {
        let v = vault_with(&[(EntityType::Person, "Ada")]);
        assert_eq!(v.unmask("[PERSON_2] [EMAIL_1]"), "[PERSON_2] [EMAIL_1]");
        assert_eq!(v.unmask("[PERSON_1 and"), "[Ada and");
        assert_eq!(v.unmask("xPERSON_1 PERSON_1x"), "xPERSON_1 PERSON_1x");
    }

    #[test]
    fn existing_placeholder_text_is_reserved_and_survives() {
        let mut v = Vault::new();
        let user = "Replace [PERSON_1] in the template with Ada.";
        v.reserve_existing(user);
        assert_eq!(v.placeholder(EntityType::Person, "Ada"), "[PERSON_2]");
        assert_eq!(
            v.unmask("Replace [PERSON_1] with [PERSON_2]."),
            "Replace [PERSON_1] with Ada."
        );
    }

    #[test]
    fn unicode_case_folding_does_not_make_tags() {
        let v = vault_with(&[(EntityType::Secret, "s3cr3t")]);
        assert_eq!(
            v.unmask("\u{17f}ECRET_1 and SECRET_1"),
            "\u{17f}ECRET_1 and s3cr3t"
        );
        assert_eq!(v.unmask("SECRET_\u{661}"), "SECRET_\u{661}");
    }

    #[test]
    fn json_fragments_are_escaped() {
        let v = vault_with(&[(EntityType::Person, "Ann \"Q\" Lee")]);
        assert_eq!(
            v.unmask_json_fragment("{\"n\":\"[PERSON_1]\"}"),
            r#"{"n":"Ann \"Q\" Lee"}"#
        );
    }

    #[test]
    fn pending_tails() {
        let k = [EntityType::Person, EntityType::DateOfBirth];
        for tail in [
            "[",
            "{",
            "{{",
            "P",
            "[pers",
            "PERSON",
            "PERSON_",
            "PERSON_1",
            "[PERSON_12",
            "{{PERSON_1}",
            "[DATE OF",
            "[DATE OF BIRTH 3",
        ] {
            assert!(could_become_placeholder(tail, &k), "{tail}");
        }
        for tail in [
            "[PERSON_1]",
            "PERSON_1 ",
            "Q",
            "PERSONA",
            "PERSON 1",
            "DATE OF",
            "[EMAIL",
            "PERSON_1234567",
        ] {
            assert!(!could_become_placeholder(tail, &k), "{tail}");
        }
    }
}
