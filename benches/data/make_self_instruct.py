#!/usr/bin/env python3
"""Writes benches/data/self_instruct_seed.jsonl, the draft's second held-out set, from the
self-instruct seed tasks (github.com/yizhongw/self-instruct, commit
0b26ccaa415992100fa32df62d41b994cf928e23, data/seed_tasks.jsonl, Apache-2.0): 175 tasks
whose instructions and outputs the paper's authors wrote by hand. One pair per task: the
instruction (and its first instance's input, after a blank line, when it has one) as the
prompt, that instance's output as the response. Never used for training or tuning.

    python3 benches/data/make_self_instruct.py path/to/seed_tasks.jsonl
"""
import json
import sys
from pathlib import Path

OUT = Path(__file__).with_name("self_instruct_seed.jsonl")


def main():
    rows = []
    for line in open(sys.argv[1], encoding="utf-8"):
        task = json.loads(line)
        inst = task["instances"][0]
        prompt = task["instruction"].strip()
        if inst["input"].strip():
            prompt += "\n\n" + inst["input"].strip()
        rows.append({"prompt": prompt, "response": inst["output"].strip()})
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pairs -> {OUT}")


if __name__ == "__main__":
    main()
