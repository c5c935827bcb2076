//! The mask phase on a decoded body: collect every outgoing text (default deny, see
//! [`crate::api::walk`]), mask them in one batch, write the masked texts back in the same order.
//! Text inside tool-call arguments (JSON in a string), `data:` URLs and base64 files of a
//! textual media type is decoded, masked and encoded again; binary media is refused or passed
//! as [`BinaryMedia`] says.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

use crate::api::walk::{free_texts, visit_texts, Author, MediaType, TextKind, Visit, WalkError};
use crate::api::Route;
use crate::config::{BinaryMedia, OverBudget, PrivacyConfig};
use crate::privacy::policy::Action;
use crate::privacy::{DetectError, EntityType, MaskOutcome, Masker, Vault};

/// A body ready to leave the machine, and what it took to get there.
pub struct MaskedBody {
    pub body: Value,
    pub vault: Vault,
    pub outcome: MaskOutcome,
    /// Where binary media left unread (`privacy.binary_media = "pass"`), for the audit.
    pub binary: Vec<String>,
}

impl MaskedBody {
    /// The body for the audit log: as it left, but binary payloads replaced by their size
    /// (an image may show a face or a document; the log holds no personal data).
    pub fn for_audit(&self, route: Route) -> Value {
        let mut copy = self.body.clone();
        if self.binary.is_empty() {
            return copy;
        }
        let _ = visit_texts(route, &mut copy, &mut |s, visit| {
            if self.binary.contains(&visit.path.to_string()) {
                *s = format!(
                    "<binary media withheld from the audit log: {} bytes>",
                    s.len()
                );
            }
            Ok(())
        });
        copy
    }
}

/// Why a body was not masked (and so not forwarded).
#[derive(Debug)]
pub enum MaskError {
    /// A detector failed (503).
    Detect(DetectError),
    /// The body holds something the policy refuses (400), named by its path.
    Refused(WalkError),
    /// More new text than the tagger reads for one request (413).
    OverBudget { chars: usize, budget: usize },
    /// A finding of a type whose policy is `block` (400).
    Blocked(EntityType),
    /// Text sent as token ids, which no detector can read (400, like binary media).
    TokenIds(WalkError),
}

/// The settings the mask phase follows (from `[privacy]`).
#[derive(Debug, Clone, Copy)]
pub struct MaskPolicy {
    pub binary_media: BinaryMedia,
    pub tagger_max_chars: usize,
    pub over_budget: OverBudget,
}

impl Default for MaskPolicy {
    fn default() -> Self {
        MaskPolicy::from(&PrivacyConfig::default())
    }
}

impl From<&PrivacyConfig> for MaskPolicy {
    fn from(p: &PrivacyConfig) -> Self {
        MaskPolicy {
            binary_media: p.binary_media,
            tagger_max_chars: p.tagger_max_chars,
            over_budget: p.over_budget,
        }
    }
}

/// How one visited string is rebuilt from its masked text(s).
enum Slot {
    /// The next text, as it is.
    Plain,
    /// The next identifier (model id, API id, enum value), checked by the rules only.
    Identifier,
    /// JSON in a string: its keys and strings are the next texts.
    Json(Value),
    /// A `data:` URL: the header (`data:text/plain;base64,`) kept, the payload the next text.
    DataUrl { header: String, base64: bool },
    /// Base64 of text: the next text, encoded again.
    Base64,
    /// Binary media passed unread.
    Binary,
}

