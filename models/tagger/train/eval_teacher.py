"""Scores the teacher alone on the project's real-text dev sets (English and German PUD), with
the overlap matching of benches/eval_pii.py: a gold name is found when a predicted span of any
type overlaps it ("names left" is the share that none overlaps), and typed PERSON precision and
recall count only PERSON spans. The student is scored through the product instead
(benches/eval_pii.py), so the two are comparable point for point.

    python eval_teacher.py --teacher work/teacher.pt [--sets ../../../benches/data/uner_en_pud.jsonl ...]
"""

import argparse
import json
import os
import time

import torch

import teacher as T

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = [os.path.join(HERE, "../../../benches/data", f) for f in ("uner_en_pud.jsonl", "uner_de_pud.jsonl")]


def predict(model, tok, texts):
    return [found for i in range(0, len(texts), 32)
            for _, _, found in T.predict(model, tok, texts[i:i + 32], 256)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="work/teacher.pt")
    ap.add_argument("--base", default="work/minilm")
    ap.add_argument("--sets", nargs="*", default=SETS)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = T.load(a.teacher, a.base)
    tok = T.tokenizer_for(a.base)
    for path in a.sets:
        rows = [json.loads(l) for l in open(path, encoding="utf-8")]
        t0 = time.time()
        preds = predict(model, tok, [r["text"] for r in rows])
        secs = time.time() - t0
        gold_per = found_any = found_typed = 0
        pred_per = pred_per_ok = 0
        for r, p in zip(rows, preds):
            gold = [(s, e) for s, e, t in r["gold"] if t == "PER"]
            gold_per += len(gold)
            for s, e in gold:
                found_any += any(ps < e and s < pe for ps, pe, _ in p)
                found_typed += any(ps < e and s < pe and t == "PERSON" for ps, pe, t in p)
            for ps, pe, t in p:
                if t == "PERSON":
                    pred_per += 1
                    pred_per_ok += any(ps < e and s < pe for s, e in gold)
        print(json.dumps({"set": os.path.basename(path), "sentences": len(rows),
                          "names_left": round(1 - found_any / max(gold_per, 1), 4),
                          "PERSON_R": round(found_typed / max(gold_per, 1), 4),
                          "PERSON_P": round(pred_per_ok / max(pred_per, 1), 4),
                          "seconds": round(secs, 1)}))


if __name__ == "__main__":
    main()
