#!/usr/bin/env python3
"""The masking policy as a user meets it, on the two sets of benches/data/make_privacy_sets.py:

- everyday: prompts about the world that name public people, places and works; the share that
  reaches the cloud unchanged (bar: 98 %).
- personal: planted names, e-mails, phones, streets in the shapes people paste; the share of
  planted values masked (a name counts as masked only if none of its words is left; bar: 99 %),
  and the share of people who get one placeholder for every way they are named (bar: 95 %).

    python3 benches/eval_privacy.py [--bin target/release/veilgate] [--show N]

Extra environment (VEILGATE__PRIVACY__KEEP_PUBLIC=false, …) reaches the binary, so a setting
can be measured against the default in one sitting.
"""
import argparse
import json
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def run(binary, rows):
    lines = "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows)
    out = subprocess.run([binary, "mask", "--jsonl"], input=lines, capture_output=True, text=True,
                         check=True, env={**os.environ, "VEILGATE_LOG": "warn"})
    return {o["id"]: o for o in map(json.loads, out.stdout.splitlines())}


def left(value, masked):
    """Whether any part of `value` is still readable in `masked`."""
    if "@" in value or re.search(r"\d", value):
        return value in masked
    return any(re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", masked) for w in value.split() if len(w) >= 3)


def one_placeholder(person, text, entities):
    full, *parts = person
    spans, taken = [], []
    for form in [full] + parts:
        for m in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?!\w)", text):
            if not any(a <= m.start() < b for a, b in taken):
                spans.append(m.start())
                taken.append((m.start(), m.end()))
    holders = set()
    for start in spans:
        covering = [e["placeholder"] for e in entities if e["start"] <= start < e["end"]]
        if not covering:
            return False
        holders.update(covering)
    return len(holders) == 1




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "veilgate"))
    ap.add_argument("--show", type=int, default=0, help="print this many failures of each kind")
    args = ap.parse_args()
    load = lambda n: [json.loads(l) for l in open(os.path.join(HERE, "data", n), encoding="utf-8")]
    everyday, personal = load("everyday_public.jsonl"), load("personal_planted.jsonl")
    got = run(args.bin, everyday)
    changed = [r for r in everyday if got[r["id"]]["masked"] != r["text"]]
    got_p = run(args.bin, personal)
    values = [(r, v) for r in personal for v in r["planted"]]
    leaked = [(r, v) for r, v in values if left(v, got_p[r["id"]]["masked"])]
    people = [(r, p) for r in personal for p in r["people"]]
    split = [(r, p) for r, p in people if not one_placeholder(p, r["text"], got_p[r["id"]]["entities"])]
    print(f"everyday prompts unchanged: {len(everyday) - len(changed)}/{len(everyday)} "
          f"({100 * (1 - len(changed) / len(everyday)):.1f} %)")
    print(f"planted personal values masked: {len(values) - len(leaked)}/{len(values)} "
          f"({100 * (1 - len(leaked) / len(values)):.1f} %)")
    print(f"people with one placeholder: {len(people) - len(split)}/{len(people)} "
          f"({100 * (1 - len(split) / max(1, len(people))):.1f} %)")
    for r in changed[: args.show]:
        print("  changed:", got[r["id"]]["masked"])
    for r, v in leaked[: args.show]:
        print(f"  leaked {v!r}:", got_p[r["id"]]["masked"].replace("\n", " | "))
    for r, p in split[: args.show]:
        print(f"  split {p}:", got_p[r["id"]]["masked"].replace("\n", " | "))


if __name__ == "__main__":
    main()
