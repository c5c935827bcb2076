"""Weights of a shipped draft export (`models/draft/model.onnx`), back in PyTorch.

The training checkpoint of a shipped model need not survive the machine it was trained on; its
ONNX export carries every weight: RMSNorm weights and the embedding in fp32, each projection as
a weight-only int8 `MatMulNBits` (blocks of 32 along the input, one fp32 scale per block, zero
point 128). Dequantizing them gives the model back up to that rounding, a start for further
training (distillation from a teacher) that does not repeat the 40-minute pretraining.
"""

import re

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def state_dict_from_onnx(path):
    """A state dict for `DraftLM` (parameter names as in model.py / HF LlamaForCausalLM)."""
    m = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    sd = {}
    for name, arr in init.items():
        if name.startswith("m.model.") and arr.dtype == np.float32:
            sd[name[len("m."):]] = torch.from_numpy(arr.copy())
    for n in m.graph.node:
        if n.op_type != "MatMulNBits":
            continue
        hit = re.match(r"/m/(layers\.\d+/(self_attn|mlp)/\w+)/MatMul", n.name)
        if not hit:  # the output projection: tied to the embedding in DraftLM
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        assert attrs["bits"] == 8 and len(n.input) == 3, (n.name, attrs, n.input)
        k, block = attrs["K"], attrs["block_size"]
        q = init[n.input[1]].astype(np.float32)  # [N, blocks, block]
        scales = init[n.input[2]].reshape(q.shape[0], q.shape[1], 1)
        w = ((q - 128.0) * scales).reshape(q.shape[0], -1)[:, :k]  # [N, K] = nn.Linear layout
        sd["model." + hit.group(1).replace("/", ".") + ".weight"] = torch.from_numpy(w.copy())
    return sd
