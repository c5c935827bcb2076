//! Checksum and format validators: the second opinion a regex match needs before it is
//! reported. A regex says "this looks like a card number"; Luhn says whether it can be one.
//!
//! Validators are named in rule files (`validator = "luhn"`, or a table with parameters such
//! as `{ name = "entropy", min_bits_per_char = 3.5 }`) and run on the value that would be
//! masked (the capture group when the rule has one). They never allocate on the hot path
//! except [`iban_mod97`], which works on a stack buffer.

use std::net::{Ipv4Addr, Ipv6Addr};

/// One check a candidate value must pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    /// Luhn checksum over the digits (spaces and dashes ignored), 12 to 19 digits.
    Luhn,
    /// IBAN: country code, check digits, length per country, ISO 7064 mod-97 == 1.
    IbanMod97,
    /// US SSN: no 000/666/9xx area, no 00 group, no 0000 serial.
    UsSsn,
    /// A dotted-quad IPv4 address as `std::net` parses it.
    Ipv4,
    /// An IPv6 address as `std::net` parses it, with enough substance not to be `a::b` code.
    Ipv6,
    /// A phone number: the digit count is within the bounds.
    Phone {
        min_digits: usize,
        max_digits: usize,
    },
    /// Shannon entropy per character at least `min_bits_per_char`, length at least `min_len`.
    Entropy {
        min_bits_per_char: f64,
        min_len: usize,
    },
    /// A secret's value, not a reference to one (`${VAR}`, `os.environ[..]`, `<password>`).
    SecretValue,
    /// A plausible calendar date (month 1–12, day 1–31, year 1900–2099 when it has four digits).
    Date,
    /// At least `min` ASCII digits.
    Digits { min: usize },
}

/// Why a validator spec could not be turned into a [`Validator`].
#[derive(Debug, Clone, PartialEq)]
pub enum SpecError {
    /// No validator has this name.
    Unknown(String),
    /// The validator exists but a parameter is wrong or unknown.
    BadParam(String),
}

/// Names accepted by [`Validator::from_spec`], for error messages.
pub const NAMES: &[&str] = &[
    "luhn",
    "iban_mod97",
    "us_ssn",
    "ipv4",
    "ipv6",
    "phone",
    "entropy",
    "secret_value",
    "date",
    "digits",
];

