//! The micro draft model: a small causal language model that writes the first words of a
//! streamed reply on this machine, while the cloud model is still starting (DESIGN §5).
//!
//! Any Hugging Face causal-LM export in the optimum decoder layout works: `model.onnx` with
//! inputs `input_ids`, `attention_mask`, optional `position_ids` and
//! `past_key_values.{i}.key/value`, outputs `logits` and `present.{i}.key/value`, beside its
//! `tokenizer.json`, `config.json` and chat template (`tokenizer_config.json` or
//! `chat_template.jinja`); `generation_config.json` adds end-of-reply tokens. The shipped
//! model is embedded in the binary; `draft.model` points at a directory to use another.
//!
//! One draft: the conversation's tail (at most `context_tokens`) goes through the model in
//! one step, then one token per step with the key/value cache. Words reach the caller as
//! soon as they are whole ([`opener`]); drafting stops by the rules there, or when the next
//! token is unlikely, and does not start at all when the first tokens are unconfident.

pub mod fit;
pub mod opener;
pub mod sample;
pub mod template;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, TensorRef};
use serde::Serialize;
use serde_json::Value;
use tokenizers::Tokenizer;

use crate::config::DraftConfig;
use crate::onnx;
pub use opener::Stop;
use opener::{releasable, visible, visible_final, word_count, Grounding};
use sample::{Sampler, Sampling};
use template::ChatTemplate;
pub use template::Turn;

/// The shipped model (trained by `models/draft/train/run.sh`).
mod embedded {
    pub const MODEL: &[u8] = include_bytes!("../../models/draft/model.onnx");
    pub const TOKENIZER: &[u8] = include_bytes!("../../models/draft/tokenizer.json");
    pub const CONFIG: &[u8] = include_bytes!("../../models/draft/config.json");
    pub const TOKENIZER_CONFIG: &[u8] = include_bytes!("../../models/draft/tokenizer_config.json");
    pub const GENERATION_CONFIG: &[u8] =
        include_bytes!("../../models/draft/generation_config.json");
}

/// How to load and run the draft model.
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// Directory with the model's files; None = the embedded model.
    pub model_dir: Option<PathBuf>,
    /// The ONNX Runtime library; None = search (see [`crate::onnx`]).
    pub onnxruntime: Option<PathBuf>,
    /// Threads one draft step may use (steps are small: one is usually fastest).
    pub threads: usize,
    /// Drafts that run side by side.
    pub sessions: usize,
    /// Most tokens of conversation the model reads (the tail is kept).
    pub context_tokens: usize,
    /// Most tokens one draft writes.
    pub max_new_tokens: usize,
    /// Most words in an opener.
    pub max_words: usize,
    /// Fewest words of an opener that stops mid-sentence ([`opener::releasable`]).
    pub min_words: usize,
    /// Whether an opener stops before the first content word the conversation does not hold
    /// ([`Grounding`]). Always on in the proxy; off only to test the engine's mechanics.
    pub grounded: bool,
    /// The first this many tokens decide whether to draft at all...
    pub start_tokens: usize,
    /// ...by the geometric mean of their probabilities against this.
    pub start_threshold: f32,
    /// Drafting stops before a token less likely than this.
    pub stop_threshold: f32,
    pub sampling: Sampling,
}

impl DraftOptions {
    /// The options of `[draft]`, with the ONNX Runtime library of `[privacy]`.
    pub fn from_config(draft: &DraftConfig, onnxruntime: Option<&Path>) -> DraftOptions {
        DraftOptions {
            model_dir: draft.model.clone(),
            onnxruntime: onnxruntime.map(Path::to_path_buf),
            threads: draft.threads,
            sessions: draft.sessions,
            context_tokens: draft.context_tokens,
            max_new_tokens: draft.max_new_tokens.max(1),
            max_words: draft.max_words.max(1),
            min_words: draft.min_words.clamp(1, draft.max_words.max(1)),
            grounded: true,
            start_tokens: draft.start_tokens.max(1),
            start_threshold: draft.start_threshold,
            stop_threshold: draft.stop_threshold,
            sampling: Sampling {
                temperature: draft.temperature,
                top_p: draft.top_p,
                seed: draft.seed,
            },
        }
    }
}

impl Default for DraftOptions {
    fn default() -> Self {
        DraftOptions::from_config(&DraftConfig::default(), None)
    }
}

