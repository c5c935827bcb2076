//! The mask phase on a decoded body: collect every outgoing text, mask them in one batch,
//! write the masked texts back in the same order.

use serde_json::Value;

use crate::api::walk::{string_leaves, visit_texts, Author, TextKind};
use crate::api::Route;
use crate::privacy::{DetectError, MaskOutcome, Masker, Vault};

/// A body ready to leave the machine, and what it took to get there.
pub struct MaskedBody {
    pub body: Value,
    pub vault: Vault,
    pub outcome: MaskOutcome,
}

/// Masks every text of `body` that a request on `route` sends upstream. Tool-call arguments
/// (JSON inside a string) have the string values inside them masked, not the JSON syntax.
pub fn mask_body(
    masker: &Masker,
    route: Route,
    mut body: Value,
) -> Result<MaskedBody, DetectError> {
    let mut texts: Vec<String> = Vec::new();
    let mut vault = Vault::new();
    visit_texts(route, &mut body, &mut |s, kind, author| {
        // Placeholder-like text the client's side wrote survives the round trip; the
        // model's own placeholders in the history are this conversation's, not reserved.
        if author == Author::Client {
            vault.reserve_existing(s);
        }
        match json_of(s, kind) {
            Some(mut inner) => string_leaves(&mut inner, &mut |leaf, _| texts.push(leaf.clone())),
            None => texts.push(s.clone()),
        }
    });
    let outcome = {
        let mut refs: Vec<&mut String> = texts.iter_mut().collect();
        masker.mask(&mut refs, &mut vault)?
    };
    if !outcome.found.iter().all(Vec::is_empty) {
        let mut masked = texts.into_iter();
        let mut next = || masked.next().expect("second walk visits the same texts");
        visit_texts(route, &mut body, &mut |s, kind, _| match json_of(s, kind) {
            Some(mut inner) => {
                let mut changed = false;
                string_leaves(&mut inner, &mut |leaf, _| {
                    let m = next();
                    changed |= *leaf != m;
                    *leaf = m;
                });
                if changed {
                    *s = inner.to_string();
                }
            }
            None => *s = next(),
        });
    }
    Ok(MaskedBody {
        body,
        vault,
        outcome,
    })
}

/// The JSON inside a [`TextKind::Json`] string; `None` for prose or for arguments that are
/// not valid JSON (those are masked as prose, so nothing escapes unmasked).
fn json_of(s: &str, kind: TextKind) -> Option<Value> {
    match kind {
        TextKind::Json => serde_json::from_str(s).ok(),
        TextKind::Plain => None,
    }
}
