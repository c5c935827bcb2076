"""Labels, encoding of examples into token labels, span decoding and entity metrics."""

import json

TYPES = ["PERSON", "LOCATION", "ORGANIZATION", "ADDRESS"]
LABELS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]
LABEL2ID = {l: i for i, l in enumerate(LABELS)}
IGNORE = -100


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def token_labels(offsets, special_mask, spans, label2id=LABEL2ID):
    """BIO label ids for tokens (character offsets, special-token mask): a token takes the type
    of the span containing its first character; B on the first token of a span, I on the rest;
    special tokens are ignored. `label2id`: the label set (the teacher's adds MISC)."""
    labels = []
    started = set()
    for (s, e), special in zip(offsets, special_mask):
        if special:
            labels.append(IGNORE)
            continue
        lab = "O"
        for k, (ss, se, typ) in enumerate(spans):
            if ss <= s < se:
                lab = ("I-" if k in started else "B-") + typ
                started.add(k)
                break
        labels.append(label2id[lab])
    return labels


def decode(label_ids, labels=LABELS):
    """Spans (first_token, last_token_exclusive, type) from BIO label ids over `labels`. An I-
    that does not continue a span of its type opens a new one (lenient, as most
    token-classification pipelines do)."""
    spans = []
    cur = None
    for i, lid in enumerate(label_ids):
        lab = labels[lid] if lid >= 0 else "O"
        if lab == "O":
            if cur:
                spans.append(tuple(cur))
            cur = None
            continue
        p, typ = lab.split("-", 1)
        if p == "B" or cur is None or cur[2] != typ:
            if cur:
                spans.append(tuple(cur))
            cur = [i, i + 1, typ]
        else:
            cur[1] = i + 1
    if cur:
        spans.append(tuple(cur))
    return spans


class Scores:
    """Exact-match entity precision/recall/F1 per type, micro-averaged overall."""

    def __init__(self):
        self.tp = {t: 0 for t in TYPES}
        self.fp = {t: 0 for t in TYPES}
        self.fn = {t: 0 for t in TYPES}

    def add(self, gold_ids, pred_ids):
        mask = [g != IGNORE for g in gold_ids]
        g = set(decode([x if m else 0 for x, m in zip(gold_ids, mask)]))
        p = set(decode([x if m else 0 for x, m in zip(pred_ids, mask)]))
        for s in p & g:
            self.tp[s[2]] += 1
        for s in p - g:
            self.fp[s[2]] += 1
        for s in g - p:
            self.fn[s[2]] += 1

    @staticmethod
    def _prf(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 4), "r": round(r, 4), "f1": round(f, 4), "support": tp + fn}

    def report(self):
        out = {t: self._prf(self.tp[t], self.fp[t], self.fn[t]) for t in TYPES}
        out["overall"] = self._prf(sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()))
        return out
