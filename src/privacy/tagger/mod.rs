//! The ONNX token tagger: a bidirectional token-classification model that finds people,
//! places, organisations and street addresses in free text.
//!
//! Any Hugging Face token-classification export works (optimum layout: inputs `input_ids`,
//! `attention_mask`, optional `token_type_ids`; output `logits` [batch, tokens, labels];
//! labels from `config.json`'s `id2label`; a `tokenizer.json`). The shipped model is
//! embedded in the binary; `privacy.tagger_model` points at a directory with the same three
//! files to use another.
//!
//! Texts longer than the model's window are cut into overlapping windows by the tokenizer;
//! each token keeps the prediction of the window where it sits farthest from an edge. The
//! windows of concurrent requests share model calls ([`batch`]). Spans come back as byte
//! ranges snapped to whole words.

pub mod batch;
pub mod labels;
pub mod names;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use ort::session::Session;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use super::{fusion, DetectError, Detector, EntityType, Span};
use crate::onnx;
use crate::privacy::everyday::{is_everyday, split_and_trim};
use batch::{Batcher, Runner};
use labels::{
    decode, imperative_verb, join_adjacent, parse_label, plausible, snap_to_words, Label, TokenTag,
};

/// The shipped model (trained by `models/tagger/train/run.sh`).
const EMBEDDED_MODEL: &[u8] = include_bytes!("../../../models/tagger/model.onnx");
const EMBEDDED_TOKENIZER: &[u8] = include_bytes!("../../../models/tagger/tokenizer.json");
const EMBEDDED_CONFIG: &[u8] = include_bytes!("../../../models/tagger/config.json");

/// The score of a full name from the name list, before the tagger's weight: as sure as a
/// middling model find, below any rule.
const NAME_LIST_SCORE: f32 = 0.75;

/// How to load and run the tagger.
#[derive(Debug, Clone)]
pub struct TaggerOptions {
    /// Directory with `model.onnx`, `tokenizer.json`, `config.json`; None = the embedded model.
    pub model_dir: Option<PathBuf>,
    /// The ONNX Runtime library; None = search (see [`crate::onnx`]).
    pub onnxruntime: Option<PathBuf>,
    /// Threads one inference may use.
    pub threads: usize,
    /// Sessions, each on a thread of its own that batches queued windows across requests.
    pub sessions: usize,
    /// Entities whose mean token probability is below this are dropped.
    pub min_score: f32,
    /// A found entity's score is its probability times this weight, so reported scores sit
    /// below those of rules whose matches passed a checksum or a format check (fusion lets
    /// rule matches win overlaps in any case).
    pub weight: f32,
    /// Tokens shared by consecutive windows of a long text.
    pub stride: usize,
    /// Padded tokens per inference call (windows × longest window); a request with more runs
    /// several calls. This bounds the memory one call needs: attention grows with it.
    pub max_batch_tokens: usize,
}

impl Default for TaggerOptions {
    fn default() -> Self {
        TaggerOptions {
            model_dir: None,
            onnxruntime: None,
            threads: 1,
            sessions: 2,
            min_score: 0.5,
            weight: 0.8,
            stride: 32,
            max_batch_tokens: 512,
        }
    }
}

/// A loaded, warmed tagger, shared read-only by all requests.
pub struct Tagger {
    batcher: Batcher,
    tokenizer: Tokenizer,
    labels: Vec<Label>,
    min_score: f32,
    weight: f32,
    source: Arc<str>,
    /// The source of the name list's finds ([`names`]).
    names_source: Arc<str>,
}

/// One window of one text, ready for the model.
struct Window {
    text: usize,
    encoding: Encoding,
}

