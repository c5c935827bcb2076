#!/usr/bin/env python3
"""Opener quality of the draft model on ../shared/data/draft/draft_heldout.jsonl.

    cargo build --release && python3 benches/eval_draft.py [--limit N] [--json]

Runs `veilgate draft --jsonl` (the product's own engine and stop rules, configured as
`veilgate serve` would be: VEILGATE__DRAFT__* variables apply) over every held-out prompt and
reports: the share of prompts drafted at all, mean words per opener, and the match rate: the
share of openers with which the reference reply begins (case and whitespace ignored, as the
splice compares). A matched opener is one the cloud would simply have continued; the others
cost a continuation request. Also the engine's timings.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELDOUT = os.path.join(ROOT, "..", "shared", "data", "draft", "draft_heldout.jsonl")


def norm(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[round((len(values) - 1) * p)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "veilgate"))
    ap.add_argument("--data", default=HELDOUT, help="prompt/response JSON lines (default: the held-out set)")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.data, encoding="utf-8")]
    if a.limit:
        rows = rows[: a.limit]
    feed = "".join(json.dumps({"id": i, "prompt": r["prompt"]}) + "\n" for i, r in enumerate(rows))
    out = subprocess.run([a.binary, "draft", "--jsonl"], input=feed, capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    results = [json.loads(l) for l in out.splitlines()]
    assert len(results) == len(rows)
    drafted = [r for r in results if r["drafted"]]
    matched = [r for r in drafted
               if norm(rows[r["id"]]["response"]).startswith(norm(r["opener"]))]
    stops = {}
    for r in results:
        stops[r["stop"]] = stops.get(r["stop"], 0) + 1
    report = {
        "prompts": len(rows),
        "drafted_share": round(len(drafted) / len(rows), 4),
        "mean_opener_words": round(statistics.mean(r["words"] for r in drafted), 2) if drafted else 0,
        "match_rate_of_drafted": round(len(matched) / len(drafted), 4) if drafted else 0,
        "match_rate_of_all": round(len(matched) / len(rows), 4),
        "first_word_ms_p50": round(pct([r["first_word_ms"] for r in drafted], 0.5), 2),
        "first_word_ms_p99": round(pct([r["first_word_ms"] for r in drafted], 0.99), 2),
        "prompt_step_ms_p50": round(pct([r["first_token_ms"] for r in results], 0.5), 2),
        "tokens_per_s_median": round(statistics.median(r["tokens_per_s"] for r in results if r["tokens_per_s"] > 0), 1),
        "stops": dict(sorted(stops.items())),
        "examples": [{"opener": r["opener"], "matched": r in matched} for r in drafted[:8]],
    }
    if a.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return
    for k, v in report.items():
        if k != "examples":
            print(f"{k:<24} {v}")
    print("examples:")
    for e in report["examples"]:
        print(f"  {'=' if e['matched'] else ' '} {e['opener']!r}")


if __name__ == "__main__":
    main()
