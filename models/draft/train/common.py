"""Shared constants: special tokens, chat template, paths."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
# models/draft/train -> repo root is parents[2]; the shared data lies next to the repo.
DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared/data/draft"

# Same special tokens, ids and roles as SmolLM2-Instruct, so one Rust code path serves both.
ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END]  # ids 0, 1, 2
ENDOFTEXT_ID, IM_START_ID, IM_END_ID = 0, 1, 2

def split(rng, n, val):
    """The corpus split every script shares: indices 0..n shuffled by `rng` (random.Random(seed),
    which prepare.py goes on using), the first `val` held out for validation. Returns (val, train),
    each sorted."""
    idx = list(range(n))
    rng.shuffle(idx)
    return sorted(idx[:val]), sorted(idx[val:])


# HF-style Jinja ChatML template (no default system message).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def render_chat(messages, add_generation_prompt=True):
    """Python equivalent of CHAT_TEMPLATE."""
    s = "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    if add_generation_prompt:
        s += f"{IM_START}assistant\n"
    return s
