"""The teacher labels real, unlabelled text for the student (sequence-level distillation).

    python label.py --teacher work/teacher.pt --out data/teacher.jsonl --chunks 24000

Text: the prompts and replies of ../../../../shared/data/draft/draft_corpus.jsonl
(databricks-dolly-15k, CC BY-SA 3.0, with Wikipedia context passages; OpenAssistant oasst1,
Apache-2.0; provenance in that folder's SOURCE.md): questions, instructions, letters and
encyclopaedic passages full of people, places and organisations as people write about them.
The texts are cut into chunks of whole sentences (at most --words words), shuffled with the
seed, and --chunks of them from --start on are labelled.

Output lines have the generated data's shape, {"text", "spans": [[start, end, TYPE]],
"genre": "teacher", "template": "draft"}, so that train.py reads them as it reads the rest. The
teacher's MISC spans become O (the student has no MISC class: a work or product is simply not
masked); its other spans keep their type. Spans start at the first character of their first
token and end at the last character of their last token.
"""

import argparse
import json
import os
import random
import re

import torch

import teacher as T

SENT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])")


def chunks(text, max_words):
    for para in re.split(r"\n\s*\n|\n", text):
        para = para.strip()
        if not para:
            continue
        cur = []
        for sent in SENT.split(para):
            n = len(sent.split())
            if cur and sum(len(s.split()) for s in cur) + n > max_words:
                yield " ".join(cur)
                cur = []
            cur.append(sent)
        if cur:
            yield " ".join(cur)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="work/teacher.pt")
    ap.add_argument("--base", default="work/minilm")
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "../../../../shared/data/draft/draft_corpus.jsonl"))
    ap.add_argument("--out", default="data/teacher.jsonl")
    ap.add_argument("--chunks", type=int, default=24000)
    ap.add_argument("--start", type=int, default=0, help="skip the first N chunks (labelled by an earlier call)")
    ap.add_argument("--words", type=int, default=48)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    texts = []
    for line in open(a.corpus, encoding="utf-8"):
        r = json.loads(line)
        for field in ("prompt", "response"):
            texts += [c for c in chunks(r[field], a.words) if len(c.split()) >= 3]
    texts = sorted(set(texts))
    random.Random(a.seed).shuffle(texts)
    texts = texts[a.start: a.start + a.chunks]
    T.log(f"{len(texts)} chunks to label")

    tok = T.tokenizer_for(a.base)
    model = T.load(a.teacher, a.base)
    counts = {t: 0 for t in T.TYPES}
    with open(a.out, "w", encoding="utf-8") as out:
        for start in range(0, len(texts), 64):
            part = texts[start:start + 64]
            for text, (tids, offs, found) in zip(part, T.predict(model, tok, part, 128)):
                spans = []
                for s, e, typ in found:
                    counts[typ] += 1
                    if typ != "MISC":
                        spans.append([s, e, typ])
                if len(tids) >= 128:  # cut by the teacher's window: label only what it saw
                    text = text[: offs[126][1]]
                    spans = [s for s in spans if s[1] <= len(text)]
                out.write(json.dumps({"text": text, "spans": spans, "genre": "teacher",
                                      "template": "draft"}, ensure_ascii=False) + "\n")
            if start % 3200 == 0:
                T.log(f"{start + len(part)}/{len(texts)} labelled; spans so far {counts}")
    T.log(f"done: {len(texts)} chunks, spans {counts}")


if __name__ == "__main__":
    main()