impl Validator {
    /// Builds a validator from its name and parameters (`params` maps names to numbers).
    pub fn from_spec(name: &str, params: &[(String, f64)]) -> Result<Validator, SpecError> {
        let mut p = Params { params, used: 0 };
        let v = match name {
            "luhn" => Validator::Luhn,
            "iban_mod97" | "iban" => Validator::IbanMod97,
            "us_ssn" | "ssn" => Validator::UsSsn,
            "ipv4" => Validator::Ipv4,
            "ipv6" => Validator::Ipv6,
            "phone" => Validator::Phone {
                min_digits: p.usize("min_digits", 7)?,
                max_digits: p.usize("max_digits", 15)?,
            },
            "entropy" => Validator::Entropy {
                min_bits_per_char: p.f64("min_bits_per_char", 3.0)?,
                min_len: p.usize("min_len", 8)?,
            },
            "secret_value" => Validator::SecretValue,
            "date" => Validator::Date,
            "digits" => Validator::Digits {
                min: p.usize("min", 1)?,
            },
            other => return Err(SpecError::Unknown(other.to_string())),
        };
        if p.used != params.len() {
            let known: Vec<&str> = match name {
                "phone" => vec!["min_digits", "max_digits"],
                "entropy" => vec!["min_bits_per_char", "min_len"],
                "digits" => vec!["min"],
                _ => vec![],
            };
            let extra: Vec<&str> = params
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| !known.contains(k))
                .collect();
            return Err(SpecError::BadParam(format!(
                "validator {name} has no parameter {} (it takes: {})",
                extra.join(", "),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        Ok(v)
    }

    /// True when `value` passes.
    pub fn check(&self, value: &str) -> bool {
        match *self {
            Validator::Luhn => luhn(value),
            Validator::IbanMod97 => iban_mod97(value),
            Validator::UsSsn => us_ssn(value),
            Validator::Ipv4 => value.parse::<Ipv4Addr>().is_ok(),
            Validator::Ipv6 => ipv6(value),
            Validator::Phone {
                min_digits,
                max_digits,
            } => {
                // Digits after a letter belong to an extension (x204, ext. 12).
                let number = value
                    .find(|c: char| c.is_ascii_alphabetic())
                    .map_or(value, |i| &value[..i]);
                let n = digit_count(number);
                n >= min_digits && n <= max_digits && !one_repeated_digit(value)
            }
            Validator::Entropy {
                min_bits_per_char,
                min_len,
            } => value.chars().count() >= min_len && bits_per_char(value) >= min_bits_per_char,
            Validator::SecretValue => secret_value(value),
            Validator::Date => date(value),
            Validator::Digits { min } => digit_count(value) >= min,
        }
    }
}

/// Reads numeric parameters and counts which were used, so unknown ones can be reported.
struct Params<'a> {
    params: &'a [(String, f64)],
    used: usize,
}

impl Params<'_> {
    fn f64(&mut self, name: &str, default: f64) -> Result<f64, SpecError> {
        match self.params.iter().find(|(k, _)| k == name) {
            Some((_, v)) if v.is_finite() && *v >= 0.0 => {
                self.used += 1;
                Ok(*v)
            }
            Some((_, v)) => Err(SpecError::BadParam(format!(
                "{name} = {v} must be a non-negative number"
            ))),
            None => Ok(default),
        }
    }

    fn usize(&mut self, name: &str, default: usize) -> Result<usize, SpecError> {
        let v = self.f64(name, default as f64)?;
        if v.fract() != 0.0 {
            return Err(SpecError::BadParam(format!(
                "{name} = {v} must be a whole number"
            )));
        }
        Ok(v as usize)
    }
}

fn digit_count(value: &str) -> usize {
    value.bytes().filter(u8::is_ascii_digit).count()
}

fn one_repeated_digit(value: &str) -> bool {
    let mut digits = value.bytes().filter(u8::is_ascii_digit);
    match digits.next() {
        Some(first) => digits.all(|d| d == first),
        None => true,
    }
}

/// Luhn checksum over the digits of `value`; spaces and dashes are ignored, anything else
/// fails. Card numbers have 12 to 19 digits.
pub fn luhn(value: &str) -> bool {
    let mut sum = 0u32;
    let mut count = 0usize;
    for b in value.bytes().rev() {
        match b {
            b'0'..=b'9' => {
                let mut d = u32::from(b - b'0');
                if !count.is_multiple_of(2) {
                    d *= 2;
                    if d > 9 {
                        d -= 9;
                    }
                }
                sum += d;
                count += 1;
            }
            b' ' | b'-' | b'.' | b'/' | b',' | b'_' | b'\n' | b'\t' | b'\r' => {}
            _ => return false,
        }
    }
    (12..=19).contains(&count) && sum.is_multiple_of(10) && !one_repeated_digit(value)
}

/// IBAN lengths of the countries that use it (ISO 13616 registry).
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24), (b"AE", 23), (b"AL", 28), (b"AT", 20), (b"AZ", 28), (b"BA", 20), (b"BE", 16),
    (b"BG", 22), (b"BH", 22), (b"BR", 29), (b"BY", 28), (b"CH", 21), (b"CR", 22), (b"CY", 28),
    (b"CZ", 24), (b"DE", 22), (b"DK", 18), (b"DO", 28), (b"EE", 20), (b"EG", 29), (b"ES", 24),
    (b"FI", 18), (b"FO", 18), (b"FR", 27), (b"GB", 22), (b"GE", 22), (b"GI", 23), (b"GL", 18),
    (b"GR", 27), (b"GT", 28), (b"HR", 21), (b"HU", 28), (b"IE", 22), (b"IL", 23), (b"IQ", 23),
    (b"IS", 26), (b"IT", 27), (b"JO", 30), (b"KW", 30), (b"KZ", 20), (b"LB", 28), (b"LC", 32),
    (b"LI", 21), (b"LT", 20), (b"LU", 20), (b"LV", 21), (b"MC", 27), (b"MD", 24), (b"ME", 22),
    (b"MK", 19), (b"MR", 27), (b"MT", 31), (b"MU", 30), (b"NL", 18), (b"NO", 15), (b"PK", 24),
    (b"PL", 28), (b"PS", 29), (b"PT", 25), (b"QA", 29), (b"RO", 24), (b"RS", 22), (b"SA", 24),
    (b"SC", 31), (b"SE", 24), (b"SI", 19), (b"SK", 24), (b"SM", 27), (b"ST", 25), (b"SV", 28),
    (b"TL", 23), (b"TN", 24), (b"TR", 26), (b"UA", 29), (b"VA", 22), (b"VG", 24), (b"XK", 20),
];

