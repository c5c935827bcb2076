#!/usr/bin/env python3
"""Opener quality of the draft model, measured with the product's own engine.

    cargo build --release && python3 benches/eval_draft.py [--samples 30] [--json]
    python3 benches/eval_draft.py --calibrate     # choose the thresholds on the dev split

Runs `veilgate draft --jsonl` (the product's engine and stop rules, configured as `veilgate
serve` would be: VEILGATE__DRAFT__* variables apply) over every prompt of each held-out set:

- `../shared/data/draft/draft_heldout.jsonl` (1,000 Dolly and OASST1 pairs), and
- `benches/data/self_instruct_seed.jsonl` (175 hand-written self-instruct seed tasks, a
  different source; see its maker script),

neither of which the model was trained or tuned on, and reports for each:

- drafted: the share of prompts that got an opener at all;
- match@2: of the drafted, the share whose reference reply begins with the opener's first two
  words (one-word openers: that word), case and whitespace folded, at a word boundary;
- full match: of the drafted, the share whose reference begins with the whole opener;
- grounded: of the drafted, the share of openers whose words are all words of the prompt (in
  any form: a rough stem, as the issue defines it), contractions or function words
  (`benches/data/function_words.txt`, a broader list than the engine's): openers that assert
  nothing the user did not say. The engine enforces its own stricter rule
  (src/draft/opener.rs), so this checks it from outside;
- informative: of the drafted, the share of openers of at least 3 words with at least one
  content word of the prompt ("The capital of Australia is", not "The most");
- eligible / drafted of eligible: the prompts the proxy would draft for at all (English, form
  left free: the engine's own gate) and the share of those that got an opener;
- teacher@2 (with --teacher FILE, teacher_openers.py output for draft_heldout): of the
  drafted, the share whose first two words are the teacher's first two words (case and
  punctuation folded);
- the engine's timings and why drafts stopped.

--calibrate instead grids the start and stop thresholds on the dev split (the 300 corpus pairs
`models/draft/train/prepare.py` holds out from training, seed 13) and prints, for each, the
same figures, so that the defaults can be chosen where what is drafted is worth drafting.
"""
import argparse
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data", "draft")
SETS = {
    "draft_heldout": os.path.join(SHARED, "draft_heldout.jsonl"),
    "self_instruct": os.path.join(ROOT, "benches", "data", "self_instruct_seed.jsonl"),
}
FUNCTION_WORDS = {w for line in open(os.path.join(ROOT, "benches", "data", "function_words.txt"), encoding="utf-8")
                  if not line.startswith("#") for w in line.split()}