/// One draft's outcome. `text` is the raw opener: it may hold personal data from the
/// conversation and must never be logged or audited; the rest are statistics.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    #[serde(skip)]
    pub text: String,
    /// Whether an opener was written (false when the first tokens were unconfident, or the
    /// draft stepped aside).
    pub drafted: bool,
    pub stop: Stop,
    pub prompt_tokens: usize,
    pub tokens: usize,
    pub words: usize,
    /// From the call to the first generated token (the prompt step).
    pub first_token_ms: f64,
    /// From the call to the first word handed out.
    pub first_word_ms: Option<f64>,
    pub total_ms: f64,
}

impl Draft {
    /// A draft that wrote nothing and generated no token, for `stop`.
    pub fn nothing(stop: Stop, total_ms: f64) -> Draft {
        Draft {
            text: String::new(),
            drafted: false,
            stop,
            prompt_tokens: 0,
            tokens: 0,
            words: 0,
            first_token_ms: 0.0,
            first_word_ms: None,
            total_ms,
        }
    }
}

/// Writes openers: the seam between the splice and the model (tests script it).
pub trait Drafter: Send + Sync {
    /// Drafts the opening of the assistant's reply to `turns`, handing each whole word
    /// (with the whitespace before it) to `sink` as soon as it exists; `sink` returns false
    /// to cancel. Blocking.
    fn draft(&self, turns: &[Turn], sink: &mut dyn FnMut(&str) -> bool) -> Result<Draft, String>;
}

impl Drafter for DraftModel {
    fn draft(&self, turns: &[Turn], sink: &mut dyn FnMut(&str) -> bool) -> Result<Draft, String> {
        DraftModel::draft(self, turns, sink)
    }
}

/// A loaded, warmed draft model, shared read-only by all requests.
pub struct DraftModel {
    sessions: onnx::SessionPool,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    eos: Vec<u32>,
    layers: Vec<(String, String)>,
    kv_heads: usize,
    head_dim: usize,
    position_ids: bool,
    use_cache_branch: bool,
    context_tokens: usize,
    opts: DraftOptions,
}

/// The files of a model, read from a directory or from the binary.
struct ModelFiles {
    model: Cow<'static, [u8]>,
    tokenizer: Cow<'static, [u8]>,
    config: Value,
    tokenizer_config: Value,
    chat_template: Option<String>,
    generation_config: Value,
    origin: String,
}