/// IBAN check: a country that uses IBANs, two check digits, that country's length, and the
/// ISO 7064 mod-97 remainder 1. Spaces are ignored; case is folded.
pub fn iban_mod97(value: &str) -> bool {
    let mut buf = [0u8; 34];
    let mut n = 0;
    for b in value.bytes() {
        match b {
            b' ' | b'-' => {}
            b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                if n == buf.len() {
                    return false;
                }
                buf[n] = b.to_ascii_uppercase();
                n += 1;
            }
            _ => return false,
        }
    }
    let iban = &buf[..n];
    if n < 15 || !iban[0].is_ascii_uppercase() || !iban[1].is_ascii_uppercase() {
        return false;
    }
    if !iban[2].is_ascii_digit() || !iban[3].is_ascii_digit() {
        return false;
    }
    match IBAN_LENGTHS.iter().find(|(cc, _)| cc[..] == iban[..2]) {
        Some((_, len)) if n == *len => {}
        _ => return false,
    }
    // Move the first four characters to the end; letters count as 10..35.
    let mut rem = 0u32;
    for &b in iban[4..].iter().chain(&iban[..4]) {
        rem = if b.is_ascii_digit() {
            (rem * 10 + u32::from(b - b'0')) % 97
        } else {
            (rem * 100 + u32::from(b - b'A' + 10)) % 97
        };
    }
    rem == 1
}

/// US SSN area/group/serial rules over exactly nine digits (`-`, space and `.` ignored).
pub fn us_ssn(value: &str) -> bool {
    let mut d = [0u8; 9];
    let mut n = 0;
    for b in value.bytes() {
        match b {
            b'0'..=b'9' => {
                if n == 9 {
                    return false;
                }
                d[n] = b - b'0';
                n += 1;
            }
            b'-' | b' ' | b'.' => {}
            _ => return false,
        }
    }
    if n != 9 {
        return false;
    }
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    let group = d[3] * 10 + d[4];
    let serial = d[5..].iter().fold(0u32, |acc, &x| acc * 10 + u32::from(x));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// An IPv6 address with some substance: parses, is not `::`, has a digit and at least four
/// hex digits, so `ab::cd` (a C++ path) and `::` do not count.
fn ipv6(value: &str) -> bool {
    let Ok(addr) = value.parse::<Ipv6Addr>() else {
        return false;
    };
    let hex = value.bytes().filter(u8::is_ascii_hexdigit).count();
    !addr.is_unspecified() && value.bytes().any(|b| b.is_ascii_digit()) && hex >= 4
}

/// Shannon entropy of the characters of `value`, in bits per character.
pub fn bits_per_char(value: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut other = 0u32;
    let mut total = 0u32;
    for c in value.chars() {
        total += 1;
        match usize::try_from(u32::from(c)) {
            Ok(i) if i < 128 => counts[i] += 1,
            _ => other += 1,
        }
    }
    if total == 0 {
        return 0.0;
    }
    let t = f64::from(total);
    // Non-ASCII characters are pooled: a conservative (lower) estimate.
    counts
        .iter()
        .chain(std::iter::once(&other))
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / t;
            -p * p.log2()
        })
        .sum()
}

