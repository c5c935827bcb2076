"""Exports the trained tagger to ONNX, quantizes it to int8, verifies it against PyTorch, measures
latency, checks examples.jsonl and writes config.json and train/report.json.

    python export.py --ckpt work/model.pt --data data --outdir ..
"""

import argparse
import json
import os
import time

import numpy as np
import onnx
import torch
from tokenizers import Tokenizer

from common import IGNORE, LABEL2ID, LABELS, Scores, decode, read_jsonl
from model import Config, Tagger, count_params
from onnx_util import export_onnx, file_mb, latency, quantize, session
from train import encode_split


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def predict_torch(model, data):
    out = []
    with torch.no_grad():
        for ids, _ in data:
            x = torch.tensor([ids])
            out.append(model(x, torch.ones_like(x)).argmax(-1)[0].tolist())
    return out


def predict_onnx(sess, data):
    out = []
    for ids, _ in data:
        x = np.array([ids], dtype=np.int64)
        logits = sess.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x)})[0]
        out.append(logits[0].argmax(-1).tolist())
    return out


def score(data, preds):
    sc = Scores()
    for (_, gold), p in zip(data, preds):
        sc.add(gold, p)
    return sc.report()


def agreement(data, a, b):
    same = total = 0
    for (_, gold), pa, pb in zip(data, a, b):
        for g, x, y in zip(gold, pa, pb):
            if g != IGNORE:
                total += 1
                same += x == y
    return round(same / total, 5)


def entities(sess, tok, text):
    """Character spans [start, end, TYPE] predicted for `text` (what the Rust side computes)."""
    enc = tok.encode(text)
    x = np.array([enc.ids], dtype=np.int64)
    logits = sess.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]
    pred = [int(p) if not sp else 0 for p, sp in zip(logits.argmax(-1), enc.special_tokens_mask)]
    return [[enc.offsets[s][0], enc.offsets[e - 1][1], t] for s, e, t in decode(pred)]