def norm(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def begins(reference, opener):
    """The reference begins with the opener, case and whitespace folded, at a word boundary
    ("The" does not begin "Theodore")."""
    r, o = norm(reference), norm(opener)
    return r.startswith(o) and (len(r) == len(o) or not r[len(o)].isalnum())


def words_of(text):
    """Lower-case word parts, possessive 's dropped: "Australia's" -> ["australia"]."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("'s", "").replace("\u2019s", ""))


CONTRACTIONS = {"m", "re", "ll", "ve", "d", "t", "don", "doesn", "isn", "aren", "can", "won"}


def stem(word):
    """A rough English stem, so that a word counts as said in any form ("planets" for "planet",
    "improving" for "improve"), as the issue defines grounding (stems, numbers, names)."""
    if any(c.isdigit() for c in word) or len(word) <= 3:
        return word
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", "")):
        if len(word) >= len(suffix) + 3 and word.endswith(suffix) and not (suffix == "s" and word.endswith("ss")):
            word = word[: -len(suffix)] + repl
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def grounded(prompt, opener):
    known = {stem(w) for w in words_of(prompt)}
    return all(w in FUNCTION_WORDS or w in CONTRACTIONS or stem(w) in known for w in words_of(opener))


def informative(prompt, opener):
    said = set(words_of(prompt)) - FUNCTION_WORDS
    return len(opener.split()) >= 3 and any(w in said for w in words_of(opener))


def first_two(text):
    return words_of(" ".join(text.split()[:2]))


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[round((len(values) - 1) * p)]


def run(binary, rows, env=None):
    feed = "".join(json.dumps({"id": i, "prompt": r["prompt"]}) + "\n" for i, r in enumerate(rows))
    out = subprocess.run([binary, "draft", "--jsonl"], input=feed, capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, **(env or {})}).stdout
    results = [json.loads(l) for l in out.splitlines()]
    assert len(results) == len(rows)
    return results


def score(rows, results, teacher=None):
    drafted = [r for r in results if r["drafted"]]
    n = max(1, len(drafted))
    eligible = [r for r in results if r.get("eligible", True)]

    def starts(r, k=None):
        opener = r["opener"].split()
        return begins(rows[r["id"]]["response"], " ".join(opener[:k] if k else opener))

    stops = {}
    for r in results:
        stops[r["stop"]] = stops.get(r["stop"], 0) + 1
    return {
        "prompts": len(rows),
        "drafted_share": round(len(drafted) / len(rows), 4),
        "mean_opener_words": round(statistics.mean(r["words"] for r in drafted), 2) if drafted else 0,
        "match2_of_drafted": round(sum(starts(r, 2) for r in drafted) / n, 4),
        "full_match_of_drafted": round(sum(starts(r) for r in drafted) / n, 4),
        "grounded_of_drafted": round(sum(grounded(rows[r["id"]]["prompt"], r["opener"]) for r in drafted) / n, 4),
        "informative_of_drafted": round(sum(informative(rows[r["id"]]["prompt"], r["opener"]) for r in drafted) / n, 4),
        "eligible_share": round(len(eligible) / len(rows), 4),
        "drafted_of_eligible": round(sum(r["drafted"] for r in eligible) / max(1, len(eligible)), 4),
        **({"teacher_match2_of_drafted": round(
            sum(first_two(r["opener"]) == first_two(teacher[r["id"]]) for r in drafted if r["id"] in teacher)
            / max(1, sum(r["id"] in teacher for r in drafted)), 4),
            "teacher_compared": sum(r["id"] in teacher for r in drafted)} if teacher else {}),
        "first_word_ms_p50": round(pct([r["first_word_ms"] for r in drafted], 0.5), 2),
        "first_word_ms_p99": round(pct([r["first_word_ms"] for r in drafted], 0.99), 2),
        "prompt_step_ms_p50": round(pct([r["first_token_ms"] for r in results], 0.5), 2),
        "stops": dict(sorted(stops.items())),
    }


def samples(rows, results, k, seed=7):
    drafted = [r for r in results if r["drafted"]]
    picked = sorted(random.Random(seed).sample(drafted, min(k, len(drafted))), key=lambda r: r["id"])
    out = []
    for r in picked:
        row = rows[r["id"]]
        out.append({
            "prompt": row["prompt"],
            "opener": r["opener"],
            "reference": row["response"],
            "match2": begins(row["response"], " ".join(r["opener"].split()[:2])),
            "grounded": grounded(row["prompt"], r["opener"]),
        })
    return out


def dev_rows(seed=13, val=300):
    """prepare.py's validation split of the training corpus (never trained on)."""
    pairs = [json.loads(l) for l in open(os.path.join(SHARED, "draft_corpus.jsonl"), encoding="utf-8")]
    idx = list(range(len(pairs)))
    random.Random(seed).shuffle(idx)
    return [pairs[i] for i in sorted(idx[:val])]


def calibrate(binary):
    rows = dev_rows()
    print(f"dev split: {len(rows)} pairs")
    print(f"{'start':>6} {'stop':>6} {'min':>4} {'drafted':>8} {'match@2':>8} {'full':>6} {'grounded':>9} "
          f"{'informative':>12} {'words':>6}")
    for start, stop, least in itertools.product([0.05, 0.1, 0.2], [0.02, 0.05, 0.1, 0.2], [2, 3]):
        env = {"VEILGATE__DRAFT__START_THRESHOLD": str(start), "VEILGATE__DRAFT__STOP_THRESHOLD": str(stop),
               "VEILGATE__DRAFT__MIN_WORDS": str(least)}
        s = score(rows, run(binary, rows, env))
        print(f"{start:>6} {stop:>6} {least:>4} {s['drafted_of_eligible']:>8.3f} {s['match2_of_drafted']:>8.3f} "
              f"{s['full_match_of_drafted']:>6.3f} {s['grounded_of_drafted']:>9.3f} "
              f"{s['informative_of_drafted']:>12.3f} {s['mean_opener_words']:>6}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--samples", type=int, default=0, help="print this many drafted openers per set")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "veilgate"))
    ap.add_argument("--teacher", default=os.path.join(ROOT, "models", "draft", "train", "teacher", "heldout.jsonl"),
                    help="the teacher's openers for draft_heldout (teacher_openers.py --split heldout)")
    a = ap.parse_args()
    if a.calibrate:
        calibrate(a.binary)
        return
    report = {}
    for name, path in SETS.items():
        rows = [json.loads(l) for l in open(path, encoding="utf-8")]
        if a.limit:
            rows = rows[: a.limit]
        results = run(a.binary, rows)
        teacher = None
        if name == "draft_heldout" and os.path.exists(a.teacher):
            teacher = {t["i"]: t["opener"] for t in map(json.loads, open(a.teacher, encoding="utf-8"))}
        report[name] = score(rows, results, teacher)
        if a.samples:
            report[name]["samples"] = samples(rows, results, a.samples)
    if a.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return
    for name, s in report.items():
        print(f"== {name}")
        for k, v in s.items():
            if k != "samples":
                print(f"  {k:<24} {v}")
        for e in s.get("samples", []):
            mark = ("=" if e["match2"] else " ") + ("g" if e["grounded"] else "!")
            prompt = e["prompt"].replace("\n", " ")[:90]
            print(f"  {mark} {e['opener']!r:<40} <- {prompt!r}")


if __name__ == "__main__":
    main()