/// Masks every text of `body` that a request on `route` sends upstream.
pub fn mask_body(
    masker: &Masker,
    route: Route,
    mut body: Value,
    policy: &MaskPolicy,
) -> Result<MaskedBody, MaskError> {
    if policy.binary_media == BinaryMedia::Refuse {
        if let Some(path) = token_ids(route, &body) {
            return Err(MaskError::TokenIds(WalkError {
                message: format!(
                    "{path} holds text as token ids, which veilgate cannot check for personal \
                     data, so the request was not forwarded; send the text itself (LangChain: \
                     check_embedding_ctx_length=False), or set privacy.binary_media = \"pass\""
                ),
                path,
            }));
        }
    }
    let mut texts: Vec<String> = Vec::new();
    let mut identifiers: Vec<String> = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    let mut vault = Vault::new();
    let mut binary = Vec::new();
    visit_texts(route, &mut body, &mut |s, visit| {
        if visit.kind == TextKind::Identifier {
            identifiers.push(s.clone());
            slots.push(Slot::Identifier);
            return Ok(());
        }
        let (slot, inner) = read(s, visit, policy.binary_media)?;
        if matches!(slot, Slot::Binary) {
            binary.push(visit.path.to_string());
            // Passed as written, but a placeholder-like text in it still keeps its number
            // from being given to a value masked elsewhere in the request.
            if visit.author == Author::Client {
                vault.reserve_existing(s);
            }
        }
        let mut collect = |t: &mut String, _: &Visit| {
            // Placeholder-like text the client's side wrote survives the round trip; the
            // model's own placeholders in the history are this conversation's.
            if visit.author == Author::Client {
                vault.reserve_existing(t);
            }
            texts.push(t.clone());
            Ok(())
        };
        match (&slot, inner) {
            (Slot::Json(_), _) | (Slot::Binary, _) => {}
            (_, Some(mut text)) => collect(&mut text, visit)?,
            (_, None) => collect(s, visit)?,
        }
        let slot = match slot {
            Slot::Json(mut inner) => {
                free_texts(&mut inner, &mut collect)?;
                Slot::Json(inner)
            }
            other => other,
        };
        slots.push(slot);
        Ok(())
    })
    .map_err(MaskError::Refused)?;
    // Identifiers first, so that a value the rules find in one is masked in the prose too.
    let mut outcome = {
        let mut refs: Vec<&mut String> = identifiers.iter_mut().collect();
        masker
            .mask_identifiers(&mut refs, &mut vault)
            .map_err(MaskError::Detect)?
    };
    // The tagger's share of one request is bounded; beyond it the policy refuses, or the
    // rules alone mask.
    let chars = {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        masker.uncached_chars(&refs)
    };
    let over = chars > policy.tagger_max_chars;
    if over && policy.over_budget == OverBudget::Refuse {
        return Err(MaskError::OverBudget {
            chars,
            budget: policy.tagger_max_chars,
        });
    }
    let prose = {
        let mut refs: Vec<&mut String> = texts.iter_mut().collect();
        if over {
            masker.mask_rules_only(&mut refs, &mut vault)
        } else {
            masker.mask(&mut refs, &mut vault)
        }
        .map_err(MaskError::Detect)?
    };
    outcome.found.extend(prose.found);
    let blocked = outcome
        .found
        .iter()
        .flatten()
        .map(|f| f.kind)
        .find(|&kind| masker.policies().action(kind) == Action::Block);
    if let Some(kind) = blocked {
        return Err(MaskError::Blocked(kind));
    }
    if !outcome.found.iter().all(Vec::is_empty) {
        write_back(route, &mut body, slots, texts, identifiers);
    }
    Ok(MaskedBody {
        body,
        vault,
        outcome,
        binary,
    })
}

/// Where a completions `prompt` or embeddings `input` holds token ids (an array of integers,
/// or of such arrays): text in a form no detector reads.
fn token_ids(route: Route, body: &Value) -> Option<String> {
    let field = match route {
        Route::Completions => "prompt",
        Route::Embeddings => "input",
        _ => return None,
    };
    let ids = |v: &Value| v.as_array().is_some_and(|a| a.iter().any(Value::is_number));
    let value = body.get(field)?;
    let nested = value.as_array().is_some_and(|a| a.iter().any(ids));
    (ids(value) || nested).then(|| field.to_string())
}