/// Words that stand in for a secret in examples and templates rather than being one.
const STAND_INS: &[&str] = &[
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "empty",
    "redacted",
    "hidden",
    "masked",
    "secret",
    "password",
    "passwd",
    "token",
    "apikey",
    "api_key",
    "your_password",
    "yourpassword",
    "your-password",
    "your_api_key",
    "your-api-key",
    "your_token",
    "xxx",
    "placeholder",
    "required",
    "optional",
    "string",
    "str",
    "env",
    "example",
    "dummy",
    "value",
    "todo",
    "tbd",
    "n/a",
];

/// True when `value` is a secret itself rather than a reference to one: not a variable
/// (`$X`, `${X}`, `$(cmd)`, `%X%`, `{{x}}`, `<x>`, `[x]`), not a call (`os.environ[..]`,
/// `getenv(..)`, `read_secret()`), not a dotted or snake_case identifier (`self.password`,
/// `db_password`), not a stand-in word, not one repeated character (`****`). A value that
/// merely starts with `$`, `%` or `<` (`%x6iP...`) is a secret.
pub fn secret_value(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() < 3 || is_reference(v) {
        return false;
    }
    let lower_ident = v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
        && (v.contains('_') || v.contains('.'));
    if lower_ident {
        return false;
    }
    let mut chars = v.chars();
    let c0 = chars.next().unwrap_or(' ');
    if chars.all(|c| c == c0) {
        return false;
    }
    !STAND_INS.iter().any(|w| v.eq_ignore_ascii_case(w))
}

fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Template, shell and code references to a secret kept elsewhere.
fn is_reference(v: &str) -> bool {
    let wrapped = |open: &str, close: &str| {
        v.starts_with(open) && v.ends_with(close) && v.len() > open.len() + close.len()
    };
    // Open-ended too: a bare value in `KEY=${VAR}` is cut before the closing brace.
    if v.starts_with("${") || v.starts_with("$(") || v.starts_with("{{") || wrapped("{", "}") {
        return true;
    }
    if wrapped("<", ">") || wrapped("[", "]") || wrapped("(", ")") {
        return true;
    }
    if let Some(name) = v.strip_prefix('$') {
        if is_identifier(name) {
            return true;
        }
    }
    if wrapped("%", "%") && is_identifier(&v[1..v.len() - 1]) {
        return true;
    }
    if v.contains("process.env") || v.contains("os.environ") || v.contains("getenv") {
        return true;
    }
    // A call: identifier (dotted) followed by an opening parenthesis.
    match v.find('(') {
        Some(i) => v[..i].split('.').all(is_identifier),
        None => false,
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A plausible date: the numbers in it fit day, month and year in some common order (or a
/// month name stands for the month).
pub fn date(value: &str) -> bool {
    let mut nums = [(0u32, 0usize); 3];
    let mut n = 0;
    let mut named_month = false;
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if n == 3 || i - start > 4 {
                return false;
            }
            nums[n] = (value[start..i].parse().unwrap_or(0), i - start);
            n += 1;
        } else if bytes[i].is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word = &value[start..i];
            if word.len() >= 3 && MONTHS.iter().any(|m| word[..3].eq_ignore_ascii_case(m)) {
                named_month = true;
            }
        } else {
            i += 1;
        }
    }
    let year_ok = |(y, len): (u32, usize)| len == 2 || (len == 4 && (1900..2100).contains(&y));
    let day_ok = |(d, len): (u32, usize)| len <= 2 && (1..=31).contains(&d);
    let month_ok = |(m, len): (u32, usize)| len <= 2 && (1..=12).contains(&m);
    match (named_month, n) {
        (true, 2) => day_ok(nums[0]) && year_ok(nums[1]) || day_ok(nums[1]) && year_ok(nums[0]),
        (false, 3) => {
            let [a, b, c] = nums;
            if a.1 == 4 {
                year_ok(a) && month_ok(b) && day_ok(c)
            } else {
                year_ok(c) && ((day_ok(a) && month_ok(b)) || (month_ok(a) && day_ok(b)))
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