impl Tagger {
    /// Loads the model, checks that its inputs and outputs fit, and runs it once.
    pub fn load(opts: &TaggerOptions) -> anyhow::Result<Tagger> {
        let ModelFiles {
            model,
            tokenizer,
            config,
            origin,
        } = read_files(opts.model_dir.as_deref())?;
        let labels = read_labels(&config).with_context(|| format!("{origin}: config.json"))?;
        let window = window_size(&config);
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer)
            .map_err(|e| anyhow::anyhow!("{origin}: tokenizer.json: {e}"))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: window,
                stride: opts.stride.min(window / 2),
                ..Default::default()
            }))
            .map_err(|e| anyhow::anyhow!("{origin}: tokenizer.json: {e}"))?;
        tokenizer.with_padding(None);
        let pad_id = ["[PAD]", "<pad>", "<PAD>"]
            .iter()
            .find_map(|t| tokenizer.token_to_id(t))
            .unwrap_or(0);

        let env = onnx::environment(opts.onnxruntime.as_deref())?;
        let mut sessions = onnx::sessions(env, opts.threads, opts.sessions, &model)
            .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        let (token_type_ids, logits) = check_signature(&sessions[0], labels.len())
            .with_context(|| format!("{origin}: model.onnx does not fit a token classifier"))?;
        let runner = Runner {
            pad_id,
            token_type_ids,
            logits,
            classes: labels.len(),
        };
        let warm = tokenizer
            .encode("Warm-up: Ada Lovelace met Charles Babbage in London.", true)
            .map_err(|e| anyhow::anyhow!("{origin}: tokenizer.json: {e}"))?;
        for session in &mut sessions {
            runner
                .run(session, &[warm.get_ids()])
                .map_err(|e| anyhow::anyhow!("{origin}: the model failed its first run: {e}"))?;
        }
        if let Cow::Borrowed(embedded) = model {
            onnx::release_pages(embedded);
        }
        names::load();
        Ok(Tagger {
            batcher: Batcher::start(sessions, runner, opts.max_batch_tokens),
            tokenizer,
            labels,
            min_score: opts.min_score,
            weight: opts.weight,
            source: Arc::from("tagger"),
            names_source: Arc::from("tagger:names"),
        })
    }

    /// Model calls so far and the windows they ran.
    pub fn calls(&self) -> batch::Calls {
        self.batcher.calls()
    }

    /// Runs the model over `texts`; returns one list of entities per text.
    fn tag(&self, texts: &[&str]) -> Result<Vec<Vec<Span>>, String> {
        let mut windows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            if !text.chars().any(char::is_alphabetic) {
                continue;
            }
            let mut encoding = self
                .tokenizer
                .encode(*text, true)
                .map_err(|e| format!("tokenizer: {e}"))?;
            let overflow = encoding.take_overflowing();
            windows.push(Window { text: i, encoding });
            windows.extend(
                overflow
                    .into_iter()
                    .map(|encoding| Window { text: i, encoding }),
            );
        }
        let ids = windows
            .iter()
            .map(|w| w.encoding.get_ids().to_vec())
            .collect();
        let tagged = self.batcher.run(ids)?;
        // Per text: each token's tag and how central it sat in its window.
        let mut tags: Vec<Vec<(TokenTag, usize)>> = vec![Vec::new(); texts.len()];
        for (w, labels) in windows.iter().zip(tagged) {
            let n = labels.len();
            let special = w.encoding.get_special_tokens_mask();
            for (j, (&(start, end), (best, prob))) in
                w.encoding.get_offsets().iter().zip(labels).enumerate()
            {
                if special[j] == 1 || start >= end {
                    continue;
                }
                let tag = TokenTag {
                    start,
                    end,
                    label: self.labels[best],
                    prob,
                };
                tags[w.text].push((tag, j.min(n - 1 - j)));
            }
        }
        Ok(tags
            .into_iter()
            .zip(texts)
            .map(|(mut tokens, text)| {
                let mixed_case = text.chars().any(char::is_lowercase);
                // Overlapping windows saw some tokens twice: keep the more central view.
                tokens.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.1.cmp(&a.1)));
                tokens.dedup_by_key(|t| t.0.start);
                let tokens: Vec<TokenTag> = tokens.into_iter().map(|t| t.0).collect();
                let spans = decode(&tokens)
                    .into_iter()
                    .filter(|e| e.score >= self.min_score)
                    .flat_map(|e| {
                        let (start, end) = snap_to_words(text, e.start, e.end);
                        // Addresses run over lines and abbreviations ("Apt. 4\nSpringfield");
                        // a name, place or company ends with its sentence.
                        let pieces = match e.kind {
                            EntityType::Address => vec![(start, end)],
                            _ => split_and_trim(text, start, end),
                        };
                        pieces.into_iter().map(move |(start, end)| Span {
                            start,
                            end,
                            kind: e.kind,
                            score: e.score * self.weight,
                            source: self.source.clone(),
                        })
                    })
                    .filter(|s| {
                        let value = &text[s.start..s.end];
                        let command =
                            s.kind == EntityType::Person && imperative_verb(text, s.start, s.end);
                        let ordinary = command || is_everyday(text, s.start, s.end, s.kind);
                        !s.is_empty() && plausible(s.kind, value, mixed_case) && !ordinary
                    })
                    .collect();
                // Two subwords of one word may carry different types and snap to the same
                // word: one span per word first, then one per name.
                let spans = join_adjacent(text, fusion::resolve(spans));
                self.with_full_names(text, spans)
            })
            .collect())
    }

    /// Adds the name list's full names ([`names`]): where the model found nothing, and in
    /// place of what it found inside one (a fragment, "Gloria" "Dunbar", or a wrong type).
    /// A model span reaching beyond the name stands: it saw more ("Tom Baker Street").
    fn with_full_names(&self, text: &str, mut spans: Vec<Span>) -> Vec<Span> {
        for (start, end) in names::full_names(text) {
            let overlaps = |s: &Span| s.start < end && start < s.end;
            let inside = |s: &Span| start <= s.start && s.end <= end;
            if spans.iter().any(|s| overlaps(s) && !inside(s))
                || spans
                    .iter()
                    .any(|s| (s.start, s.end, s.kind) == (start, end, EntityType::Person))
            {
                continue;
            }
            let best = spans
                .iter()
                .filter(|s| inside(s))
                .map(|s| s.score)
                .fold(NAME_LIST_SCORE * self.weight, f32::max);
            spans.retain(|s| !inside(s));
            spans.push(Span {
                start,
                end,
                kind: EntityType::Person,
                score: best,
                source: self.names_source.clone(),
            });
        }
        spans.sort_by_key(|s| s.start);
        spans
    }
}

