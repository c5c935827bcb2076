"""ONNX export (decoder with past, HF optimum layout), int8 quantization, HF side files and an
onnxruntime greedy decoder shared by make_dev.py and export.py."""

import json
import os
import shutil
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn

from common import (CHAT_TEMPLATE, ENDOFTEXT, ENDOFTEXT_ID, IM_END, IM_END_ID, IM_START,
                    IM_START_ID)

OPSET = 17


class ExportWrapper(nn.Module):
    """Flat positional signature: input_ids, attention_mask, position_ids, k0, v0, k1, v1, ..."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, input_ids, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(len(flat_past) // 2)]
        logits, presents = self.m(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def io_names(n_layers):
    ins = ["input_ids", "attention_mask", "position_ids"]
    outs = ["logits"]
    for i in range(n_layers):
        ins += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outs += [f"present.{i}.key", f"present.{i}.value"]
    return ins, outs


def export_onnx(model, path):
    c = model.config
    model.eval()
    # Example sizes other than 0/1 so that no axis is specialised; batch 2, seq 3, past 4.
    b, s, p = 2, 3, 4
    ids = torch.randint(3, c.vocab_size, (b, s))
    mask = torch.ones(b, p + s, dtype=torch.long)
    pos = torch.arange(p, p + s).unsqueeze(0).expand(b, s).contiguous()
    flat = []
    for _ in range(c.num_hidden_layers):
        flat += [torch.randn(b, c.num_key_value_heads, p, c.head_dim)] * 2
    ins, outs = io_names(c.num_hidden_layers)
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in ins[3:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in outs[1:]:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad():
        torch.onnx.export(ExportWrapper(model), (ids, mask, pos, *flat), path,
                          input_names=ins, output_names=outs, dynamic_axes=dyn,
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(onnx.load(path))


def quantize(src, dst, method="nbits8", exclude_lm_head=False):
    """int8 weights. "nbits8" (default): weight-only int8 (onnxruntime MatMulNBitsQuantizer, bits 8,
    symmetric, blocks of 32 along K, accuracy_level 4 -> com.microsoft MatMulNBits); activations are
    quantized row by row, so a token's result does not depend on the other tokens in the call
    (cache == full forward).
    "dynamic": quantize_dynamic (per-channel int8 weights, activations quantized per call).
    The embedding Gather stays fp32; with exclude_lm_head the output projection stays fp32."""
    exclude = []
    if exclude_lm_head:
        g = onnx.load(src).graph
        exclude = [n.name for n in g.node if "logits" in n.output]
    if method == "nbits8":
        from onnxruntime.quantization import matmul_nbits_quantizer as mq
        # accuracy_level 4: int8 compute (each activation row quantized per block of 32 at run
        # time, row by row, so still independent of the other tokens); about 15x faster on CPU
        # than the default fp32-compute path of the 8-bit kernel.
        cfg = mq.DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, bits=8,
                                              accuracy_level=4)
        q = mq.MatMulNBitsQuantizer(onnx.load(src), bits=8, block_size=32, is_symmetric=True,
                                    accuracy_level=4, nodes_to_exclude=exclude, algo_config=cfg)
        q.process()
        onnx.save(q.model.model, dst)
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
                         nodes_to_exclude=exclude, per_channel=True)
    onnx.checker.check_model(onnx.load(dst))


def session(path, threads=2):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


class OrtDecoder:
    def __init__(self, path, cfg, threads=2):
        self.sess = session(path, threads)
        self.L, self.kvh, self.hd = cfg["num_hidden_layers"], cfg["num_key_value_heads"], cfg["head_dim"]

    def empty_past(self, b=1):
        z = np.zeros((b, self.kvh, 0, self.hd), dtype=np.float32)
        return [z] * (2 * self.L)

    def step(self, ids, mask, pos, past):
        feed = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
        for i in range(self.L):
            feed[f"past_key_values.{i}.key"] = past[2 * i]
            feed[f"past_key_values.{i}.value"] = past[2 * i + 1]
        out = self.sess.run(None, feed)
        return out[0], out[1:]

    def full_logits(self, ids):
        """One forward over the whole sequence with empty past -> logits [s, vocab]."""
        a = np.asarray(ids, dtype=np.int64)[None]
        lg, _ = self.step(a, np.ones_like(a), np.arange(a.shape[1], dtype=np.int64)[None],
                          self.empty_past())
        return lg[0]

    def greedy(self, prompt_ids, max_new, stop=None):
        """Greedy decoding with the KV cache; first step with empty past. -> (new ids, seconds of
        the decode steps after the prefill)."""
        ids = np.asarray(prompt_ids, dtype=np.int64)[None]
        n = ids.shape[1]
        lg, past = self.step(ids, np.ones((1, n), np.int64), np.arange(n, dtype=np.int64)[None],
                             self.empty_past())
        out = []
        self.last_probs = []  # softmax probability of each chosen token
        t0 = time.perf_counter()
        for _ in range(max_new):
            row = lg[0, -1].astype(np.float64)
            nxt = int(row.argmax())
            self.last_probs.append(float(1.0 / np.exp(row - row[nxt]).sum()))
            out.append(nxt)
            if stop is not None and stop(out):
                break
            total = n + len(out)
            lg, past = self.step(np.array([[nxt]], np.int64), np.ones((1, total), np.int64),
                                 np.array([[total - 1]], np.int64), past)
        return out, time.perf_counter() - t0


def hf_config(cfg):
    c = cfg
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": c.vocab_size,
        "hidden_size": c.hidden_size,
        "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_hidden_layers,
        "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads,
        "head_dim": c.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": c.max_position_embeddings,
        "rms_norm_eps": c.rms_norm_eps,
        "rope_theta": c.rope_theta,
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": IM_START_ID,
        "eos_token_id": IM_END_ID,
        "pad_token_id": IM_END_ID,
        "torch_dtype": "float32",
        "use_cache": True,
    }


def write_side_files(outdir, cfg, tokenizer_path):
    """config.json, generation_config.json, tokenizer.json, tokenizer_config.json."""
    os.makedirs(outdir, exist_ok=True)
    hf = hf_config(cfg)
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
        f.write("\n")
    gen = {"bos_token_id": IM_START_ID, "eos_token_id": [IM_END_ID, ENDOFTEXT_ID],
           "pad_token_id": IM_END_ID, "do_sample": False, "max_new_tokens": 16}
    with open(os.path.join(outdir, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    dst = os.path.join(outdir, "tokenizer.json")
    if os.path.abspath(tokenizer_path) != os.path.abspath(dst):
        shutil.copyfile(tokenizer_path, dst)
    added = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False, "special": True}
             for i, t in enumerate([ENDOFTEXT, IM_START, IM_END])}
    tc = {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": [IM_START, IM_END],
        "bos_token": IM_START,
        "eos_token": IM_END,
        "pad_token": IM_END,
        "unk_token": ENDOFTEXT,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.max_position_embeddings,
        "tokenizer_class": "GPT2Tokenizer",
    }
    with open(os.path.join(outdir, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2)
        f.write("\n")


def file_mb(path):
    return round(os.path.getsize(path) / 1e6, 2)
