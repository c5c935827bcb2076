//! The detection copy: what the detectors read instead of a text that hides its values.
//!
//! Full-width digits (`４１１１`), NBSP or zero-width spaces between card groups, a soft hyphen
//! before an e-mail's `@`, `jane%40example.com`, `jane\u0040example.com`: each is plain personal
//! data to a reader and to the cloud model, and each slips past a rule written for the plain
//! form. The detectors therefore read a normalised copy: NFKC per character, format
//! characters (Unicode category Cf) removed, every kind of space a space, every dash a `-`,
//! percent-escapes and JSON `\u` escapes resolved. An offset map leads each span found in the
//! copy back to the exact original characters, so the mask covers what the client wrote.

use unicode_normalization::UnicodeNormalization;

/// A normalised copy of a text and the way back to the original's byte offsets.
#[derive(Debug)]
pub struct DetectionCopy {
    /// What the detectors read.
    pub text: String,
    /// Pieces of the copy in order; each is a run copied unchanged or one rewritten unit.
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    /// Byte offset in the copy.
    copy: usize,
    copy_len: usize,
    /// Byte offset in the original.
    orig: usize,
    orig_len: usize,
    /// Copied unchanged: offsets inside map one to one.
    verbatim: bool,
}

impl DetectionCopy {
    /// The copy of `text`, or `None` when it would equal `text` (most texts: the fast path
    /// looks at ASCII texts only for `%` and `\`).
    pub fn of(text: &str) -> Option<DetectionCopy> {
        if text.is_ascii() && !text.bytes().any(|b| b == b'%' || b == b'\\') {
            return None;
        }
        let mut copy = DetectionCopy {
            text: String::with_capacity(text.len()),
            pieces: Vec::new(),
        };
        let mut changed = false;
        let mut i = 0;
        let mut run_start = 0;
        while i < text.len() {
            let (unit_len, replacement) = unit_at(text, i);
            match replacement {
                None => i += unit_len,
                Some(rep) => {
                    changed = true;
                    copy.verbatim(text, run_start, i);
                    copy.pieces.push(Piece {
                        copy: copy.text.len(),
                        copy_len: rep.len(),
                        orig: i,
                        orig_len: unit_len,
                        verbatim: false,
                    });
                    copy.text.push_str(&rep);
                    i += unit_len;
                    run_start = i;
                }
            }
        }
        copy.verbatim(text, run_start, text.len());
        changed.then_some(copy)
    }

    fn verbatim(&mut self, text: &str, start: usize, end: usize) {
        if start < end {
            self.pieces.push(Piece {
                copy: self.text.len(),
                copy_len: end - start,
                orig: start,
                orig_len: end - start,
                verbatim: true,
            });
            self.text.push_str(&text[start..end]);
        }
    }

    /// The original byte range of the copy's range `start..end`: from the start of the unit
    /// holding `start` to the end of the unit holding `end - 1`.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end {
            let p = self.orig_start(start);
            return (p, p);
        }
        (self.orig_start(start), self.orig_end(end))
    }

    fn piece(&self, at: usize) -> Option<&Piece> {
        let i = self.pieces.partition_point(|p| p.copy + p.copy_len <= at);
        self.pieces.get(i)
    }

    fn orig_start(&self, at: usize) -> usize {
        match self.piece(at) {
            Some(p) if p.verbatim => p.orig + (at - p.copy),
            Some(p) => p.orig,
            None => self.pieces.last().map_or(0, |p| p.orig + p.orig_len),
        }
    }

    fn orig_end(&self, end: usize) -> usize {
        match self.piece(end - 1) {
            Some(p) if p.verbatim => p.orig + (end - p.copy),
            Some(p) => p.orig + p.orig_len,
            None => self.pieces.last().map_or(0, |p| p.orig + p.orig_len),
        }
    }
}

/// The unit of `text` at byte `i` (an escape or one character) and its replacement in the
/// copy, `None` when it is copied as it is.
fn unit_at(text: &str, i: usize) -> (usize, Option<String>) {
    let rest = &text[i..];
    if let Some((len, c)) = percent_escape(rest).or_else(|| json_escape(rest)) {
        return (
            len,
            Some(normalise_char(c).unwrap_or_else(|| c.to_string())),
        );
    }
    let c = rest.chars().next().expect("i is inside text");
    (c.len_utf8(), normalise_char(c))
}