/// How to read one visited string: its slot, and the text to mask when it is not `s` itself
/// (a decoded payload).
fn read(
    s: &str,
    visit: &Visit,
    binary_media: BinaryMedia,
) -> Result<(Slot, Option<String>), WalkError> {
    let binary = || match binary_media {
        BinaryMedia::Pass => Ok((Slot::Binary, None)),
        BinaryMedia::Refuse => Err(WalkError {
            path: visit.path.to_string(),
            message: format!(
                "{} holds binary media (an image, audio or a document), which veilgate cannot \
                 check for personal data, so the request was not forwarded; set \
                 privacy.binary_media = \"pass\" to forward such media unread",
                visit.path
            ),
        }),
    };
    match visit.kind {
        TextKind::Plain | TextKind::Identifier => Ok((Slot::Plain, None)),
        TextKind::Json => match serde_json::from_str::<Value>(s) {
            Ok(inner) => Ok((Slot::Json(inner), None)),
            // Arguments that are not JSON are masked as prose: nothing escapes unread.
            Err(_) => Ok((Slot::Plain, None)),
        },
        TextKind::DataUrl => {
            let Some((header, payload)) = s.split_once(',') else {
                return Ok((Slot::Plain, None));
            };
            let meta = &header[5..];
            let base64 = meta.to_ascii_lowercase().ends_with(";base64");
            let mime = meta.split(';').next().unwrap_or("");
            let mime = if mime.is_empty() { "text/plain" } else { mime };
            if MediaType::of(mime) == MediaType::Binary {
                return binary();
            }
            let decoded = if base64 {
                decode_base64(payload)
            } else {
                Some(percent_decode(payload))
            };
            match decoded {
                Some(text) => Ok((
                    Slot::DataUrl {
                        header: format!("{header},"),
                        base64,
                    },
                    Some(text),
                )),
                None => binary(),
            }
        }
        TextKind::Base64(Some(MediaType::Text)) => match decode_base64(s) {
            Some(text) => Ok((Slot::Base64, Some(text))),
            None => binary(),
        },
        TextKind::Base64(_) => binary(),
    }
}

/// The second walk: every visited string rebuilt from its slot and the masked texts.
fn write_back(
    route: Route,
    body: &mut Value,
    slots: Vec<Slot>,
    texts: Vec<String>,
    identifiers: Vec<String>,
) {
    let mut slots = slots.into_iter();
    let mut identifiers = identifiers.into_iter();
    let mut masked = texts.into_iter();
    let mut next = move || masked.next().expect("second walk visits the same texts");
    let _ = visit_texts(route, body, &mut |s, _| {
        match slots.next().expect("second walk visits the same strings") {
            Slot::Plain => *s = next(),
            Slot::Identifier => *s = identifiers.next().expect("same identifiers"),
            Slot::Json(mut inner) => {
                let mut changed = false;
                let _ = free_texts(&mut inner, &mut |leaf, _| {
                    let m = next();
                    changed |= *leaf != m;
                    *leaf = m;
                    Ok(())
                });
                if changed {
                    *s = inner.to_string();
                }
            }
            Slot::DataUrl { header, base64 } => {
                let text = next();
                *s = if base64 {
                    header + &STANDARD.encode(text)
                } else {
                    header + &percent_encode(&text)
                };
            }
            Slot::Base64 => *s = STANDARD.encode(next()),
            Slot::Binary => {}
        }
        Ok(())
    });
}

/// Base64 (standard or URL-safe alphabet, padding optional, whitespace ignored) of UTF-8 text.
fn decode_base64(payload: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let clean: String = payload
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_end_matches('=')
        .to_string();
    let bytes = STANDARD_NO_PAD
        .decode(&clean)
        .or_else(|_| URL_SAFE_NO_PAD.decode(&clean))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// `%XX` escapes resolved (bytes that do not form UTF-8 are replaced, so nothing hides).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes what a `data:` URL payload may not hold verbatim.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+;=:@/?".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_text_and_rejects_binary() {
        let enc = STANDARD.encode("Call Jane at jane@example.com");
        assert_eq!(
            decode_base64(&enc).as_deref(),
            Some("Call Jane at jane@example.com")
        );
        assert_eq!(decode_base64(&STANDARD.encode([0xff, 0xfe, 0x00])), None);
    }

    #[test]
    fn percent_escapes_resolve_and_reencode() {
        assert_eq!(
            percent_decode("jane%40example.com%20x"),
            "jane@example.com x"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode(&percent_encode("a b\n@")), "a b\n@");
    }
}
