#!/usr/bin/env python3
"""Writes models/tagger/common_words.txt: everyday English words that are never a name.

Source: SCOWL word lists as Debian packs them (`apt-get install wamerican wbritish`:
/usr/share/dict/american-english and british-english, SCOWL size 50, Kevin Atkinson's
permissive licence, kept in the file's header). A word is kept when the lists hold it in
lower case only: "median", "pancakes", "withdraw", "sunny", "they've". A word the lists also
hold capitalised is a name as well ("Mark"/"mark", "Smith"/"smith", "Will"/"will") and is
left out, so the tagger's post-filter (src/privacy/tagger/everyday.rs) never drops a name
that happens to be a word. Possessives ("mark's") are left out; the output is sorted, so
re-running the script reproduces the file byte for byte.

    python3 scripts/gen-common-words.py > models/tagger/common_words.txt
"""
import sys

LISTS = ["/usr/share/dict/american-english", "/usr/share/dict/british-english"]
words = set()
for path in LISTS:
    with open(path, encoding="utf-8") as f:
        words.update(line.strip() for line in f if line.strip())
capitalised = {w.lower() for w in words if w[:1].isupper()}
keep = sorted(
    w
    for w in words
    if w.islower() and w not in capitalised and not w.endswith("'s") and len(w) >= 2
)
out = sys.stdout
out.write("# Everyday English words that are never a name (written by scripts/gen-common-words.py).\n")
out.write("# From SCOWL (wamerican/wbritish), Copyright 2000-2011 by Kevin Atkinson: permission to\n")
out.write("# use, copy, modify, distribute and sell these word lists, the associated scripts, the\n")
out.write("# output created from the scripts, and its documentation for any purpose is hereby\n")
out.write("# granted without fee, provided that the above copyright notice appears in all copies\n")
out.write("# and that both that copyright notice and this permission notice appear in supporting\n")
out.write("# documentation. Kevin Atkinson makes no representations about the suitability of this\n")
out.write("# array for any purpose. It is provided \"as is\" without express or implied warranty.\n")
for w in keep:
    out.write(w + "\n")
