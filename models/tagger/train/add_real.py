"""Adds real, human-written sentences with gold labels to the generated training data.

    python add_real.py --data data --real real/uner_en_ewt_train.jsonl \
        --real-dev real/uner_en_ewt_dev.jsonl --repeat 2 --seed 13

real/uner_en_ewt_train.jsonl is Universal NER's English Web Treebank train split (12,543
sentences of reviews, e-mails, answers, blogs and newsgroups; CC BY-SA 4.0; converted by
benches/data/make_uner.py): people, places and organisations as people actually write them,
which the templates cannot give. Each sentence goes into data/train.jsonl --repeat times
(genre "real"), shuffled in with the generated examples. The EWT dev split (2,001 sentences)
joins the generated dev split, which picks the checkpoint, so that the choice weighs real text
too. The project's real-text evaluation sets (English and German PUD) are a different source
and are never read here.
"""

import argparse
import json
import os
import random

TYPE = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--real", default="real/uner_en_ewt_train.jsonl")
    ap.add_argument("--real-dev", default="real/uner_en_ewt_dev.jsonl")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()
    real, real_dev = load(a.real), load(a.real_dev)
    path = os.path.join(a.data, "train.jsonl")
    lines = open(path, encoding="utf-8").read().splitlines()
    lines += [json.dumps(r, ensure_ascii=False) for r in real] * a.repeat
    random.Random(a.seed).shuffle(lines)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.data, "dev.jsonl"), "a", encoding="utf-8") as f:
        for r in real_dev:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"add_real: {len(real)} real sentences x {a.repeat} -> {len(lines)} training examples; "
          f"{len(real_dev)} real dev sentences")


def load(path):
    out = []
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        spans = [[s, e, TYPE[t]] for s, e, t in d["gold"]]
        out.append({"text": d["text"], "spans": spans, "genre": "real", "template": "uner_en_ewt"})
    return out


if __name__ == "__main__":
    main()
