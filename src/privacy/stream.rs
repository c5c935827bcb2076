//! Unmasking streamed text: one [`StreamUnmasker`] per text stream (one choice's content,
//! one tool call's arguments).
//!
//! A fragment is released at once except for the longest tail that could still grow into a
//! placeholder of a type this request's vault holds, so the first token is only delayed
//! when it could be the start of a placeholder. Whatever the split of a text into
//! fragments, the concatenated output equals [`Vault::unmask`] of the whole text.
//!
//! Why that holds: text is released only up to a point that no placeholder match of the
//! whole text can straddle (every position where a match could begin — an opener or a word
//! start — and that could still become one is held), and the last released character is
//! kept as the word-boundary context of the next scan ([`Vault::unmask_from`]).

use std::sync::Arc;

use super::vault::could_become_placeholder;
use super::{EntityType, Vault};

/// How the streamed text is put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMode {
    /// Plain text (message content): values are inserted as they are.
    Plain,
    /// Text inside a JSON string literal (tool-call arguments, Anthropic `partial_json`):
    /// values are JSON-escaped as they are inserted.
    Json,
}

/// Unmasks one text that arrives in fragments.
pub struct StreamUnmasker {
    vault: Arc<Vault>,
    kinds: Vec<EntityType>,
    json: bool,
    /// `ADDRESS` is in the vault: `IP ADDRESS_1` must be held too (see [`shadows_address`]).
    address: bool,
    /// The last released character (word-boundary context) followed by the held text.
    buf: String,
    /// Byte length of the context character at the start of `buf` (0 before any release).
    ctx_len: usize,
}

impl std::fmt::Debug for StreamUnmasker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The held text may be about to become a value: show only its size.
        f.debug_struct("StreamUnmasker")
            .field("json", &self.json)
            .field("held_len", &(self.buf.len() - self.ctx_len))
            .finish()
    }
}

impl StreamUnmasker {
    /// An unmasker for one stream of text of the given mode.
    pub fn new(vault: Arc<Vault>, mode: TextMode) -> StreamUnmasker {
        let kinds = vault.kinds();
        StreamUnmasker {
            address: kinds.contains(&EntityType::Address),
            kinds,
            vault,
            json: mode == TextMode::Json,
            buf: String::new(),
            ctx_len: 0,
        }
    }

    /// Takes the next fragment; returns the unmasked text that can be released now.
    pub fn push(&mut self, fragment: &str) -> String {
        if self.vault.is_empty() {
            return fragment.to_owned();
        }
        self.buf.push_str(fragment);
        let end = self.hold_start();
        self.release(end)
    }

    /// The stream ended: releases (unmasked) everything still held.
    pub fn finish(&mut self) -> String {
        let end = self.buf.len();
        let out = self.release(end);
        self.buf.clear();
        self.ctx_len = 0;
        out
    }

    /// True when text is held back, waiting for more fragments.
    pub fn is_holding(&self) -> bool {
        self.buf.len() > self.ctx_len
    }

    /// Unmasks and releases `buf[ctx_len..end]`; its last character becomes the context.
    fn release(&mut self, end: usize) -> String {
        if end == self.ctx_len {
            return String::new();
        }
        let out = self
            .vault
            .unmask_from(&self.buf[..end], self.ctx_len, self.json)
            .into_owned();
        let last = self.buf[..end]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        self.buf.drain(..last);
        self.ctx_len = end - last;
        out
    }

    /// Byte offset in `buf` of the earliest position where a placeholder could still be
    /// forming (`buf.len()` when none could).
    fn hold_start(&self) -> usize {
        let mut prev = self.buf[..self.ctx_len].chars().next_back();
        for (i, c) in self.buf[self.ctx_len..].char_indices() {
            let at = self.ctx_len + i;
            // A placeholder starts at an opener, or at a tag's first letter at a word start.
            let candidate = matches!(c, '[' | '<' | '{')
                || (c.is_ascii_alphabetic() && !prev.is_some_and(is_word));
            if candidate {
                let tail = &self.buf[at..];
                if could_become_placeholder(tail, &self.kinds)
                    || (self.address && shadows_address(tail))
                {
                    return at;
                }
            }
            prev = Some(c);
        }
        self.buf.len()
    }
}

/// A word character for the purpose of finding word starts. It is a subset of the regex
/// crate's Unicode `\w`, so it finds every word start the placeholder regex can see (and
/// perhaps a few more, which only costs holding a little longer).
fn is_word(c: char) -> bool {
    c.is_alphabetic() || c.is_ascii_digit() || c == '_'
}

