"""Adds real, human-written text to the generated training data of the student.

    python add_real.py --data data --real real --teacher data/teacher.jsonl --max-per-set 6000 --seed 13

Two kinds of real text:
  * gold: every real/*.jsonl except the *_dev files (Universal NER in English, Danish,
    Portuguese, Swedish, Croatian, Serbian, Slovak and Chinese, the Broad Twitter Corpus,
    wikigold and GermEval 2014; sources, commits and licences in real/SOURCE.md), with their
    own PER / LOC / ORG spans (their MISC spans stay O). English Web Treebank is taken whole,
    every other set at most --max-per-set sentences (chosen with the seed);
  * teacher-labelled: the teacher's spans over real unlabelled text (label.py).
Everything is shuffled in with the generated examples in data/train.jsonl. The English Web
Treebank dev split joins data/dev.jsonl, which picks the checkpoint, so that the choice weighs
real text too. The project's real-text evaluation sets (English and German PUD) are a
different source and are never read here.
"""

import argparse
import glob
import json
import os
import random
import shutil

TYPE = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}


def extend(a):
    """A second stage's data: a copy of --data whose train.jsonl also holds --teacher's lines."""
    os.makedirs(a.out, exist_ok=True)
    lines = open(os.path.join(a.data, "train.jsonl"), encoding="utf-8").read().splitlines()
    extra = open(a.teacher, encoding="utf-8").read().splitlines()
    lines += extra
    random.Random(a.seed).shuffle(lines)
    with open(os.path.join(a.out, "train.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for name in ("dev.jsonl", "test.jsonl", "stats.json"):
        shutil.copyfile(os.path.join(a.data, name), os.path.join(a.out, name))
    print(f"add_real: {a.out}/train.jsonl = {a.data}/train.jsonl + {len(extra)} lines of {a.teacher} -> {len(lines)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--real", default="real")
    ap.add_argument("--teacher", default=None, help="teacher-labelled text (label.py), optional")
    ap.add_argument("--max-per-set", type=int, default=6000)
    ap.add_argument("--generated", type=int, default=None, help="keep only the first N generated examples")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--extend", action="store_true",
                    help="only write --out: --data's examples plus --teacher's (a second stage)")
    ap.add_argument("--out", default="data2")
    a = ap.parse_args()
    if a.extend:
        return extend(a)
    rng = random.Random(a.seed)
    path = os.path.join(a.data, "train.jsonl")
    lines = open(path, encoding="utf-8").read().splitlines()[: a.generated]
    added = {"generated": len(lines)}
    for real in sorted(glob.glob(os.path.join(a.real, "*.jsonl"))):
        name = os.path.basename(real)
        if "_dev" in name:
            continue
        rows = load(real, name)
        rng.shuffle(rows)
        if not name.startswith("uner_en_"):
            rows = rows[: a.max_per_set]
        lines += [json.dumps(r, ensure_ascii=False) for r in rows]
        added[name] = len(rows)
    if a.teacher:
        rows = open(a.teacher, encoding="utf-8").read().splitlines()
        lines += rows
        added[os.path.basename(a.teacher)] = len(rows)
    rng.shuffle(lines)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    dev = load(os.path.join(a.real, "uner_en_ewt_dev.jsonl"), "uner_en_ewt_dev")
    with open(os.path.join(a.data, "dev.jsonl"), "a", encoding="utf-8") as f:
        for r in dev:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"add_real: {added} -> {len(lines)} training examples; {len(dev)} real dev sentences")


def load(path, name):
    out = []
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        spans = [[s, e, TYPE[t]] for s, e, t in d["gold"]]
        out.append({"text": d["text"], "spans": spans, "genre": "real", "template": name})
    return out


if __name__ == "__main__":
    main()
