#!/usr/bin/env python3
"""Converts Universal NER (UNER v1, github.com/UniversalNER, CC BY-SA 4.0) files to character
spans over each sentence's original text (the `# text =` line), one JSON object per line:
{"id", "text", "gold": [[start, end, "PER" | "LOC" | "ORG"], ...]} (UNER's OTH is left out).

    python3 benches/data/make_uner.py IOB2 OUT

Writes what the project uses:
- benches/data/uner_en_pud.jsonl     English PUD test (1,000 news and Wikipedia sentences,
  UNER_English-PUD commit 07ea0553144e3fcf3d6633efe2a075b725a0d262): the tagger's real-text
  dev set, evaluation only, never trained on;
- benches/data/uner_de_pud.jsonl     German PUD test (the same 1,000 sentences in German,
  UNER_German-PUD commit 47eb039b6d80079b280ba70efe4136413fb7af9c): names in German
  sentences, evaluation only;
- models/tagger/train/real/uner_en_ewt_train.jsonl   English EWT train (web text: reviews,
  e-mails, answers, blogs; UNER_English-EWT commit 0c7ce0debb13a7d304da656f16309397e8ff36ef):
  real text people write, for training.

A sentence whose tokens cannot be found in order in its text is skipped (and counted).
"""
import json
import sys

KINDS = {"PER", "LOC", "ORG"}


def sentences(path):
    text, tokens = None, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# text = "):
            text = line[len("# text = "):]
        elif line.startswith("#"):
            continue
        elif not line.strip():
            if text is not None and tokens:
                yield text, tokens
            text, tokens = None, []
        else:
            cols = line.split("\t")
            tokens.append((cols[1], cols[2]))
    if text is not None and tokens:
        yield text, tokens


def spans(text, tokens):
    """Character spans of the BIO entities, or None when the tokens do not align."""
    at, offsets = 0, []
    for tok, _ in tokens:
        start = text.find(tok, at)
        if start < 0 or text[at:start].strip():
            return None
        offsets.append((start, start + len(tok)))
        at = start + len(tok)
    out, cur = [], None
    for (tok, tag), (s, e) in zip(tokens, offsets):
        kind = tag[2:] if tag != "O" else None
        if tag.startswith("B-") or (tag.startswith("I-") and (cur is None or cur[2] != kind)):
            if cur:
                out.append(cur)
            cur = [s, e, kind]
        elif tag.startswith("I-"):
            cur[1] = e
        else:
            if cur:
                out.append(cur)
            cur = None
    if cur:
        out.append(cur)
    # OTH (other names: events, works, products, nationalities) is not personal data here;
    # a few stray "B-O" tags in EWT train are annotation noise.
    return [g for g in out if g[2] in KINDS]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    kept = skipped = 0
    with open(dst, "w", encoding="utf-8") as f:
        for i, (text, tokens) in enumerate(sentences(src)):
            gold = spans(text, tokens)
            if gold is None:
                skipped += 1
                continue
            f.write(json.dumps({"id": f"s{i:05d}", "text": text, "gold": gold}, ensure_ascii=False) + "\n")
            kept += 1
    print(f"{dst}: {kept} sentences, {skipped} skipped (tokens not found in the text)")


if __name__ == "__main__":
    main()
