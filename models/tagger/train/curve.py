"""The size/latency side of the model card's curve: the teacher exported to int8 ONNX like the
students, and every model timed side by side in one run (batch 1, 2 threads, 256 and 64
tokens, rounds alternating between the models so that the machine's drift hits them alike).

    python curve.py --teacher work/teacher.pt --models old=/tmp/oldmodel/model.onnx new=../model.onnx

The teacher's graph takes a third input, the case shape of every token (teacher.py); it is
fed zeros here, which costs the same.
"""

import argparse
import json
import os
import time

import numpy as np
import torch

import teacher as T
from onnx_util import quantize, session


class Exportable(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, case_shapes):
        return self.model(input_ids, attention_mask, case_shapes)


def export_teacher(ckpt, base, out_dir):
    fp32, int8 = os.path.join(out_dir, "teacher.onnx"), os.path.join(out_dir, "teacher.int8.onnx")
    if os.path.exists(int8):
        return int8
    model = T.load(ckpt, base)
    ids = torch.ones(1, 16, dtype=torch.long)
    torch.onnx.export(Exportable(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), fp32,
                      input_names=["input_ids", "attention_mask", "case_shapes"], output_names=["logits"],
                      dynamic_axes={k: {0: "b", 1: "s"} for k in ("input_ids", "attention_mask", "case_shapes", "logits")},
                      opset_version=17, dynamo=False)
    quantize(fp32, int8, embeddings=True)
    return int8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="work/teacher.pt")
    ap.add_argument("--base", default="work/minilm")
    ap.add_argument("--models", nargs="*", default=[], help="name=path.onnx")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=60)
    a = ap.parse_args()
    models = dict(m.split("=", 1) for m in a.models)
    models["teacher"] = export_teacher(a.teacher, a.base, "work")
    sessions = {k: session(v) for k, v in models.items()}
    rng = np.random.default_rng(0)
    times = {(k, n): [] for k in models for n in (64, 256)}
    for _ in range(a.rounds):
        for k, sess in sessions.items():
            names = {i.name for i in sess.get_inputs()}
            for n in (64, 256):
                feed = {"input_ids": rng.integers(5, 8000, size=(1, n), dtype=np.int64),
                        "attention_mask": np.ones((1, n), dtype=np.int64)}
                if "case_shapes" in names:
                    feed["case_shapes"] = np.zeros((1, n), dtype=np.int64)
                for _ in range(5):
                    sess.run(None, feed)
                for _ in range(a.runs):
                    t = time.perf_counter()
                    sess.run(None, feed)
                    times[(k, n)].append((time.perf_counter() - t) * 1000)
    for k, path in models.items():
        print(json.dumps({"model": k, "mb": round(os.path.getsize(path) / 1e6, 2),
                          **{f"p50_{n}": round(float(np.percentile(times[(k, n)], 50)), 2) for n in (64, 256)},
                          **{f"p99_{n}": round(float(np.percentile(times[(k, n)], 99)), 2) for n in (64, 256)}}))


if __name__ == "__main__":
    main()