/// What the copy holds for `c`; `None` when that is `c` itself.
fn normalise_char(c: char) -> Option<String> {
    if c.is_ascii() {
        return None;
    }
    if is_format(c) {
        return Some(String::new());
    }
    if is_space(c) {
        return Some(" ".into());
    }
    if is_dash(c) {
        return Some("-".into());
    }
    let nfkc: String = std::iter::once(c).nfkc().collect();
    let mut chars = nfkc.chars();
    match (chars.next(), chars.next()) {
        (Some(only), None) if only == c => None,
        _ => Some(nfkc),
    }
}

/// Invisible format characters (Unicode Cf) that split a value without showing: soft
/// hyphen, zero-width space/joiners, bidirectional marks, word joiner, BOM.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Space separators other than the ASCII space (NBSP, thin and ideographic spaces, …).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Hyphens, dashes and minus signs.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// `%XX` escapes (one to four of them) that spell one printable character.
fn percent_escape(s: &str) -> Option<(usize, char)> {
    let b = s.as_bytes();
    let byte_at = |k: usize| -> Option<u8> {
        let at = 3 * k;
        if b.get(at) != Some(&b'%') {
            return None;
        }
        let hex = std::str::from_utf8(b.get(at + 1..at + 3)?).ok()?;
        u8::from_str_radix(hex, 16).ok()
    };
    let first = byte_at(0)?;
    let n = match first {
        0x20..=0x7E => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let bytes: Vec<u8> = (0..n).map(byte_at).collect::<Option<_>>()?;
    let c = std::str::from_utf8(&bytes).ok()?.chars().next()?;
    (!c.is_control()).then_some((3 * n, c))
}

/// JSON string escapes left in text (`\u0040`, surrogate pairs, `\"`, `\/`, `\\`). `\n` and
/// `\t` stay: in a Windows path `\n` is a letter.
fn json_escape(s: &str) -> Option<(usize, char)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'\\') {
        return None;
    }
    match b.get(1)? {
        b'"' => Some((2, '"')),
        b'/' => Some((2, '/')),
        b'\\' => Some((2, '\\')),
        b'u' => {
            let unit = |at: usize| -> Option<u32> {
                u32::from_str_radix(std::str::from_utf8(b.get(at..at + 4)?).ok()?, 16).ok()
            };
            let hi = unit(2)?;
            if (0xD800..0xDC00).contains(&hi) {
                if b.get(6..8)? != b"\\u" {
                    return None;
                }
                let lo = unit(8)?;
                let c =
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo.checked_sub(0xDC00)?))?;
                return Some((12, c));
            }
            let c = char::from_u32(hi)?;
            (!c.is_control() || c == '\n' || c == '\t').then_some((6, c))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(s: &str) -> String {
        DetectionCopy::of(s).map_or_else(|| s.to_string(), |c| c.text)
    }

    /// The original text behind the copy's span of `needle`.
    fn back(s: &str, needle: &str) -> String {
        let c = DetectionCopy::of(s).expect("a copy");
        let at = c.text.find(needle).expect("needle in copy");
        let (a, b) = c.original(at, at + needle.len());
        s[a..b].to_string()
    }

    #[test]
    fn plain_ascii_needs_no_copy() {
        assert!(DetectionCopy::of("Mail jane@example.com today").is_none());
        assert!(DetectionCopy::of("Grüße aus Köln").is_none());
    }

    #[test]
    fn evasions_read_as_the_plain_value() {
        assert_eq!(copy("４１１１ １１１１"), "4111 1111");
        assert_eq!(copy("4111\u{A0}1111\u{200B}1111"), "4111 11111111");
        assert_eq!(copy("jane\u{AD}@example.com"), "jane@example.com");
        assert_eq!(copy("ja\u{200B}ne\u{200D}@example.com"), "jane@example.com");
        assert_eq!(copy("jane%40example.com"), "jane@example.com");
        assert_eq!(copy("jane\\u0040example.com"), "jane@example.com");
        assert_eq!(copy("+49 171\u{2013}1234567"), "+49 171-1234567");
        assert_eq!(copy("caf%C3%A9"), "café");
        assert_eq!(copy("C:\\new\\nina"), "C:\\new\\nina");
        assert_eq!(copy("100% sure"), "100% sure");
    }

    #[test]
    fn spans_lead_back_to_exactly_the_original_characters() {
        assert_eq!(
            back("mail ja\u{200B}ne@example.com now", "jane@example.com"),
            "ja\u{200B}ne@example.com"
        );
        assert_eq!(
            back("x jane%40example.com y", "jane@example.com"),
            "jane%40example.com"
        );
        assert_eq!(back("card ４１１１ ok", "4111"), "４１１１");
        assert_eq!(
            back("Grüße an Jürgen\u{A0}Roe", "Jürgen Roe"),
            "Jürgen\u{A0}Roe"
        );
    }
}