def check_examples(sess, tok, path):
    results = []
    for ex in read_jsonl(path):
        got = entities(sess, tok, ex["text"])
        want = [[e["start"], e["end"], e["type"]] for e in ex["entities"]]
        ok = sorted(got) == sorted(want)
        results.append({"text": ex["text"], "must_pass": ex["must_pass"], "pass": ok,
                        "expected": want, "predicted": got})
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="work/model.pt")
    ap.add_argument("--data", default="data")
    ap.add_argument("--outdir", default="..")
    ap.add_argument("--work", default="work")
    ap.add_argument("--quantize-embeddings", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(2)

    ck = torch.load(a.ckpt, map_location="cpu")
    cfg = Config(**ck["config"])
    model = Tagger(cfg)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    tok = Tokenizer.from_file(os.path.join(a.outdir, "tokenizer.json"))

    fp32 = os.path.join(a.work, "model.fp32.onnx")
    int8 = os.path.join(a.outdir, "model.onnx")
    export_onnx(model, fp32)
    quantize(fp32, int8, embeddings=bool(a.quantize_embeddings))
    m = onnx.load(int8)
    io = {"inputs": [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input],
          "outputs": [(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]) for o in m.graph.output],
          "opset": [(o.domain or "ai.onnx", o.version) for o in m.opset_import]}
    log("exported", io, "fp32", file_mb(fp32), "MB, int8", file_mb(int8), "MB")

    s32, s8 = session(fp32), session(int8)
    report = {"params": count_params(model), "config": cfg.to_dict(), "onnx": io,
              "size_mb": {"fp32": file_mb(fp32), "int8": file_mb(int8)},
              "tokenizer_kb": round(os.path.getsize(os.path.join(a.outdir, "tokenizer.json")) / 1024, 1)}
    for split in ("dev", "test"):
        data = encode_split(tok, os.path.join(a.data, split + ".jsonl"), 512)
        pt = predict_torch(model, data)
        o32 = predict_onnx(s32, data)
        o8 = predict_onnx(s8, data)
        r = {"examples": len(data), "torch": score(data, pt), "onnx_fp32": score(data, o32),
             "onnx_int8": score(data, o8),
             "token_agreement_int8_vs_torch": agreement(data, pt, o8),
             "token_agreement_fp32onnx_vs_torch": agreement(data, pt, o32)}
        r["entity_f1_drop_int8"] = round(r["torch"]["overall"]["f1"] - r["onnx_int8"]["overall"]["f1"], 4)
        report[split] = r
        log(split, json.dumps({k: (v["overall"] if isinstance(v, dict) and "overall" in v else v) for k, v in r.items()}))
        for t in ("PERSON", "LOCATION", "ORGANIZATION", "ADDRESS"):
            log(f"  {split} {t:13s} torch {r['torch'][t]}  int8 {r['onnx_int8'][t]}")

    report["latency_int8_batch1_2threads"] = {str(k): v for k, v in latency(int8, vocab=cfg.vocab_size).items()}
    report["latency_int8_batch1_1thread"] = {str(k): v for k, v in latency(int8, threads=1, vocab=cfg.vocab_size).items()}
    log("latency", report["latency_int8_batch1_2threads"], "1 thread", report["latency_int8_batch1_1thread"])

    ex_path = os.path.join(a.outdir, "examples.jsonl")
    if os.path.exists(ex_path):
        res = check_examples(s8, tok, ex_path)
        report["examples"] = res
        for r in res:
            log("example", "PASS" if r["pass"] else "FAIL", "(must_pass)" if r["must_pass"] else "", r["text"][:70],
                "" if r["pass"] else f"expected {r['expected']} got {r['predicted']}")

    config = {
        "model_type": "veilgate-tagger",
        "architectures": ["VeilgateTaggerForTokenClassification"],
        "id2label": {str(i): l for i, l in enumerate(LABELS)},
        "label2id": dict(LABEL2ID),
        "num_labels": len(LABELS),
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_positions,
        "num_hidden_layers": cfg.num_layers,
        "hidden_size": cfg.hidden_size,
        "num_attention_heads": cfg.num_heads,
        "intermediate_size": cfg.ffn_size,
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
        "onnx": {"file": "model.onnx", "opset": dict(io["opset"])["ai.onnx"],
                 "quantization": "dynamic int8 (onnxruntime quantize_dynamic), one activation scale per token row",
                 "inputs": {"input_ids": "int64 [batch, sequence]", "attention_mask": "int64 [batch, sequence]"},
                 "outputs": {"logits": "float32 [batch, sequence, num_labels]"}},
        "tokenizer": {"file": "tokenizer.json", "type": "WordPiece", "cls": "[CLS]", "sep": "[SEP]",
                      "pad": "[PAD]", "unk": "[UNK]", "cls_id": tok.token_to_id("[CLS]"),
                      "sep_id": tok.token_to_id("[SEP]"), "pad_id": tok.token_to_id("[PAD]"),
                      "lowercase": False, "continuing_subword_prefix": "##",
                      "add_special_tokens": True, "recommended_window": 256, "recommended_stride": 32},
        "labeling": {"scheme": "BIO", "subwords": "every subword token is labelled (B- on the first token of an entity, I- on the rest)",
                     "special_tokens": "logits at [CLS]/[SEP]/[PAD] carry no meaning; ignore them",
                     "address": "a street address written as one unit, with number and optionally postcode, city and country, is one ADDRESS span; a city or country written on its own is LOCATION",
                     "titles": "titles (Mr., Dr.) and leading articles (the) are outside entity spans"},
    }
    with open(os.path.join(a.outdir, "config.json"), "w") as fh:
        json.dump(config, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.json"), "w") as fh:
        json.dump(report, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    log("wrote config.json and train/report.json")


if __name__ == "__main__":
    main()
