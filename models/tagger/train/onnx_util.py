"""ONNX export, int8 quantization and latency measurement shared by export.py and size_sweep.py."""

import os
import time

import itertools

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
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
    onnx.save(per_row_activations(onnx.load(dst)), dst)


def per_row_activations(m):
    """Rewrites every DynamicQuantizeLinear so that each token's activation row gets its own scale.

    `quantize_dynamic` quantizes a MatMul's whole input tensor with one scale, taken from its
    extreme values. In a batch that tensor holds every sequence, padding included, so what the
    model found in one text depended on which other texts shared its call (measured: logits moved
    by up to 0.08, enough to flip a borderline span). Here each row [.., k] is quantized
    symmetrically on its own (scale = max|x| / 127, zero point 128) with a blocked QuantizeLinear
    (opset 21) whose block is the whole row, so a text gets the same logits alone or batched, bit
    for bit. The row scale is applied after the integer MatMul and its rescaling by the weight
    scale; the scale the rescaling sees is 1. That keeps ORT's MatMulIntegerToFloat fusion
    correct: fed a [.., 1] activation scale it silently computes wrong results (mean logit error
    0.40 instead of 0.015)."""
    g = m.graph
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = max(o.version, 21)
    init = {i.name: i for i in g.initializer}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def only(name, op):
        found = [c for c in consumers.get(name, []) if c.op_type == op]
        assert len(found) == 1, (name, op, found)
        return found[0]

    consts = {"pr_axes": np.array([-1], dtype=np.int64), "pr_inv127": np.float32(1 / 127.0),
              "pr_eps": np.float32(1e-8), "pr_zero": np.float32(0), "pr_128": np.float32(128),
              "pr_one": np.float32(1)}
    g.initializer.extend(numpy_helper.from_array(np.array(v), k) for k, v in consts.items())
    ids = itertools.count()
    after = {}  # name of a rescaling Mul -> the nodes that apply the row scale to its output
    nodes = []
    for n in g.node:
        if n.op_type != "DynamicQuantizeLinear":
            nodes.append(n)
            continue
        x, (q, scale, zero_point) = n.input[0], n.output
        p = f"{n.name or x}/per_row"

        def node(op, ins, outs, **attrs):
            return helper.make_node(op, ins, outs, name=f"{p}/{op}_{next(ids)}", **attrs)

        row_scale = p + "/scale"
        matmul = only(q, "MatMulInteger")
        rescale = only(only(matmul.output[0], "Cast").output[0], "Mul")
        unscaled = rescale.output[0] + "/before_row_scale"
        after[rescale.name] = [node("Mul", [unscaled, row_scale], [rescale.output[0]])]
        rescale.output[0] = unscaled
        nodes += [
            # max|x| per row without materialising |x|
            node("ReduceMax", [x, "pr_axes"], [p + "/max"], keepdims=1),
            node("ReduceMin", [x, "pr_axes"], [p + "/min"], keepdims=1),
            node("Neg", [p + "/min"], [p + "/neg_min"]),
            node("Max", [p + "/max", p + "/neg_min", "pr_eps"], [p + "/absmax"]),
            node("Mul", [p + "/absmax", "pr_inv127"], [row_scale]),
            # a zero point of 128 per row, shaped like the scale (QuantizeLinear wants both alike)
            node("Mul", [row_scale, "pr_zero"], [p + "/zeros"]),
            node("Add", [p + "/zeros", "pr_128"], [p + "/zp_f"]),
            node("Cast", [p + "/zp_f"], [p + "/zp_rows"], to=TensorProto.UINT8),
            node("QuantizeLinear", [x, row_scale, p + "/zp_rows"], [q], axis=-1,
                 block_size=init[matmul.input[1]].dims[0]),
            # MatMulInteger takes a scalar zero point for A (the same 128); scale 1 for the rescale
            node("ReduceMax", [p + "/zp_rows"], [zero_point], keepdims=0),
            node("Identity", ["pr_one"], [scale]),
        ]
    ordered = []
    for n in nodes:
        ordered.append(n)
        ordered += after.get(n.name, [])
    del g.node[:]
    g.node.extend(ordered)
    onnx.checker.check_model(m)
    return m


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
