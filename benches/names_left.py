#!/usr/bin/env python3
"""Which person names still leave unmasked: the error analysis of the tagger's model card.

Runs `veilgate mask --jsonl` (rules + tagger, the default config) over the real-text dev sets
(benches/data/uner_en_pud.jsonl and uner_de_pud.jsonl, see make_uner.py), takes every gold PER
span that no predicted span of any type overlaps, and counts the misses by kind:

  one word     a single word ("Obama", "Merkel"), where the context must carry the decision
  diacritics   the name has a letter outside ASCII ("Sánchez", "Müller")
  inflected    ends in a possessive or genitive form ("Trump's", "Schröders")
  initials     has an initial or a dotted abbreviation ("J. K. Rowling")
  other        a plain full name of ASCII words

(a miss counts under the first kind that fits) and prints up to --show examples of each.

    python3 benches/names_left.py [--bin target/release/veilgate] [--show 8]
"""

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_pii  # noqa: E402


def kind(name: str) -> str:
    if re.search(r"(?:'s|’s|s')$", name):
        return "inflected"
    if re.search(r"\b\w\.", name):
        return "initials"
    if len(name.split()) == 1:
        return "one word"
    if any(ord(c) > 127 for c in name):
        return "diacritics"
    return "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="veilgate binary (default $VEILGATE_BIN or target/release/veilgate)")
    ap.add_argument("--show", type=int, default=8)
    a = ap.parse_args()
    binary = eval_pii.veilgate_binary(a.bin)
    for name in ("uner_en_pud", "uner_de_pud"):
        records = eval_pii.SETS[name](None)
        preds = eval_pii.predict(binary, records, [], eval_pii.CONFIGS["rules+tagger"])
        total, misses = 0, defaultdict(list)
        for r in records:
            found = [(ps, pe) for ps, pe, _ in preds.get(r["id"], [])]
            for s, e, t in r["gold"]:
                if t != "PER":
                    continue
                total += 1
                if not any(ps < e and s < pe for ps, pe in found):
                    value = r["text"][s:e]
                    misses[kind(value)].append(value)
        left = sum(len(v) for v in misses.values())
        print(f"\n{name}: {left} of {total} names left unmasked ({left / max(total, 1):.1%})")
        for k in ("one word", "diacritics", "inflected", "initials", "other"):
            v = misses.get(k, [])
            print(f"  {k:<10} {len(v):>4}  e.g. " + ", ".join(v[: a.show]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
