"""Trains the tagger on the generated data; keeps the checkpoint with the best dev entity F1.

    python train.py --data data --tokenizer ../tokenizer.json --out work/model.pt
"""

import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
from tokenizers import Tokenizer

from common import IGNORE, LABELS, Scores, read_jsonl, token_labels
from model import Config, Tagger, count_params

T0 = time.time()


def log(*a):
    print(time.strftime("%H:%M:%S"), f"[{time.time() - T0:7.1f}s]", *a, flush=True)


def resplit(enc, text, vocab, rng, p):
    """Subword dropout: some words are re-cut into other in-vocabulary WordPiece pieces (e.g.
    "Thomas" -> "Th ##om ##as"), so that the model learns to read names from pieces, as it
    must for every name that is not a whole token."""
    ids, offs, special = [], [], []
    groups = []
    for i, w in enumerate(enc.word_ids):
        if w is None or not groups or groups[-1][0] != w:
            groups.append((w, [i]))
        else:
            groups[-1][1].append(i)
    for w, toks in groups:
        s, e = enc.offsets[toks[0]][0], enc.offsets[toks[-1]][1]
        word = text[s:e]
        new = None
        if w is not None and len(word) >= 3 and rng.random() < p:
            for _ in range(4):
                k = rng.randint(2, min(4, len(word)))
                cuts = sorted(rng.sample(range(1, len(word)), k - 1))
                bounds = list(zip([0] + cuts, cuts + [len(word)]))
                pieces = [vocab.get(word[a:b] if j == 0 else "##" + word[a:b]) for j, (a, b) in enumerate(bounds)]
                if all(x is not None for x in pieces):
                    new = (pieces, [(s + a, s + b) for a, b in bounds])
                    break
        if new:
            ids += new[0]
            offs += new[1]
            special += [0] * len(new[0])
        else:
            ids += [enc.ids[i] for i in toks]
            offs += [enc.offsets[i] for i in toks]
            special += [enc.special_tokens_mask[i] for i in toks]
    return ids, offs, special


def encode_split(tok, path, max_len, dropout=0.0, seed=0):
    exs = read_jsonl(path)
    encs = tok.encode_batch([e["text"] for e in exs])
    vocab = tok.get_vocab()
    rng = random.Random(seed)
    out = []
    for e, enc in zip(exs, encs):
        if dropout and rng.random() < 0.5:
            ids, offs, special = resplit(enc, e["text"], vocab, rng, dropout)
        else:
            ids, offs, special = enc.ids, enc.offsets, enc.special_tokens_mask
        labels = token_labels(offs, special, e["spans"])
        if len(ids) > max_len:  # keep [CLS], cut, close with [SEP]
            ids = ids[: max_len - 1] + [ids[-1]]
            labels = labels[: max_len - 1] + [IGNORE]
        out.append((ids, labels))
    return out


def batches(data, tokens_per_batch, rng, shuffle=True):
    """Length-bucketed batches of about tokens_per_batch (padded) tokens."""
    idx = list(range(len(data)))
    if shuffle:
        rng.shuffle(idx)
    out = []
    chunk = 4000
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: len(data[i][0]))
        cur = []
        longest = 0
        for i in part:
            n = len(data[i][0])
            if cur and max(longest, n) * (len(cur) + 1) > tokens_per_batch:
                out.append(cur)
                cur, longest = [], 0
            cur.append(i)
            longest = max(longest, n)
        if cur:
            out.append(cur)
    if shuffle:
        rng.shuffle(out)
    return out


def collate(data, b):
    n = max(len(data[i][0]) for i in b)
    ids = torch.zeros(len(b), n, dtype=torch.long)
    mask = torch.zeros(len(b), n, dtype=torch.long)
    lab = torch.full((len(b), n), IGNORE, dtype=torch.long)
    for r, i in enumerate(b):
        x, y = data[i]
        ids[r, : len(x)] = torch.tensor(x)
        mask[r, : len(x)] = 1
        lab[r, : len(y)] = torch.tensor(y)
    return ids, mask, lab


