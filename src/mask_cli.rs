//! `veilgate mask`: the detectors on stdin, for scripts and evaluation (DESIGN §7).
//!
//! Without `--jsonl`, all of stdin is one text and one JSON object comes out:
//! `{"masked": "...", "entities": [{"type", "start", "end", "placeholder", "score", "source"}]}`.
//! With `--jsonl`, each input line `{"id", "text"}` gives one output line
//! `{"id", "masked", "entities": [...]}`, each line with its own vault. Offsets are Unicode
//! character offsets into the input (the masker works in bytes; they are converted here).

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::privacy::masker::Found;
use crate::privacy::{Masker, Vault};

/// One masked value as the CLI reports it.
#[derive(Debug, Serialize)]
struct Entity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    start: usize,
    end: usize,
    placeholder: &'a str,
    score: f32,
    source: &'a str,
}

#[derive(Serialize)]
struct Whole<'a> {
    masked: &'a str,
    entities: Vec<Entity<'a>>,
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a serde_json::Value,
    masked: &'a str,
    entities: Vec<Entity<'a>>,
}

#[derive(Deserialize)]
struct InputLine {
    #[serde(default)]
    id: serde_json::Value,
    text: String,
}

/// Masks stdin as one text, or one `{"id","text"}` JSON object per line with `jsonl`, and
/// writes the JSON results to `output`. A line that is not such an object is an error that
/// names its line number; blank lines are skipped.
pub fn run(
    masker: &Masker,
    jsonl: bool,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> anyhow::Result<()> {
    if !jsonl {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .context("reading stdin (it must be UTF-8)")?;
        let (masked, found) = mask_one(masker, &text)?;
        let entities = entities(&text, &found);
        serde_json::to_writer(
            &mut *output,
            &Whole {
                masked: &masked,
                entities,
            },
        )?;
        output.write_all(b"\n")?;
        return Ok(());
    }
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        number += 1;
        if input
            .read_line(&mut line)
            .with_context(|| format!("line {number}: cannot read (it must be UTF-8)"))?
            == 0
        {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed: InputLine = match serde_json::from_str(&line) {
            Ok(p) => p,
            Err(e) => bail!("line {number}: expected a JSON object {{\"id\", \"text\"}}: {e}"),
        };
        let (masked, found) =
            mask_one(masker, &parsed.text).with_context(|| format!("line {number}"))?;
        let entities = entities(&parsed.text, &found);
        serde_json::to_writer(
            &mut *output,
            &Line {
                id: &parsed.id,
                masked: &masked,
                entities,
            },
        )?;
        output.write_all(b"\n")?;
    }
    Ok(())
}

/// Masks one text with a fresh vault; returns the masked text and what was found.
fn mask_one(masker: &Masker, text: &str) -> anyhow::Result<(String, Vec<Found>)> {
    let mut vault = Vault::new();
    vault.reserve_existing(text);
    let mut masked = text.to_string();
    let outcome = masker.mask(&mut [&mut masked], &mut vault)?;
    let found = outcome.found.into_iter().next().unwrap_or_default();
    Ok((masked, found))
}

/// The CLI entities of `found` (sorted by start, non-overlapping), with character offsets.
fn entities<'a>(text: &str, found: &'a [Found]) -> Vec<Entity<'a>> {
    let mut chars = CharOffsets::new(text);
    found
        .iter()
        .map(|f| Entity {
            kind: f.kind.as_str(),
            start: chars.at(f.start),
            end: chars.at(f.end),
            placeholder: &f.placeholder,
            score: f.score,
            source: &f.source,
        })
        .collect()
}

/// Converts increasing byte offsets to character offsets in one pass over the text.
struct CharOffsets<'t> {
    text: &'t str,
    byte: usize,
    chars: usize,
}

impl<'t> CharOffsets<'t> {
    fn new(text: &'t str) -> Self {
        CharOffsets {
            text,
            byte: 0,
            chars: 0,
        }
    }

    /// The character offset of byte offset `b` (a char boundary). Offsets asked for in
    /// increasing order cost one pass in all; a smaller one restarts from the beginning.
    fn at(&mut self, b: usize) -> usize {
        if b < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..b].chars().count();
        self.byte = b;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masker() -> Masker {
        crate::privacy::rules::load(None)
            .expect("embedded rules load")
            .into_masker()
    }

    fn run_str(jsonl: bool, input: &str) -> anyhow::Result<String> {
        let mut out = Vec::new();
        run(&masker(), jsonl, &mut input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn whole_input_gives_one_object_with_character_offsets() {
        let out = run_str(false, "Grüße an jane.roe@example.org!").unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["masked"], "Grüße an [EMAIL_1]!");
        let e = &v["entities"][0];
        assert_eq!(
            (e["start"].as_u64(), e["end"].as_u64()),
            (Some(9), Some(29))
        );
        assert_eq!(e["type"], "EMAIL");
        assert_eq!(e["placeholder"], "[EMAIL_1]");
        assert_eq!(e["source"], "rule:email");
        let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["type", "start", "end", "placeholder", "score", "source"]
        );
    }

    #[test]
    fn jsonl_gives_one_line_per_input_line_each_with_its_own_vault() {
        let input = "{\"id\": \"a\", \"text\": \"x@y.io and z@y.io\"}\n\n{\"id\": 7, \"text\": \"z@y.io\"}\n";
        let out = run_str(true, input).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[0]["masked"], "[EMAIL_1] and [EMAIL_2]");
        assert_eq!(lines[1]["id"], 7);
        assert_eq!(lines[1]["masked"], "[EMAIL_1]");
        let keys: Vec<&String> = lines[1].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "masked", "entities"]);
    }

    #[test]
    fn bad_json_line_names_its_line_number() {
        let err = run_str(true, "{\"id\":1,\"text\":\"ok\"}\nnot json\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let err = run_str(true, "{\"id\":1}\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
    }

    #[test]
    fn text_without_pii_comes_back_unchanged() {
        let out = run_str(false, "Hello there.").unwrap();
        assert_eq!(out, "{\"masked\":\"Hello there.\",\"entities\":[]}\n");
    }

    #[test]
    fn char_offsets_count_characters_across_multibyte_text() {
        let t = "é😀a";
        let mut c = CharOffsets::new(t);
        assert_eq!(c.at(0), 0);
        assert_eq!(c.at(2), 1);
        assert_eq!(c.at(6), 2);
        assert_eq!(c.at(7), 3);
        assert_eq!(c.at(2), 1);
    }
}
