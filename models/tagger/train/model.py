"""The veilgate token tagger: a small bidirectional Transformer encoder over subword tokens.

Inputs and outputs follow the Hugging Face token-classification layout (what optimum exports):
`input_ids` and `attention_mask` int64 [batch, seq] in, `logits` float [batch, seq, num_labels]
out. Attention is written with plain MatMul/Softmax so that the ONNX graph is simple and
`quantize_dynamic` turns every projection into an int8 MatMul.
"""

import math

import torch
from torch import nn


class Config:
    """Architecture hyper-parameters (written to config.json by export.py)."""

    def __init__(self, vocab_size, num_labels, hidden_size=128, num_layers=4, num_heads=4,
                 ffn_size=512, max_positions=512, dropout=0.1):
        self.vocab_size = vocab_size
        self.num_labels = num_labels
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.ffn_size = ffn_size
        self.max_positions = max_positions
        self.dropout = dropout

    def to_dict(self):
        return dict(self.__dict__)


class SelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h = cfg.num_heads
        self.dh = cfg.hidden_size // cfg.num_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.out = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, bias):
        b, s, d = x.shape
        qkv = self.qkv(x).view(b, s, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [b, h, s, dh]
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh)) + bias
        probs = self.drop(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, d)
        return self.out(ctx)


class Layer(nn.Module):
    """Post-LN encoder layer (as BERT)."""

    def __init__(self, cfg):
        super().__init__()
        self.attn = SelfAttention(cfg)
        self.ln1 = nn.LayerNorm(cfg.hidden_size)
        self.ff1 = nn.Linear(cfg.hidden_size, cfg.ffn_size)
        self.ff2 = nn.Linear(cfg.ffn_size, cfg.hidden_size)
        self.ln2 = nn.LayerNorm(cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, bias):
        x = self.ln1(x + self.drop(self.attn(x, bias)))
        x = self.ln2(x + self.drop(self.ff2(nn.functional.gelu(self.ff1(x)))))
        return x


class Tagger(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.pos = nn.Embedding(cfg.max_positions, cfg.hidden_size)
        self.ln = nn.LayerNorm(cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg.num_layers)])
        self.cls = nn.Linear(cfg.hidden_size, cfg.num_labels)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask, pos_offset=None):
        s = input_ids.shape[1]
        pos = torch.arange(s, device=input_ids.device).unsqueeze(0)
        if pos_offset is not None:
            # Training only: shift positions so that every learned position embedding up to
            # max_positions is trained although training sequences are short.
            pos = pos + pos_offset.unsqueeze(1)
        x = self.drop(self.ln(self.tok(input_ids) + self.pos(pos)))
        bias = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return self.cls(x)


def count_params(model):
    return sum(p.numel() for p in model.parameters())