def evaluate(model, data, tokens_per_batch=4096):
    model.eval()
    sc = Scores()
    correct = total = 0
    with torch.no_grad():
        for b in batches(data, tokens_per_batch, None, shuffle=False):
            ids, mask, lab = collate(data, b)
            pred = model(ids, mask).argmax(-1)
            for r, i in enumerate(b):
                n = len(data[i][0])
                g = lab[r, :n].tolist()
                p = pred[r, :n].tolist()
                sc.add(g, p)
                for gg, pp in zip(g, p):
                    if gg != IGNORE:
                        total += 1
                        correct += gg == pp
    model.train()
    rep = sc.report()
    rep["token_accuracy"] = round(correct / max(total, 1), 5)
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--tokenizer", default="../tokenizer.json")
    ap.add_argument("--out", default="work/model.pt")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=float, default=4)
    ap.add_argument("--max-minutes", type=float, default=32, help="stop training after this long")
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--tokens-per-batch", type=int, default=2048)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--max-positions", type=int, default=512)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every", type=int, default=250, help="steps between resume states")
    ap.add_argument("--resume", action="store_true", help="continue from work/resume.pt if present")
    ap.add_argument("--init", default=None, help="start from this checkpoint's weights (a second stage)")
    ap.add_argument("--subword-dropout", type=float, default=0.2,
                    help="share of words re-cut into other pieces, in half of the training examples")
    a = ap.parse_args()

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = random.Random(a.seed)

    tok = Tokenizer.from_file(a.tokenizer)
    train = encode_split(tok, os.path.join(a.data, "train.jsonl"), a.max_len, a.subword_dropout, a.seed)
    dev = encode_split(tok, os.path.join(a.data, "dev.jsonl"), a.max_len)
    log(f"train {len(train)} examples, {sum(len(x) for x, _ in train)} tokens; dev {len(dev)}")

    cfg = Config(tok.get_vocab_size(), len(LABELS), hidden_size=a.hidden, num_layers=a.layers,
                 num_heads=a.heads, ffn_size=a.ffn, max_positions=a.max_positions)
    model = Tagger(cfg)
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu", weights_only=False)["state_dict"])
        log(f"initialised from {a.init}")
    log(f"model {count_params(model)} parameters, config {cfg.to_dict()}")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.98))
    steps_per_epoch = len(batches(train, a.tokens_per_batch, random.Random(0)))
    total_steps = int(steps_per_epoch * a.epochs)
    warmup = min(1000, total_steps // 10)

    def lr_at(step):
        if step < warmup:
            return (step + 1) / warmup
        return max(0.02, 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total_steps - warmup))))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=IGNORE)
    log(f"{steps_per_epoch} steps per epoch, {total_steps} steps, warmup {warmup}")

    best = {"f1": -1.0}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    state_path = os.path.join(os.path.dirname(a.out) or ".", "resume.pt")
    step = 0
    run_loss = 0.0
    history = []
    epoch, pos, order = 1, 0, None
    elapsed_before, resumes = 0.0, 0
    if a.resume and os.path.exists(state_path):
        # Continue an interrupted run exactly where it stopped (same batches, same random draws).
        st = torch.load(state_path, map_location="cpu", weights_only=False)
        if st["args"] != {k: v for k, v in vars(a).items() if k not in ("resume", "max_minutes")}:
            raise SystemExit(f"{state_path} belongs to a run with other arguments; delete it")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        step, epoch, pos, order = st["step"], st["epoch"], st["pos"], st["order"]
        run_loss, best, history = st["run_loss"], st["best"], st["history"]
        rng.setstate(st["rng"])
        torch.set_rng_state(st["torch_rng"])
        elapsed_before, resumes = st["elapsed"], st["resumes"] + 1
        log(f"resumed from {state_path} at step {step} (epoch {epoch}, batch {pos})")
    deadline = T0 + a.max_minutes * 60

    def save_state():
        tmp = state_path + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "step": step, "epoch": epoch, "pos": pos, "order": order, "run_loss": run_loss,
                    "best": best, "history": history, "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state(), "elapsed": elapsed_before + time.time() - T0,
                    "resumes": resumes,
                    "args": {k: v for k, v in vars(a).items() if k not in ("resume", "max_minutes")}}, tmp)
        os.replace(tmp, state_path)

    def checkpoint(tag):
        rep = evaluate(model, dev)
        f1 = rep["overall"]["f1"]
        history.append({"step": step, "tag": tag, "dev": rep})
        log(f"eval {tag} step {step}: dev F1 {f1:.4f} "
            + " ".join(f"{t[:3]}={rep[t]['f1']:.3f}" for t in ("PERSON", "LOCATION", "ORGANIZATION", "ADDRESS"))
            + f" tokacc {rep['token_accuracy']:.4f}")
        if f1 > best["f1"]:
            best.update(f1=f1, step=step, dev=rep)
            torch.save({"state_dict": model.state_dict(), "config": cfg.to_dict(), "step": step,
                        "dev": rep}, a.out)

    model.train()
    stop = step >= total_steps
    while not stop:
        if order is None:
            order, pos = batches(train, a.tokens_per_batch, rng), 0
        while pos < len(order):
            b = order[pos]
            pos += 1
            ids, mask, lab = collate(train, b)
            s = ids.shape[1]
            # Half the batches use shifted positions so that all max_positions are trained.
            if rng.random() < 0.5:
                off = torch.tensor([rng.randint(0, a.max_positions - s) for _ in range(len(b))])
            else:
                off = None
            logits = model(ids, mask, off)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), lab.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
            if step % 200 == 0:
                log(f"epoch {epoch} step {step}/{total_steps} loss {run_loss / 200:.4f} lr {sched.get_last_lr()[0]:.2e}")
                run_loss = 0.0
            if step % a.eval_every == 0:
                checkpoint(f"epoch {epoch}")
            if step % a.save_every == 0:
                save_state()
            if step >= total_steps or time.time() > deadline:
                stop = True
                if time.time() > deadline:
                    log(f"time budget of {a.max_minutes} min reached")
                break
        if pos >= len(order):
            epoch, order = epoch + 1, None
    checkpoint("final")
    seconds = round(elapsed_before + time.time() - T0, 1)
    log(f"best dev F1 {best['f1']:.4f} at step {best['step']}; saved {a.out}; {seconds} s of training"
        + (f" over {resumes + 1} sessions" if resumes else ""))
    with open(os.path.splitext(a.out)[0] + ".train.json", "w") as fh:
        json.dump({"best_step": best["step"], "best_dev": best["dev"], "steps": step,
                   "train_seconds": seconds, "resumes": resumes, "args": vars(a),
                   "params": count_params(model), "history": history}, fh, indent=2)
    if os.path.exists(state_path):
        os.remove(state_path)


if __name__ == "__main__":
    main()