impl DraftModel {
    /// Loads the model, checks that its inputs and outputs fit, and drafts once.
    pub fn load(opts: &DraftOptions) -> anyhow::Result<DraftModel> {
        let files = read_files(opts.model_dir.as_deref())?;
        let origin = files.origin.clone();
        let tokenizer = Tokenizer::from_bytes(&files.tokenizer)
            .map_err(|e| anyhow::anyhow!("{origin}: tokenizer.json: {e}"))?;
        let special = |key: &str| -> String {
            match files.tokenizer_config.get(key) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(o)) => o
                    .get("content")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            }
        };
        let (bos, eos_text) = (special("bos_token"), special("eos_token"));
        let template_source = files.chat_template.clone().or_else(|| {
            files
                .tokenizer_config
                .get("chat_template")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let template = ChatTemplate::new(template_source.as_deref(), &bos, &eos_text)
            .with_context(|| format!("{origin}: chat template"))?;

        let mut eos: Vec<u32> = [&files.generation_config, &files.config]
            .iter()
            .filter_map(|c| c.get("eos_token_id"))
            .flat_map(|v| match v {
                Value::Array(ids) => ids.iter().filter_map(Value::as_u64).collect(),
                v => v.as_u64().into_iter().collect::<Vec<_>>(),
            })
            .map(|id| id as u32)
            .chain(tokenizer.token_to_id(&eos_text))
            .collect();
        eos.sort_unstable();
        eos.dedup();
        if eos.is_empty() {
            anyhow::bail!("{origin}: no end-of-reply token (eos_token_id in config.json or generation_config.json)");
        }

        let config = &files.config;
        let get = |key: &str| config.get(key).and_then(Value::as_u64).map(|v| v as usize);
        let heads = get("num_attention_heads")
            .with_context(|| format!("{origin}: config.json has no num_attention_heads"))?;
        let kv_heads = get("num_key_value_heads").unwrap_or(heads);
        let head_dim = match get("head_dim") {
            Some(d) => d,
            None => {
                get("hidden_size")
                    .with_context(|| format!("{origin}: config.json has no hidden_size"))?
                    / heads
            }
        };
        let window = get("max_position_embeddings").unwrap_or(2048);
        let context_tokens = opts
            .context_tokens
            .min(window.saturating_sub(opts.max_new_tokens))
            .max(16);

        let env = onnx::environment(opts.onnxruntime.as_deref())?;
        let sessions = onnx::sessions(env, opts.threads, opts.sessions, &files.model)
            .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        let signature = Signature::of(&sessions[0]).with_context(|| {
            format!("{origin}: model.onnx does not fit a causal LM with a key/value cache")
        })?;
        let model = DraftModel {
            sessions: sessions.into(),
            tokenizer,
            template,
            eos,
            layers: signature.layers,
            kv_heads,
            head_dim,
            position_ids: signature.position_ids,
            use_cache_branch: signature.use_cache_branch,
            context_tokens,
            opts: opts.clone(),
        };
        model
            .draft(
                &[Turn::new("user", "Hello! How are you today?")],
                &mut |_| true,
            )
            .map_err(|e| anyhow::anyhow!("{origin}: the model failed its first run: {e}"))?;
        if let Cow::Borrowed(embedded) = files.model {
            onnx::release_pages(embedded);
        }
        Ok(model)
    }

    /// Drafts the opening of the assistant's reply to `turns`, handing each whole word (with
    /// the whitespace before it) to `sink` as soon as it exists; `sink` returns false to
    /// cancel. Blocking: run it on the blocking pool. When every session is busy the draft
    /// steps aside at once ([`Stop::Busy`]): under load the cloud's own first words are
    /// sooner than a draft that waits its turn, and drafting would slow the masking.
    pub fn draft(
        &self,
        turns: &[Turn],
        sink: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Draft, String> {
        let started = Instant::now();
        let ms = || started.elapsed().as_secs_f64() * 1e3;
        let Some(mut session) = self.sessions.try_get() else {
            return Ok(Draft::nothing(Stop::Busy, ms()));
        };
        let prompt = self.prompt(turns)?;
        let ground = if self.opts.grounded {
            Grounding::new(turns.iter().map(|t| t.content.as_str()))
        } else {
            Grounding::anything()
        };
        let salt = prompt.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &t| {
            (h ^ t as u64).wrapping_mul(0x100_0000_01b3)
        });
        let mut sampler = Sampler::new(self.opts.sampling, salt);
        let mut cache = Cache::empty(self.layers.len(), self.kv_heads, self.head_dim)?;
        let mut input: Vec<i64> = prompt.iter().map(|&t| t as i64).collect();
        let mut generated: Vec<u32> = Vec::new();
        let mut start_log_prob = 0.0f32;
        let mut text = String::new();
        let mut shown = 0;
        let (mut first_token_ms, mut first_word_ms) = (0.0, None);
        let opts = &self.opts;

        let (stop, last_word_whole) = loop {
            let logits = self.step(&mut session, &input, &mut cache)?;
            let pick = sampler.pick(&logits);
            if generated.is_empty() {
                first_token_ms = ms();
            }
            let starting = generated.len() < opts.start_tokens;
            if self.eos.contains(&pick.token) {
                break (Stop::Eos, true);
            }
            if !starting && pick.prob < opts.stop_threshold {
                let piece = self
                    .tokenizer
                    .decode(&[pick.token], false)
                    .unwrap_or_default();
                break (Stop::Unsure, piece.starts_with(char::is_whitespace));
            }
            if starting {
                start_log_prob += pick.prob.max(1e-9).ln();
            }
            generated.push(pick.token);
            input.clear();
            input.push(pick.token as i64);
            if generated.len() == opts.start_tokens
                && (start_log_prob / opts.start_tokens as f32).exp() < opts.start_threshold
            {
                break (Stop::Unconfident, false);
            }
            text = self
                .tokenizer
                .decode(&generated, true)
                .map_err(|e| format!("tokenizer: {e}"))?
                .trim_start()
                .to_owned();
            if generated.len() < opts.start_tokens {
                continue;
            }
            let (end, stop) = visible(&text, opts.max_words, &ground);
            if end > shown && releasable(&text[..end], stop, opts.min_words) {
                if !sink(&text[shown..end]) {
                    break (Stop::Cancelled, false);
                }
                first_word_ms.get_or_insert_with(ms);
                shown = end;
            }
            if let Some(stop) = stop {
                break (stop, false);
            }
            if generated.len() >= opts.max_new_tokens {
                break (Stop::Tokens, false);
            }
        };
        // Past the first `start_tokens` tokens without stopping as unconfident means the
        // start check passed; a reply that ended before them never drafts.
        let started = generated.len() >= opts.start_tokens;
        if stop != Stop::Unconfident && stop != Stop::Cancelled && last_word_whole && started {
            let end = visible_final(&text, opts.max_words, &ground).max(shown);
            if end > shown
                && releasable(&text[..end], Some(stop), opts.min_words)
                && sink(&text[shown..end])
            {
                first_word_ms.get_or_insert_with(ms);
                shown = end;
            }
        }
        text.truncate(shown);
        Ok(Draft {
            drafted: shown > 0,
            words: word_count(&text),
            text,
            stop,
            prompt_tokens: prompt.len(),
            tokens: generated.len(),
            first_token_ms,
            first_word_ms,
            total_ms: ms(),
        })
    }

    /// The conversation as token ids: the chat template's text, cut to its first token and
    /// its last `context_tokens - 1` (the end, where the reply starts, is what matters).
    fn prompt(&self, turns: &[Turn]) -> Result<Vec<u32>, String> {
        let text = self
            .template
            .render(turns)
            .map_err(|e| format!("chat template: {e}"))?;
        // No token is longer than 16 bytes in practice: skip tokenising what would be cut.
        let keep = self.context_tokens * 16;
        let mut from = text.len().saturating_sub(keep);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let encoding = self
            .tokenizer
            .encode(&text[from..], false)
            .map_err(|e| format!("tokenizer: {e}"))?;
        let ids = encoding.get_ids();
        if ids.len() <= self.context_tokens {
            return Ok(ids.to_vec());
        }
        // Keep the opening token (the template's start marker, as in training) and the
        // conversation's last tokens.
        let mut kept = Vec::with_capacity(self.context_tokens);
        kept.push(ids[0]);
        kept.extend_from_slice(&ids[ids.len() - (self.context_tokens - 1)..]);
        Ok(kept)
    }

    /// One model call: `input` after what `cache` holds; returns the last position's logits
    /// and moves the cache forward.
    fn step(
        &self,
        session: &mut Session,
        input: &[i64],
        cache: &mut Cache,
    ) -> Result<Vec<f32>, String> {
        let past = cache.len;
        let n = input.len();
        let mask = vec![1i64; past + n];
        let positions: Vec<i64> = (past..past + n).map(|p| p as i64).collect();
        fn tensor(shape: [usize; 2], data: &[i64]) -> Result<TensorRef<'_, i64>, String> {
            TensorRef::from_array_view((shape, data)).map_err(|e| format!("input tensor: {e}"))
        }
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
            ("input_ids".into(), tensor([1, n], input)?.into()),
            (
                "attention_mask".into(),
                tensor([1, past + n], &mask)?.into(),
            ),
        ];
        if self.position_ids {
            inputs.push(("position_ids".into(), tensor([1, n], &positions)?.into()));
        }
        let branch;
        if self.use_cache_branch {
            branch = Tensor::from_array(([1usize], vec![past > 0]))
                .map_err(|e| format!("input tensor: {e}"))?;
            inputs.push(("use_cache_branch".into(), (&branch).into()));
        }
        for ((key, value), (k, v)) in self.layers.iter().zip(&cache.values) {
            inputs.push((format!("past_key_values.{key}").into(), k.into()));
            inputs.push((format!("past_key_values.{value}").into(), v.into()));
        }
        let mut outputs = session.run(inputs).map_err(|e| format!("inference: {e}"))?;
        let (shape, logits) = outputs["logits"]
            .try_extract_tensor::<f32>()
            .map_err(|e| format!("logits: {e}"))?;
        if shape.len() != 3 || shape[0] != 1 || shape[1] as usize != n {
            return Err(format!(
                "logits have shape {shape:?}, expected [1, {n}, vocab]"
            ));
        }
        let vocab = shape[2] as usize;
        let last = logits[(n - 1) * vocab..n * vocab].to_vec();
        let mut values = Vec::with_capacity(self.layers.len());
        for (key, value) in &self.layers {
            let mut take = |name: &str| {
                outputs
                    .remove(format!("present.{name}"))
                    .ok_or_else(|| format!("output present.{name} is missing"))
            };
            values.push((take(key)?, take(value)?));
        }
        drop(outputs);
        cache.values = values;
        cache.len = past + n;
        Ok(last)
    }
}

