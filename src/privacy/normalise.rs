//! The detection copy: what the detectors read instead of a text that hides its values.
//!
//! Full-width digits (`４１１１`), NBSP or zero-width spaces between card groups, a soft hyphen
//! before an e-mail's `@`, `jane%40example.com`, `jane\u0040example.com`: each is plain personal
//! data to a reader and to the cloud model, and each slips past a rule written for the plain
//! form. The detectors therefore read a normalised copy: NFKC per character, format
//! characters (Unicode category Cf, tag characters, variation selectors) and stray combining
//! marks removed, every kind of space a space, line separators a line break, every dash a `-`,
//! every decimal digit an ASCII one, percent-escapes (also double ones), JSON `\u` escapes and
//! HTML character references resolved. An offset map leads each span found in the
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
        DetectionCopy::build(text, false)
    }

    /// The copy of an identifier (`call_AKIA…`, `gpt-4o_…`): also reads `_` as a space, so
    /// that a value glued to an id's prefix stands as a word of its own.
    pub fn of_identifier(text: &str) -> Option<DetectionCopy> {
        DetectionCopy::build(text, true)
    }

    fn build(text: &str, underscores: bool) -> Option<DetectionCopy> {
        let special = |b: u8| matches!(b, b'%' | b'\\' | b'&') || (underscores && b == b'_');
        if text.is_ascii() && !text.bytes().any(special) {
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
            let (unit_len, replacement) = match text.as_bytes()[i] {
                b'_' if underscores => (1, Some(" ".to_string())),
                _ => unit_at(text, i),
            };
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
    let escaped = percent_escape(rest)
        .or_else(|| json_escape(rest))
        .or_else(|| html_reference(rest));
    if let Some((len, c)) = escaped {
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
    if is_format(c) || is_combining(c) {
        return Some(String::new());
    }
    if is_space(c) {
        return Some(" ".into());
    }
    if matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
        return Some("\n".into());
    }
    if let Some(d) = decimal_digit(c) {
        return Some(d.to_string());
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
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Combining marks of the Latin, Greek and Cyrillic blocks and the symbol and half-mark
/// blocks: NFKC per character leaves a decomposed accent (or one put after `@` or a digit) on
/// its own; the copy drops it, so `ja\u{301}ne` reads as `jane` and the span still covers it.
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// The value of a decimal digit of any script (Arabic-Indic ٤, Devanagari ४, …), which NFKC
/// leaves as it is.
fn decimal_digit(c: char) -> Option<char> {
    const ZEROS: [u32; 22] = [
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
        0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0xA8D0,
    ];
    let u = c as u32;
    ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&u))
        .and_then(|&zero| char::from_digit(u - zero, 10))
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

/// `%XX` escapes (one to four of them) that spell one printable character; a `%25` before
/// them (the `%` itself escaped again, `%2540`) is part of each.
fn percent_escape(s: &str) -> Option<(usize, char)> {
    if let Some(rest) = s.strip_prefix("%25") {
        let unit = format!("%{}", rest.get(..2)?);
        return percent_escape(&unit).map(|(_, c)| (5, c));
    }
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

/// An HTML character reference: `&#64;`, `&#x40;`, or one of the named ones that spell the
/// characters of an address or number (`&commat;`, `&period;`, …).
fn html_reference(s: &str) -> Option<(usize, char)> {
    let body = s.strip_prefix('&')?;
    let end = body.bytes().take(12).position(|b| b == b';')?;
    let name = &body[..end];
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code).filter(|c| !c.is_control())?
    } else {
        match name {
            "commat" => '@',
            "period" => '.',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "hyphen" | "dash" => '-',
            "plus" => '+',
            "lowbar" => '_',
            "colon" => ':',
            "sol" => '/',
            _ => return None,
        }
    };
    Some((end + 2, c))
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
        assert_eq!(copy("jane%2540example.com"), "jane@example.com");
        assert_eq!(
            copy("jane&#64;example&period;com &#x40; &commat;"),
            "jane@example.com @ @"
        );
        assert_eq!(copy("fish & chips &copy; A&B;"), "fish & chips &copy; A&B;");
        assert_eq!(copy("exam\u{E0041}ple\u{FE0F}.com"), "example.com");
        assert_eq!(copy("ja\u{301}ne@\u{301}x.io"), "jane@x.io");
        assert_eq!(copy("٤١١١ ١١١١ ५३६-२२"), "4111 1111 536-22");
        assert_eq!(copy("4111\u{2028}1111"), "4111\n1111");
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
