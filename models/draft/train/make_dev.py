"""Writes a random-init tiny model with the final file layout (for building the engine)."""

import argparse
import json
import os

import numpy as np
import torch

from model import Config, DraftLM
from onnx_util import OrtDecoder, export_onnx, quantize, write_side_files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.manual_seed(0)
    cfg = Config(vocab_size=8192, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    m = DraftLM(cfg).eval()
    os.makedirs(a.out, exist_ok=True)
    fp32 = os.path.join(a.out, "model_fp32.onnx")
    export_onnx(m, fp32)
    quantize(fp32, os.path.join(a.out, "model.onnx"))
    os.remove(fp32)
    write_side_files(a.out, cfg, a.tokenizer)
    hf = json.load(open(os.path.join(a.out, "config.json")))
    dec = OrtDecoder(os.path.join(a.out, "model.onnx"), hf)
    out, _ = dec.greedy([1, 30, 40, 50], 5)
    print("dev model ok, params", m.num_params(), "greedy", out)


if __name__ == "__main__":
    main()