/// The key/value cache of one draft: per layer, the keys and values of every token so far.
struct Cache {
    values: Vec<(DynValue, DynValue)>,
    len: usize,
}

impl Cache {
    fn empty(layers: usize, kv_heads: usize, head_dim: usize) -> Result<Cache, String> {
        let empty = || {
            Tensor::<f32>::from_array(([1usize, kv_heads, 0, head_dim], Vec::<f32>::new()))
                .map(|t| t.into_dyn())
                .map_err(|e| format!("empty cache tensor: {e}"))
        };
        let values = (0..layers)
            .map(|_| Ok((empty()?, empty()?)))
            .collect::<Result<_, String>>()?;
        Ok(Cache { values, len: 0 })
    }
}

/// What the ONNX graph takes: the cache's input names per layer (`"0.key"`, `"0.value"`…).
struct Signature {
    layers: Vec<(String, String)>,
    position_ids: bool,
    use_cache_branch: bool,
}

impl Signature {
    fn of(session: &Session) -> anyhow::Result<Signature> {
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        for required in ["input_ids", "attention_mask"] {
            if !inputs.contains(&required) {
                anyhow::bail!("input `{required}` is missing (inputs: {inputs:?})");
            }
        }
        if !outputs.contains(&"logits") {
            anyhow::bail!("output `logits` is missing (outputs: {outputs:?})");
        }
        let mut layers = Vec::new();
        while inputs.contains(&format!("past_key_values.{}.key", layers.len()).as_str()) {
            let i = layers.len();
            for part in ["key", "value"] {
                if !inputs.contains(&format!("past_key_values.{i}.{part}").as_str()) {
                    anyhow::bail!("input `past_key_values.{i}.{part}` is missing");
                }
                if !outputs.contains(&format!("present.{i}.{part}").as_str()) {
                    anyhow::bail!("output `present.{i}.{part}` is missing");
                }
            }
            layers.push((format!("{i}.key"), format!("{i}.value")));
        }
        if layers.is_empty() {
            anyhow::bail!(
                "no `past_key_values.0.key` input: export the model with its key/value cache \
                 (optimum: --task text-generation-with-past)"
            );
        }
        let known = 2 + 2 * layers.len();
        let position_ids = inputs.contains(&"position_ids");
        let use_cache_branch = inputs.contains(&"use_cache_branch");
        let unknown = inputs.len() - known - position_ids as usize - use_cache_branch as usize;
        if unknown > 0 {
            anyhow::bail!("the model wants inputs this loader does not know (inputs: {inputs:?})");
        }
        Ok(Signature {
            layers,
            position_ids,
            use_cache_branch,
        })
    }
}

