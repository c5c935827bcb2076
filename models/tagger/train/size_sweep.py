"""Measures int8 ONNX latency of candidate architectures with random weights (latency does not
depend on the weights), to pick the model size from a measurement. Not part of run.sh; its
output is recorded in MODEL_CARD.md.

    .venv/bin/python size_sweep.py
"""

import json
import os
import sys
import tempfile

import torch

from model import Config, Tagger, count_params
from onnx_util import export_onnx, file_mb, latency, quantize

CANDIDATES = [
    # (hidden, layers, heads, ffn)
    (128, 2, 4, 512),
    (128, 3, 4, 512),
    (128, 4, 4, 512),
    (160, 4, 4, 640),
    (192, 3, 4, 768),
    (192, 4, 4, 768),
    (256, 4, 4, 1024),
]


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    vocab = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    cands = CANDIDATES
    if len(sys.argv) > 2:
        cands = [tuple(int(v) for v in c.split(",")) for c in sys.argv[2:]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for d, n, h, f in cands:
            cfg = Config(vocab, 9, hidden_size=d, num_layers=n, num_heads=h, ffn_size=f)
            m = Tagger(cfg)
            fp32 = os.path.join(tmp, "m.onnx")
            int8 = os.path.join(tmp, "m.int8.onnx")
            export_onnx(m, fp32)
            quantize(fp32, int8)
            lat = latency(int8, lengths=(64, 256, 512), runs=200, vocab=vocab)
            lat32 = latency(fp32, lengths=(256,), runs=100, vocab=vocab)
            row = {"hidden": d, "layers": n, "heads": h, "ffn": f, "params": count_params(m),
                   "int8_mb": file_mb(int8), "int8": lat, "fp32_256": lat32[256]}
            rows.append(row)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
