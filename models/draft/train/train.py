"""Trains the draft LM: AdamW, linear warmup + cosine decay, loss on reply tokens only
(weighted towards the opening), length-bucketed batches, periodic validation, resumable state,
--max-minutes time cap (the best-validation checkpoint is always on disk)."""

import argparse
import json
import math
import os
import pickle
import random
import time

import torch
import torch.nn.functional as F

from common import IM_END_ID
from model import Config, DraftLM


def make_batches(examples, batch_tokens, max_batch, rng):
    """Length-bucketed batches (lengths jittered so buckets differ between epochs), shuffled."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i]["ids"]) + rng.random() * 8, i))
    batches, cur, cur_max = [], [], 0
    for i in order:
        n = len(examples[i]["ids"])
        if cur and (max(cur_max, n) * (len(cur) + 1) > batch_tokens or len(cur) >= max_batch):
            batches.append(cur)
            cur, cur_max = [], 0
        cur.append(i)
        cur_max = max(cur_max, n)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(examples, idx):
    """-> input ids [b, s], targets [b, s], weights [b, s] (0 outside the reply), opener mask."""
    s = max(len(examples[i]["ids"]) for i in idx) - 1
    x = torch.full((len(idx), s), IM_END_ID, dtype=torch.long)
    y = torch.zeros((len(idx), s), dtype=torch.long)
    w = torch.zeros((len(idx), s))
    first = torch.zeros((len(idx), s), dtype=torch.bool)
    for r, i in enumerate(idx):
        e = examples[i]
        ids = torch.tensor(e["ids"])
        n = len(ids) - 1
        x[r, :n] = ids[:-1]
        y[r, :n] = ids[1:]
        k = e["n_ctx"] - 1  # position predicting the first reply token
        w[r, k:k + len(e["w"])] = torch.tensor(e["w"])
        first[r, k:k + min(8, len(e["w"]))] = True
    return x, y, w, first


def lr_at(step, total, peak, warmup, floor):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor * peak + (1 - floor) * peak * 0.5 * (1 + math.cos(math.pi * p))


@torch.no_grad()
def evaluate(model, examples, bf16, batch_tokens=8192):
    model.eval()
    tot = n = tot8 = n8 = 0.0
    rng = random.Random(0)
    for b in make_batches(examples, batch_tokens, 256, rng):
        x, y, w, first = collate(examples, b)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            lg = model.train_forward(x)
        ce = F.cross_entropy(lg.float().flatten(0, 1), y.flatten(), reduction="none").view_as(y)
        m = (w > 0).float()
        tot += float((ce * m).sum()); n += float(m.sum())
        tot8 += float((ce * first).sum()); n8 += float(first.sum())
    model.train()
    return tot / n, tot8 / n8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with examples.pkl (prepare.py)")
    ap.add_argument("--out", required=True, help="work folder: best.pt, last.pt, resume.pt, log")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--ffn", type=int, default=0, help="default: 8/3 * dim rounded to 16")
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--max-batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--lr-floor", type=float, default=0.1)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--max-minutes", type=float, default=0)
    ap.add_argument("--auto-steps-minutes", type=float, default=0,
                    help="measure the step rate over steps 10-40 and set --steps so that training "
                         "takes about this many minutes (the chosen value is logged; pass it as "
                         "--steps to reproduce the run exactly)")
    ap.add_argument("--stop-at", type=int, default=0,
                    help="stop (saving the resume state) after this step; the schedule still "
                         "follows --steps")
    ap.add_argument("--reschedule", action="store_true",
                    help="on resume, keep this --steps (a longer cosine schedule) instead of the "
                         "saved one")
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for matmuls")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init-onnx", default="",
                    help="start from the weights of this draft export (init_onnx.py), e.g. ../model.onnx")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    d = pickle.load(open(os.path.join(a.data, "examples.pkl"), "rb"))
    train, val, meta = d["train"], d["val"], d["meta"]
    ffn = a.ffn or int(round(a.dim * 8 / 3 / 16)) * 16
    cfg = Config(vocab_size=8192, hidden_size=a.dim, intermediate_size=ffn,
                 num_hidden_layers=a.layers, num_attention_heads=a.heads,
                 num_key_value_heads=a.kv_heads, max_position_embeddings=meta["window"])
    torch.manual_seed(a.seed)
    model = DraftLM(cfg)
    if a.init_onnx:
        from init_onnx import state_dict_from_onnx
        missing, unexpected = model.load_state_dict(state_dict_from_onnx(a.init_onnx), strict=False)
        assert not missing and not unexpected, (missing, unexpected)
        print(f"initialised from {a.init_onnx}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    step, best, history, elapsed0 = 0, float("inf"), [], 0.0
    rpath = os.path.join(a.out, "resume.pt")
    if a.resume and os.path.exists(rpath):
        st = torch.load(rpath, map_location="cpu", weights_only=False)
        model.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        step, best, history, elapsed0 = st["step"], st["best"], st["history"], st["elapsed"]
        if not a.reschedule:
            a.steps = st.get("steps", a.steps)
        a.auto_steps_minutes = 0
        print(f"resumed at step {step}")
    print(f"params {model.num_params():,} (embedding {cfg.vocab_size * cfg.hidden_size:,}); "
          f"config {cfg.to_dict()}; train {len(train)} val {len(val)}", flush=True)

    def ckpt(extra=None):
        return {"model": model.state_dict(), "config": cfg.to_dict(), "step": step,
                "prep": meta, "args": vars(a), **(extra or {})}

    def save_resume():
        tmp = rpath + ".tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "best": best,
                    "history": history, "elapsed": elapsed0 + time.time() - t_start,
                    "steps": a.steps}, tmp)
        os.replace(tmp, rpath)

    # Batch order is a pure function of (seed, epoch), so resuming replays the same stream.
    epoch_batches = {}

    def batch_for(step):
        e, i = 0, step
        while True:
            if e not in epoch_batches:
                epoch_batches[e] = make_batches(train, a.batch_tokens, a.max_batch,
                                                random.Random(a.seed * 1000 + e))
            if i < len(epoch_batches[e]):
                return e, epoch_batches[e][i]
            i -= len(epoch_batches[e]); e += 1

    print(f"{len(batch_for(0) and epoch_batches[0])} batches per epoch", flush=True)
    model.train()
    t_start = time.time()
    t_log, tok_log, loss_log, n_log = time.time(), 0, 0.0, 0
    stopped_by_time = False
    while step < a.steps:
        ep, b = batch_for(step)
        x, y, w, _ = collate(train, b)
        lr = lr_at(step, a.steps, a.lr, a.warmup, a.lr_floor)
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            lg = model.train_forward(x)
        ce = F.cross_entropy(lg.float().flatten(0, 1), y.flatten(), reduction="none").view_as(y)
        loss = (ce * w).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        step += 1
        if a.auto_steps_minutes and step == 10:
            t10 = time.time()
        if a.auto_steps_minutes and step == 40:
            rate = 30 / (time.time() - t10) * 0.92  # 8% margin for evaluations and noise
            left = a.auto_steps_minutes * 60 - (elapsed0 + time.time() - t_start)
            a.steps = max(a.warmup + 50, 40 + int(rate * left))
            a.auto_steps_minutes = 0
            print(f"auto steps: {rate:.3f} steps/s -> --steps {a.steps}", flush=True)
        tok_log += x.numel(); loss_log += float(loss.detach()); n_log += 1
        if step % 25 == 0:
            dt = time.time() - t_log
            print(f"step {step} ep {ep} loss {loss_log / n_log:.4f} lr {lr:.2e} "
                  f"{n_log / dt:.2f} steps/s {tok_log / dt:.0f} tok/s", flush=True)
            t_log, tok_log, loss_log, n_log = time.time(), 0, 0.0, 0
        minutes = (elapsed0 + time.time() - t_start) / 60
        over = a.max_minutes and minutes >= a.max_minutes
        if step % a.eval_every == 0 or step == a.steps or over:
            vl, vl8 = evaluate(model, val, a.bf16)
            history.append({"step": step, "epoch": ep, "val_loss": round(vl, 4),
                            "val_loss_first8": round(vl8, 4), "train_loss": round(float(loss), 4),
                            "minutes": round(minutes, 2)})
            print(f"eval step {step}: val {vl:.4f} first8 {vl8:.4f} ({minutes:.1f} min)", flush=True)
            if vl < best:
                best = vl
                torch.save(ckpt({"val_loss": vl}), os.path.join(a.out, "best.pt"))
        if step % a.save_every == 0 or step == a.steps or over:
            save_resume()
        if a.stop_at and step >= a.stop_at and not over:
            save_resume()
            print(f"stopped at step {step} (--stop-at)", flush=True)
            break
        if over:
            print(f"time cap {a.max_minutes} min reached at step {step}", flush=True)
            stopped_by_time = True
            break
    total_min = (elapsed0 + time.time() - t_start) / 60
    torch.save(ckpt({"val_loss": history[-1]["val_loss"] if history else None}),
               os.path.join(a.out, "last.pt"))
    json.dump({"steps_done": step, "steps_planned": a.steps, "stopped_by_time": stopped_by_time,
               "train_minutes": round(total_min, 2), "best_val_loss": round(best, 4),
               "params": model.num_params(), "config": cfg.to_dict(), "prep": meta,
               "args": vars(a), "history": history},
              open(os.path.join(a.out, "train_summary.json"), "w"), indent=2)
    print(f"done: {step} steps in {total_min:.1f} min, best val {best:.4f}", flush=True)


if __name__ == "__main__":
    main()