fn read_files(dir: Option<&Path>) -> anyhow::Result<ModelFiles> {
    let json = |bytes: &[u8], name: &str, origin: &str| -> anyhow::Result<Value> {
        serde_json::from_slice(bytes).with_context(|| format!("{origin}: {name} is not valid JSON"))
    };
    let Some(dir) = dir else {
        let origin = "the embedded draft model".to_string();
        return Ok(ModelFiles {
            model: Cow::Borrowed(embedded::MODEL),
            tokenizer: Cow::Borrowed(embedded::TOKENIZER),
            config: json(embedded::CONFIG, "config.json", &origin)?,
            tokenizer_config: json(embedded::TOKENIZER_CONFIG, "tokenizer_config.json", &origin)?,
            chat_template: None,
            generation_config: json(
                embedded::GENERATION_CONFIG,
                "generation_config.json",
                &origin,
            )?,
            origin,
        });
    };
    let origin = format!("draft model {}", dir.display());
    let read = |name: &str| {
        std::fs::read(dir.join(name)).with_context(|| format!("{origin}: cannot read {name}"))
    };
    let optional = |name: &str| std::fs::read(dir.join(name)).ok();
    // optimum puts the graph in model.onnx; some exports name it decoder_model_merged.onnx.
    let model = read("model.onnx")
        .or_else(|e| std::fs::read(dir.join("decoder_model_merged.onnx")).map_err(|_| e))?;
    Ok(ModelFiles {
        model: Cow::Owned(model),
        tokenizer: Cow::Owned(read("tokenizer.json")?),
        config: json(&read("config.json")?, "config.json", &origin)?,
        tokenizer_config: match optional("tokenizer_config.json") {
            Some(b) => json(&b, "tokenizer_config.json", &origin)?,
            None => Value::Null,
        },
        chat_template: optional("chat_template.jinja")
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        generation_config: match optional("generation_config.json") {
            Some(b) => json(&b, "generation_config.json", &origin)?,
            None => Value::Null,
        },
        origin,
    })
}
