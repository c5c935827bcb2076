"""Chat-templates the (prompt, response) pairs and tokenizes them for training.

Each example is  [context tokens] + [reply tokens (at most --reply-cap)] (+ <|im_end|> when the
whole reply fits), where the context is the ChatML rendering of the conversation up to and
including the generation prompt "<|im_start|>assistant\n". A context longer than its budget
(window - reply tokens) is left-truncated to [<|im_start|>] + its last (budget - 1) tokens, the
same rule the engine applies to long conversations. Loss is only on the reply tokens (and the
eos), with extra weight on the first --open-tokens reply tokens.

Light augmentation (seeded): a share of the examples get a short system message, and a share get
an earlier (unrelated) user/assistant exchange from the corpus in front, so that the model sees
the multi-turn ChatML shapes the proxy will feed it. The validation split (--val examples of the
corpus, seeded) is never augmented. draft_heldout.jsonl is not read here.
"""

import argparse
import json
import pickle
import random
from pathlib import Path

from tokenizers import Tokenizer

from common import DEFAULT_DATA, IM_END_ID, IM_START_ID, render_chat, split as corpus_split

SYSTEMS = [
    "You are a helpful assistant.",
    "You are a helpful, concise assistant.",
    "You are a helpful AI assistant.",
    "Answer the user's questions accurately and briefly.",
    "You are an expert assistant. Be clear and precise.",
]


def encode_example(tok, messages, reply, window, reply_cap, open_tokens, open_weight, whole=True):
    """`whole`: `reply` is the entire reply, so an eos follows it when it fits (a teacher's
    opener cut at its token limit is not whole)."""
    ctx = tok.encode(render_chat(messages, True), add_special_tokens=False).ids
    rep = tok.encode(reply, add_special_tokens=False).ids
    tgt = rep[:reply_cap] + ([IM_END_ID] if whole and len(rep) <= reply_cap else [])
    budget = window - len(tgt)
    if len(ctx) > budget:
        ctx = [IM_START_ID] + ctx[-(budget - 1):]
    w = [open_weight if i < open_tokens else 1.0 for i in range(len(tgt))]
    return {"ids": ctx + tgt, "n_ctx": len(ctx), "w": w}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--window", type=int, default=192)
    ap.add_argument("--reply-cap", type=int, default=40)
    ap.add_argument("--open-tokens", type=int, default=8)
    ap.add_argument("--open-weight", type=float, default=2.0)
    ap.add_argument("--val", type=int, default=300)
    ap.add_argument("--p-system", type=float, default=0.1)
    ap.add_argument("--p-history", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--teacher", type=Path, default=None,
                    help="folder of teacher_openers.py output (train.jsonl, val.jsonl): the teacher's "
                         "opener replaces the reference reply, and pairs without one are left out")
    a = ap.parse_args()
    tok = Tokenizer.from_file(a.tokenizer)
    pairs = [json.loads(l) for l in open(a.data / "draft_corpus.jsonl", encoding="utf-8")]
    rng = random.Random(a.seed)
    val_idx, train_idx = corpus_split(rng, len(pairs), a.val)
    whole = {}
    if a.teacher:
        for split in ("train", "val"):
            for line in open(a.teacher / f"{split}.jsonl", encoding="utf-8"):
                t = json.loads(line)
                pairs[t["i"]] = {"prompt": pairs[t["i"]]["prompt"], "response": t["opener"].strip()}
                whole[t["i"]] = t["done"]
        val_idx = [i for i in val_idx if i in whole]
        train_idx = [i for i in train_idx if i in whole]
    args = (a.window, a.reply_cap, a.open_tokens, a.open_weight)
    train, val = [], []
    n_sys = n_hist = 0
    for i in train_idx:
        p = pairs[i]
        msgs = []
        if rng.random() < a.p_system:
            msgs.append({"role": "system", "content": rng.choice(SYSTEMS)})
            n_sys += 1
        if rng.random() < a.p_history:
            h = pairs[rng.choice(train_idx)]
            msgs += [{"role": "user", "content": h["prompt"]},
                     {"role": "assistant", "content": h["response"]}]
            n_hist += 1
        msgs.append({"role": "user", "content": p["prompt"]})
        ex = encode_example(tok, msgs, p["response"], *args, whole=whole.get(i, True))
        train.append(ex)
    for i in val_idx:
        p = pairs[i]
        val.append(encode_example(tok, [{"role": "user", "content": p["prompt"]}], p["response"], *args,
                                  whole=whole.get(i, True)))
    a.out.mkdir(parents=True, exist_ok=True)
    meta = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items() if k not in ("data", "out")}
    with open(a.out / "examples.pkl", "wb") as f:
        pickle.dump({"train": train, "val": val, "meta": meta}, f)
    ntok = sum(len(e["ids"]) for e in train)
    nloss = sum(len(e["w"]) for e in train)
    print(f"prepare: {len(train)} train / {len(val)} val examples, {ntok} train tokens "
          f"({nloss} with loss), system {n_sys}, history {n_hist}, window {a.window}")


if __name__ == "__main__":
    main()