impl Detector for Tagger {
    fn name(&self) -> &str {
        "tagger"
    }

    fn detect(&self, texts: &[&str], out: &mut [Vec<Span>]) -> Result<(), DetectError> {
        let found = self.tag(texts).map_err(|message| DetectError {
            detector: "tagger".into(),
            message,
        })?;
        for (spans, mut new) in out.iter_mut().zip(found) {
            spans.append(&mut new);
        }
        Ok(())
    }
}

/// A model directory's three files, and where they came from (for error messages).
struct ModelFiles {
    model: Cow<'static, [u8]>,
    tokenizer: Cow<'static, [u8]>,
    config: serde_json::Value,
    origin: String,
}

/// Reads `dir`, or the embedded model when `dir` is None.
fn read_files(dir: Option<&Path>) -> anyhow::Result<ModelFiles> {
    let (model, tokenizer, config, origin) = match dir {
        None => (
            Cow::Borrowed(EMBEDDED_MODEL),
            Cow::Borrowed(EMBEDDED_TOKENIZER),
            Cow::Borrowed(EMBEDDED_CONFIG),
            "embedded tagger".to_string(),
        ),
        Some(dir) => {
            let read = |name: &str| {
                std::fs::read(dir.join(name)).with_context(|| {
                    format!(
                        "privacy.tagger_model: cannot read {}",
                        dir.join(name).display()
                    )
                })
            };
            let model = read("model.onnx").or_else(|_| read("onnx/model.onnx"))?;
            (
                Cow::Owned(model),
                Cow::Owned(read("tokenizer.json")?),
                Cow::Owned(read("config.json")?),
                dir.display().to_string(),
            )
        }
    };
    let config = serde_json::from_slice(&config)
        .with_context(|| format!("{origin}: config.json is not JSON"))?;
    Ok(ModelFiles {
        model,
        tokenizer,
        config,
        origin,
    })
}

/// `id2label` as a dense list of labels.
fn read_labels(config: &serde_json::Value) -> anyhow::Result<Vec<Label>> {
    let map = config
        .get("id2label")
        .and_then(|m| m.as_object())
        .context("no id2label map")?;
    let mut labels = vec![None; map.len()];
    for (id, name) in map {
        let i: usize = id
            .parse()
            .with_context(|| format!("id2label key {id:?} is not a number"))?;
        let name = name
            .as_str()
            .with_context(|| format!("id2label[{id}] is not a string"))?;
        *labels
            .get_mut(i)
            .with_context(|| format!("id2label ids are not 0..{}", map.len()))? =
            Some(parse_label(name));
    }
    let labels: Option<Vec<Label>> = labels.into_iter().collect();
    let labels = labels.context("id2label ids are not 0..n")?;
    anyhow::ensure!(
        labels.iter().any(|l| *l != Label::Outside),
        "no label maps onto an entity type we mask"
    );
    Ok(labels)
}

/// The model's window in tokens: its position limit, at most 512.
fn window_size(config: &serde_json::Value) -> usize {
    config
        .get("max_position_embeddings")
        .and_then(|v| v.as_u64())
        .map_or(256, |n| n as usize)
        .clamp(16, 512)
}

/// Checks the inputs and outputs; returns whether `token_type_ids` is wanted and the name of
/// the logits output.
fn check_signature(session: &Session, classes: usize) -> anyhow::Result<(bool, String)> {
    let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    for required in ["input_ids", "attention_mask"] {
        anyhow::ensure!(
            inputs.contains(&required),
            "it has no input {required:?} (inputs: {inputs:?})"
        );
    }
    if let Some(other) = inputs
        .iter()
        .find(|n| !["input_ids", "attention_mask", "token_type_ids"].contains(n))
    {
        anyhow::bail!("it wants an input {other:?} that a token classifier does not have (inputs: {inputs:?})");
    }
    let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    let logits = if outputs.contains(&"logits") {
        "logits"
    } else if outputs.len() == 1 {
        outputs[0]
    } else {
        anyhow::bail!("it has no output \"logits\" (outputs: {outputs:?})")
    };
    let output = session
        .outputs()
        .iter()
        .find(|o| o.name() == logits)
        .expect("found above");
    if let ort::value::ValueType::Tensor { shape, .. } = output.dtype() {
        anyhow::ensure!(
            shape.len() == 3,
            "its {logits:?} output has rank {}, expected [batch, tokens, labels]",
            shape.len()
        );
        let last = shape[2];
        anyhow::ensure!(
            last < 0 || last as usize == classes,
            "its {logits:?} output has {last} classes but config.json names {classes} labels"
        );
    } else {
        anyhow::bail!("its {logits:?} output is not a tensor");
    }
    Ok((inputs.contains(&"token_type_ids"), logits.to_string()))
}
