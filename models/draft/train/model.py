"""A small Llama-style decoder (RMSNorm, RoPE, SwiGLU, GQA, tied embeddings) in plain PyTorch.

Parameter names follow Hugging Face's LlamaForCausalLM (model.embed_tokens, model.layers.N.
self_attn.q_proj, ..., model.norm), with lm_head tied to the embedding.

`forward(input_ids, attention_mask, position_ids, past)` is the export signature: `past` is a
list of (key, value) tensors [batch, kv_heads, past_len, head_dim] (past_len may be 0),
`attention_mask` covers past + current tokens (1 = attend, 0 = padding), and the call returns
(logits, presents) with presents [batch, kv_heads, past_len + seq, head_dim].
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 8192
    hidden_size: int = 256
    intermediate_size: int = 688
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    max_position_embeddings: int = 256
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.h, self.kvh, self.hd = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        self.q_proj = nn.Linear(c.hidden_size, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(c.hidden_size, self.kvh * self.hd, bias=False)
        self.v_proj = nn.Linear(c.hidden_size, self.kvh * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, bias, past_k=None, past_v=None):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kvh, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present = (k, v)
        rep = self.h // self.kvh
        if rep > 1:
            t = k.shape[2]
            k = k[:, :, None].expand(b, self.kvh, rep, t, self.hd).reshape(b, self.h, t, self.hd)
            v = v[:, :, None].expand(b, self.kvh, rep, t, self.hd).reshape(b, self.h, t, self.hd)
        if bias is None:  # training path: plain causal attention
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd)) + bias
            y = torch.matmul(torch.softmax(att, dim=-1), v)
        y = y.transpose(1, 2).reshape(b, s, self.h * self.hd)
        return self.o_proj(y), present


class MLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, bias, past_k=None, past_v=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class Inner(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class DraftLM(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.config = c
        self.model = Inner(c)
        inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float32) / c.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        self.apply(self._init)
        # GPT-2 style scaled init of the residual output projections.
        for n, p in self.named_parameters():
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * c.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def rope(self, position_ids):
        f = position_ids.unsqueeze(-1).to(torch.float32) * self.inv_freq  # [b, s, hd/2]
        emb = torch.cat([f, f], dim=-1).unsqueeze(1)  # [b, 1, s, hd]
        return emb.cos(), emb.sin()

    def hidden(self, input_ids, position_ids, bias=None, past=None):
        x = self.model.embed_tokens(input_ids)
        cos, sin = self.rope(position_ids)
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, pr = layer(x, cos, sin, bias, pk, pv)
            presents.append(pr)
        return self.model.norm(x), presents

    def logits(self, h):
        return F.linear(h, self.model.embed_tokens.weight)

    def train_forward(self, input_ids):
        """Causal forward over right-padded sequences starting at position 0 -> logits."""
        b, s = input_ids.shape
        pos = torch.arange(s, device=input_ids.device).unsqueeze(0).expand(b, s)
        h, _ = self.hidden(input_ids, pos)
        return self.logits(h)

    def forward(self, input_ids, attention_mask, position_ids, past):
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        total = past_len + s
        # Query i (absolute index past_len + i) may see key j when j <= past_len + i and mask[j] = 1.
        qi = torch.arange(s, device=input_ids.device).unsqueeze(1) + past_len
        kj = torch.arange(total, device=input_ids.device).unsqueeze(0)
        allowed = (kj <= qi).unsqueeze(0).unsqueeze(0) & attention_mask.bool()[:, None, None, :]
        bias = torch.where(allowed, torch.zeros((), dtype=torch.float32),
                           torch.full((), -1e9, dtype=torch.float32))
        h, presents = self.hidden(input_ids, position_ids, bias, past)
        return self.logits(h), presents


def from_checkpoint(path):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    m = DraftLM(Config(**ck["config"]))
    m.load_state_dict(ck["model"])
    m.eval()
    return m, ck
