//! `veilgate draft`: the draft model on stdin, for trying it out and for evaluation
//! (DESIGN §7).
//!
//! Without `--jsonl`, all of stdin is one user prompt and one JSON object comes out:
//! `{"opener", "drafted", "stop", "prompt_tokens", "tokens", "words", "first_token_ms",
//! "first_word_ms", "total_ms", "tokens_per_s", "eligible"}`. With `--jsonl`, each input
//! line `{"id", "prompt"}` gives one output line with the same fields and its `id`.
//! `eligible` says whether the proxy would draft for this prompt at all (English, form left
//! free: [`crate::draft::fit`]); the opener is drafted either way, for evaluation.

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::draft::fit::fits;
use crate::draft::{Draft, DraftModel, Turn};

#[derive(Serialize)]
struct Output<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    opener: &'a str,
    #[serde(flatten)]
    draft: &'a Draft,
    tokens_per_s: f64,
    eligible: bool,
}

#[derive(Deserialize)]
struct InputLine {
    #[serde(default)]
    id: serde_json::Value,
    prompt: String,
}

/// Drafts an opener for stdin (one prompt), or for one `{"id","prompt"}` object per line
/// with `jsonl`, and writes the JSON results to `output`.
pub fn run(
    model: &DraftModel,
    jsonl: bool,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> anyhow::Result<()> {
    if !jsonl {
        let mut prompt = String::new();
        input
            .read_to_string(&mut prompt)
            .context("stdin is not valid UTF-8")?;
        let prompt = prompt.trim_end();
        let draft = draft_one(model, prompt)?;
        serde_json::to_writer(&mut *output, &result(None, prompt, &draft))?;
        writeln!(output)?;
        return Ok(());
    }
    for (n, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("stdin line {}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(parsed) = serde_json::from_str::<InputLine>(&line) else {
            bail!(
                "stdin line {}: expected a JSON object {{\"id\", \"prompt\"}}",
                n + 1
            );
        };
        let draft = draft_one(model, &parsed.prompt)?;
        let out = result(Some(&parsed.id), &parsed.prompt, &draft);
        serde_json::to_writer(&mut *output, &out)?;
        writeln!(output)?;
    }
    Ok(())
}

fn draft_one(model: &DraftModel, prompt: &str) -> anyhow::Result<Draft> {
    model
        .draft(&[Turn::new("user", prompt)], &mut |_| true)
        .map_err(|e| anyhow::anyhow!("draft model: {e}"))
}

fn result<'a>(id: Option<&'a serde_json::Value>, prompt: &str, draft: &'a Draft) -> Output<'a> {
    // Decoding speed: the tokens after the first over the time they took.
    let decode_ms = draft.total_ms - draft.first_token_ms;
    let tokens_per_s = if draft.tokens > 1 && decode_ms > 0.0 {
        (draft.tokens - 1) as f64 / decode_ms * 1e3
    } else {
        0.0
    };
    Output {
        id,
        opener: &draft.text,
        draft,
        tokens_per_s,
        eligible: fits(prompt),
    }
}