/// True when `tail` could still become `IP ADDRESS_<n>`: the regex reads that as one
/// (spaced, unbracketed, hence ignored) `IP_ADDRESS` tag, which hides the `ADDRESS_<n>`
/// inside it, so the `IP ` in front must be held until the outcome is known. This is the
/// only tag whose spaced form contains another tag at a word start.
fn shadows_address(tail: &str) -> bool {
    const IP: &[u8] = b"IP ";
    let b = tail.as_bytes();
    let n = b.len().min(IP.len());
    if !b[..n].eq_ignore_ascii_case(&IP[..n]) {
        return false;
    }
    b.len() <= IP.len() || could_become_placeholder(&tail[IP.len()..], &[EntityType::Address])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(values: &[(EntityType, &str)]) -> Arc<Vault> {
        let mut v = Vault::new();
        for (k, val) in values {
            v.placeholder(*k, val);
        }
        Arc::new(v)
    }

    fn ada() -> Arc<Vault> {
        vault(&[(EntityType::Person, "Ada"), (EntityType::Email, "a@b.io")])
    }

    fn run(v: &Arc<Vault>, mode: TextMode, fragments: &[&str]) -> Vec<String> {
        let mut u = StreamUnmasker::new(v.clone(), mode);
        let mut out: Vec<String> = fragments.iter().map(|f| u.push(f)).collect();
        out.push(u.finish());
        out
    }

    #[test]
    fn plain_words_are_released_immediately() {
        assert_eq!(
            run(&ada(), TextMode::Plain, &["Hello", " world"]),
            ["Hello", " world", ""]
        );
    }

    #[test]
    fn empty_vault_passes_fragments_through_unchanged() {
        let v = Arc::new(Vault::new());
        assert_eq!(
            run(&v, TextMode::Plain, &["[PERSON_1", "] {"]),
            ["[PERSON_1", "] {", ""]
        );
    }

    #[test]
    fn only_the_possible_placeholder_tail_is_held() {
        let got = run(
            &ada(),
            TextMode::Plain,
            &["Hi [PER", "SON_1] and", " P", "ERSON_1"],
        );
        assert_eq!(got, ["Hi ", "Ada and", " ", "", "Ada"]);
    }

    #[test]
    fn tags_of_types_not_in_the_vault_are_not_held() {
        assert_eq!(
            run(&ada(), TextMode::Plain, &["see [PHONE_"]),
            ["see [PHONE_", ""]
        );
    }

    #[test]
    fn digits_are_held_so_person_1_never_becomes_person_10_too_early() {
        let mut many = Vault::new();
        for i in 1..=10 {
            many.placeholder(EntityType::Person, &format!("N{i}"));
        }
        let got = run(
            &Arc::new(many),
            TextMode::Plain,
            &["PERSON_1", "0 PERSON_1", "."],
        );
        assert_eq!(got, ["", "N10 ", "N1.", ""]);
    }

    #[test]
    fn word_boundary_context_spans_fragments() {
        // "xPERSON_1" is not a placeholder; the x arrived in an earlier fragment.
        assert_eq!(
            run(&ada(), TextMode::Plain, &["x", "PERSON_1 "]),
            ["x", "PERSON_1 ", ""]
        );
    }

    #[test]
    fn double_braces_wait_for_the_second_closer() {
        let got = run(&ada(), TextMode::Plain, &["{{PERSON_1}", "}!"]);
        assert_eq!(got, ["", "Ada!", ""]);
    }

    #[test]
    fn json_mode_escapes_values() {
        let v = vault(&[(EntityType::Person, "Ann \"Q\"")]);
        let got = run(&v, TextMode::Json, &["{\"n\":\"[PERS", "ON_1]\"}"]);
        assert_eq!(got.concat(), r#"{"n":"Ann \"Q\""}"#);
    }

    #[test]
    fn ip_address_prefix_is_held_when_address_is_in_the_vault() {
        let v = vault(&[(EntityType::Address, "1 Main St")]);
        let frags = ["the IP ", "ADDRESS_1 and ", "ADDRESS_1"];
        let got = run(&v, TextMode::Plain, &frags);
        assert_eq!(got.concat(), v.unmask(&frags.concat()));
        assert_eq!(got[0], "the ");
    }

    #[test]
    fn finish_releases_an_unfinished_placeholder_verbatim() {
        let got = run(&ada(), TextMode::Plain, &["end [EMAIL"]);
        assert_eq!(got, ["end ", "[EMAIL"]);
    }
}
