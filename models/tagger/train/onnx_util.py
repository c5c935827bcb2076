"""ONNX export, int8 quantization and latency measurement shared by export.py and size_sweep.py."""

import os
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

OPSET = 17


def export_onnx(model, path, seq=16):
    """Exports `model` (a Tagger) with dynamic batch and sequence axes, HF layout."""
    model.eval()
    ids = torch.ones(1, seq, dtype=torch.long)
    mask = torch.ones(1, seq, dtype=torch.long)
    torch.onnx.export(
        model, (ids, mask), path,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"},
        },
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )
    onnx.checker.check_model(onnx.load(path))


def quantize(src, dst, embeddings=False):
    """Dynamic int8 quantization of every MatMul/Gemm weight (activations quantized at run time);
    with `embeddings`, the embedding tables (Gather) are stored as int8 too, which shrinks the
    file about threefold."""
    ops = ["MatMul", "Gemm"] + (["Gather"] if embeddings else [])
    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=ops)


def session(path, threads=2):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def latency(path, lengths=(64, 256, 512), threads=2, runs=300, warmup=30, vocab=8000, seed=0):
    """p50/p99 in milliseconds of one batch-1 inference per sequence length."""
    sess = session(path, threads)
    rng = np.random.default_rng(seed)
    out = {}
    for n in lengths:
        ids = rng.integers(5, vocab, size=(1, n), dtype=np.int64)
        mask = np.ones((1, n), dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        for _ in range(warmup):
            sess.run(None, feed)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            sess.run(None, feed)
            times.append((time.perf_counter() - t) * 1000.0)
        times = np.array(times)
        out[n] = {"p50_ms": round(float(np.percentile(times, 50)), 3),
                  "p99_ms": round(float(np.percentile(times, 99)), 3)}
    return out


def file_mb(path):
    return round(os.path.getsize(path) / 1e6, 2)
