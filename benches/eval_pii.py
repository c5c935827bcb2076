#!/usr/bin/env python3
"""Evaluate `veilgate mask --jsonl` on the evaluation sets in ../shared/eval, and on two
real-text sets of the project's own (benches/data/uner_*.jsonl, see make_uner.py).

These sets are for measuring only (see ../shared/eval/SOURCE.md): never write or tune rules
from them. This script reads each set, converts it to {"id", "text"} lines, runs the veilgate
binary once per set and prints, per set and per type:

  * span precision / recall / F1 / F2 with overlap matching (a gold span is found when a
    predicted span overlaps it and the mapped types agree; a prediction is correct when it
    overlaps a gold span of its type), and the same with exact boundaries;
  * "any": the share of gold spans overlapped by a prediction of any type;
  * any-PII character recall: the share of gold PII characters covered by any predicted span.

Gold types we do not cover at all (mapped to None in MAPPING) are reported with recall 0.
Two overall figures are given:
  * "all gold types": every gold span counts in recall; every prediction counts in precision
    (one that only overlaps unsupported gold is a false positive);
  * "supported types": gold spans of unsupported types are left out of recall, and
    predictions that only overlap such spans are left out of precision.
"structured" is the overall over EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, SECRET
(the rules' remit). Sets without gold types (pupa) are scored type-blind.

Usage: python3 benches/eval_pii.py [--set NAME]... [--json OUT] [--bin PATH]
                                   [--eval-dir DIR] [--extra-arg ARG]...
The binary defaults to target/release/veilgate (or $VEILGATE_BIN), built with
`cargo build --release` when missing. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------
# The one mapping table: each set's gold type names onto veilgate's entity types.
# None = a type veilgate does not detect at all (reported honestly as recall 0).
# ---------------------------------------------------------------------------------------
MAPPING: dict[str, dict[str, str | None]] = {
    "llm_redactor_wl1_pii": {
        "person": "PERSON",
        "email": "EMAIL",
        "phone": "PHONE",
        "org_name": "ORGANIZATION",
        "employee_id": "ID",
        "address": "ADDRESS",
        "ssn": "US_SSN",
        "ip_address": "IP_ADDRESS",
        "hostname": "HOSTNAME",
    },
    "llm_redactor_wl2_secrets": {
        "api_key": "SECRET",
        "password": "SECRET",
        "bearer_token": "SECRET",
        "aws_access_key": "SECRET",
        "aws_secret_key": "SECRET",
        "pem_private_key": "SECRET",
        "hostname": "HOSTNAME",
        "email": "EMAIL",
        "ip_address": "IP_ADDRESS",
    },
    "presidio_synth_dataset_v2": {
        "PERSON": "PERSON",
        "STREET_ADDRESS": "ADDRESS",
        "GPE": "LOCATION",
        "ORGANIZATION": "ORGANIZATION",
        "CREDIT_CARD": "CREDIT_CARD",
        "DATE_TIME": None,  # any date or time; veilgate only masks dates of birth
        "TITLE": None,  # Mr., Dr., job titles
        "PHONE_NUMBER": "PHONE",
        "AGE": None,
        "NRP": None,  # nationality, religious or political group
        "EMAIL_ADDRESS": "EMAIL",
        "ZIP_CODE": "ADDRESS",  # part of an address for veilgate
        "DOMAIN_NAME": "URL",  # the set's values are URLs of public sites
        "IBAN_CODE": "IBAN",
        "US_SSN": "US_SSN",
        "IP_ADDRESS": "IP_ADDRESS",
        "US_DRIVER_LICENSE": "ID",
    },
    "pasteguard": {
        "PERSON": "PERSON",
        "LOCATION": "LOCATION",
        "EMAIL_ADDRESS": "EMAIL",
        "PHONE_NUMBER": "PHONE",
        "IBAN_CODE": "IBAN",
        "CREDIT_CARD": "CREDIT_CARD",
        "IP_ADDRESS": "IP_ADDRESS",
    },
    # pupa: untyped PII substrings; scored type-blind.
    "pupa_subset": {"PII": "PII"},
    # Real human-written text (Universal NER, benches/data/make_uner.py): the same 1,000 news
    # and Wikipedia sentences in English and in German. Not in ../shared/eval, and never
    # trained on.
    "uner_en_pud": {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"},
    "uner_de_pud": {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"},
}

STRUCTURED = {"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET"}

# A record: {"id": str, "text": str, "gold": [(start, end, gold_type)]} with character offsets.


def load_llm_redactor(path: Path) -> list[dict]:
    records = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            gold = [(a["start"], a["end"], a["kind"]) for a in d["annotations"]]
            records.append({"id": d["id"], "text": d["text"], "gold": gold})
    return records


def load_presidio(path: Path) -> list[dict]:
    records = []
    for i, d in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        gold = [(s["start_position"], s["end_position"], s["entity_type"]) for s in d["spans"]]
        records.append({"id": f"presidio_{i:04d}", "text": d["full_text"], "gold": gold})
    return records


def load_uner(path: Path) -> list[dict]:
    records = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            records.append({"id": d["id"], "text": d["text"], "gold": [tuple(g) for g in d["gold"]]})
    return records


def find_all_words(text: str, needle: str) -> list[tuple[int, int]]:
    """Case-insensitive, word-bounded occurrences of needle (as the set's provenance says)."""
    out = []
    low, n = text.lower(), needle.lower()
    at = low.find(n)
    while at >= 0:
        end = at + len(n)
        before_ok = at == 0 or not low[at - 1].isalnum()
        after_ok = end == len(low) or not low[end].isalnum()
        if before_ok and after_ok:
            out.append((at, end))
        at = low.find(n, at + 1)
    return out


def load_pupa(path: Path) -> list[dict]:
    records = []
    for i, d in enumerate(json.loads(path.read_text(encoding="utf-8"))["records"]):
        text = d["user_query"]
        gold = []
        for ent in d["entities"]:
            gold.extend((s, e, "PII") for s, e in find_all_words(text, ent))
        records.append({"id": f"pupa_{i:03d}", "text": text, "gold": sorted(set(gold))})
    return records


def parse_pasteguard_yaml(text: str) -> list[dict]:
    """A minimal parser for the pasteguard test-case files: a `test_cases:` list of items with
    scalar `id`, `text`, `language` and an `expected` list of {type, text}. Strings are plain
    or double-quoted (JSON-compatible escapes)."""

    def scalar(v: str) -> str:
        v = v.strip()
        if v.startswith('"'):
            return json.loads(v)
        if v.startswith("'"):
            return v[1:-1].replace("''", "'")
        return v

    cases: list[dict] = []
    case: dict | None = None
    exp: dict | None = None
    for raw in text.splitlines():
        line = raw.split(" #")[0] if not raw.lstrip().startswith('text:') else raw
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "test_cases:":
            continue
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("- ") and indent <= 2:
            case = {"expected": []}
            cases.append(case)
            stripped = stripped[2:]
        elif stripped.startswith("- ") and case is not None:
            exp = {}
            case["expected"].append(exp)
            stripped = stripped[2:]
            indent += 2
        key, _, value = stripped.partition(":")
        key = key.strip()
        if case is None:
            continue
        if indent >= 6 and exp is not None and key in ("type", "text"):
            exp[key] = scalar(value)
        elif key == "expected":
            exp = None
            if value.strip() == "[]":
                case["expected"] = []
        else:
            case[key] = scalar(value)
    return cases


def load_pasteguard(folder: Path) -> list[dict]:
    records = []
    for path in sorted(folder.glob("*.yaml")):
        for case in parse_pasteguard_yaml(path.read_text(encoding="utf-8")):
            text = case.get("text", "")
            gold = []
            for e in case["expected"]:
                at = text.find(e["text"])
                if at < 0:
                    print(f"warning: {path.name} {case.get('id')}: expected text not found", file=sys.stderr)
                    continue
                gold.append((at, at + len(e["text"]), e["type"]))
            records.append({"id": case.get("id", f"{path.stem}_{len(records)}"), "text": text, "gold": gold})
    return records


SETS = {
    "llm_redactor_wl1_pii": lambda d: load_llm_redactor(d / "llm_redactor_wl1_pii.jsonl"),
    "llm_redactor_wl2_secrets": lambda d: load_llm_redactor(d / "llm_redactor_wl2_secrets.jsonl"),
    "presidio_synth_dataset_v2": lambda d: load_presidio(d / "presidio_synth_dataset_v2.json"),
    "pupa_subset": lambda d: load_pupa(d / "pupa_subset.json"),
    "pasteguard": lambda d: load_pasteguard(d / "pasteguard"),
    "uner_en_pud": lambda _: load_uner(REPO / "benches" / "data" / "uner_en_pud.jsonl"),
    "uner_de_pud": lambda _: load_uner(REPO / "benches" / "data" / "uner_de_pud.jsonl"),
}
TYPED = {name: name != "pupa_subset" for name in SETS}


def check_offsets(name: str, records: list[dict]) -> None:
    bad = sum(1 for r in records for s, e, _ in r["gold"] if not (0 <= s < e <= len(r["text"])))
    if bad:
        print(f"warning: {name}: {bad} gold spans outside their text", file=sys.stderr)


# ---------------------------------------------------------------------------------------
# Running veilgate
# ---------------------------------------------------------------------------------------


def veilgate_binary(explicit: str | None) -> Path:
    path = Path(explicit or os.environ.get("VEILGATE_BIN") or REPO / "target/release/veilgate")
    if not path.exists():
        if explicit or os.environ.get("VEILGATE_BIN"):
            sys.exit(f"veilgate binary not found: {path}")
        print("building veilgate (cargo build --release) ...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return path


# Detector configurations compared side by side: name -> environment for `veilgate mask`.
CONFIGS = {
    "rules": {"VEILGATE__PRIVACY__TAGGER": "false"},
    "rules+tagger": {"VEILGATE__PRIVACY__TAGGER": "true"},
}


def predict(binary: Path, records: list[dict], extra: list[str], env: dict) -> dict[str, list[tuple[int, int, str]]]:
    lines = "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in records)
    proc = subprocess.run(
        [str(binary), "mask", "--jsonl", *extra],
        input=lines.encode("utf-8"),
        capture_output=True,
        check=False,
        env={**os.environ, **env},
    )
    if proc.returncode != 0:
        sys.exit(f"veilgate mask failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    out: dict[str, list[tuple[int, int, str]]] = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        d = json.loads(line)
        out[d["id"]] = [(e["start"], e["end"], e["type"]) for e in d["entities"]]
    missing = [r["id"] for r in records if r["id"] not in out]
    if missing:
        sys.exit(f"veilgate returned no line for {len(missing)} records, e.g. {missing[:3]}")
    return out


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


def prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict:
    p = tp_pred / n_pred if n_pred else None
    r = tp_gold / n_gold if n_gold else None

    def f(beta: float):
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r)

    return {"precision": p, "recall": r, "f1": f(1.0), "f2": f(2.0), "gold": n_gold, "pred": n_pred}


def overlaps(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_set(name: str, records: list[dict], preds: dict) -> dict:
    mapping = MAPPING[name]
    typed = TYPED[name]
    unknown = {t for r in records for _, _, t in r["gold"]} - set(mapping)
    if unknown:
        print(f"warning: {name}: gold types missing from MAPPING (treated as unsupported): {sorted(unknown)}", file=sys.stderr)

    # counters[mode][row] = [tp_pred, n_pred, tp_gold, n_gold, any_gold]
    rows: dict[str, dict[str, list[int]]] = {m: defaultdict(lambda: [0, 0, 0, 0, 0]) for m in ("overlap", "exact")}
    overall = {k: {m: [0, 0, 0, 0] for m in ("overlap", "exact")} for k in ("all", "supported", "structured")}
    chars = {"all": [0, 0], "supported": [0, 0]}

    for r in records:
        gold = []  # (start, end, our_type or None, gold_type)
        for s, e, gt in r["gold"]:
            ours = mapping.get(gt)
            gold.append((s, e, ours, gt))
        pred = preds[r["id"]]
        if not typed:
            pred = [(s, e, "PII") for s, e, _ in pred]

        for mode in ("overlap", "exact"):
            hit = (lambda g, p: overlaps(g, p)) if mode == "overlap" else (lambda g, p: g[0] == p[0] and g[1] == p[1])
            for g in gold:
                row = g[2] if g[2] is not None else f"{g[3]} (unsupported)"
                found = g[2] is not None and any(hit(g, p) and p[2] == g[2] for p in pred)
                anyp = any(overlaps(g, p) for p in pred)
                c = rows[mode][row]
                c[3] += 1
                c[2] += found
                c[4] += anyp
                for key in ("all", "supported", "structured"):
                    if key == "supported" and g[2] is None:
                        continue
                    if key == "structured" and g[2] not in STRUCTURED:
                        continue
                    overall[key][mode][3] += 1
                    overall[key][mode][2] += found
            for p in pred:
                correct = any(hit(g, p) and g[2] == p[2] for g in gold if g[2] is not None)
                only_unsupported = not correct and not any(overlaps(g, p) for g in gold if g[2] is not None) and any(
                    overlaps(g, p) for g in gold if g[2] is None
                )
                c = rows[mode][p[2]]
                c[1] += 1
                c[0] += correct
                for key in ("all", "supported", "structured"):
                    if key == "supported" and only_unsupported:
                        continue
                    if key == "structured" and p[2] not in STRUCTURED:
                        continue
                    overall[key][mode][1] += 1
                    overall[key][mode][0] += correct

        covered = [False] * len(r["text"])
        for s, e, _ in pred:
            for i in range(max(s, 0), min(e, len(covered))):
                covered[i] = True
        for key in ("all", "supported"):
            gold_chars = set()
            for s, e, ours, _ in gold:
                if key == "supported" and ours is None:
                    continue
                gold_chars.update(range(s, e))
            chars[key][0] += sum(1 for i in gold_chars if i < len(covered) and covered[i])
            chars[key][1] += len(gold_chars)

    result = {"records": len(records), "typed": typed, "types": {}, "overall": {}, "char_recall": {}}
    for row in sorted(rows["overlap"], key=lambda t: (t.endswith("(unsupported)"), t)):
        o, x = rows["overlap"][row], rows["exact"][row]
        result["types"][row] = {
            "overlap": prf(o[0], o[1], o[2], o[3]),
            "exact": prf(x[0], x[1], x[2], x[3]),
            "any_type_overlap_recall": (o[4] / o[3]) if o[3] else None,
        }
    for key, modes in overall.items():
        result["overall"][key] = {m: prf(*v) for m, v in modes.items()}
    for key, (hit, total) in chars.items():
        result["char_recall"][key] = hit / total if total else None
    return result


def fmt(v) -> str:
    return "   -  " if v is None else f"{v:6.3f}"


def print_set(name: str, res: dict) -> None:
    print(f"\n== {name} ({res['records']} texts{'' if res['typed'] else ', type-blind'}) ==")
    head = f"{'type':34} {'gold':>5} {'pred':>5} | {'P':>6} {'R':>6} {'F1':>6} {'F2':>6} | exact {'P':>6} {'R':>6} {'F2':>6} | {'any':>6}"
    print(head)
    print("-" * len(head))
    for row, d in res["types"].items():
        o, x = d["overlap"], d["exact"]
        print(
            f"{row:34} {o['gold']:5d} {o['pred']:5d} | {fmt(o['precision'])} {fmt(o['recall'])} {fmt(o['f1'])} {fmt(o['f2'])}"
            f" |       {fmt(x['precision'])} {fmt(x['recall'])} {fmt(x['f2'])} | {fmt(d['any_type_overlap_recall'])}"
        )
    print("-" * len(head))
    for key, label in (("all", "overall, all gold types"), ("supported", "overall, supported types"), ("structured", "overall, structured types")):
        o, x = res["overall"][key]["overlap"], res["overall"][key]["exact"]
        print(
            f"{label:34} {o['gold']:5d} {o['pred']:5d} | {fmt(o['precision'])} {fmt(o['recall'])} {fmt(o['f1'])} {fmt(o['f2'])}"
            f" |       {fmt(x['precision'])} {fmt(x['recall'])} {fmt(x['f2'])} |"
        )
    cr = res["char_recall"]
    print(f"any-PII character recall: all gold {fmt(cr['all']).strip()}, supported types {fmt(cr['supported']).strip()}")


def print_mapping(names: list[str]) -> None:
    print("Type mapping (gold type -> veilgate type; None = not detected by veilgate):")
    for name in names:
        pairs = ", ".join(f"{k}->{v}" for k, v in MAPPING[name].items())
        print(f"  {name}: {pairs}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", choices=sorted(SETS), help="evaluate only this set (repeatable)")
    ap.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    ap.add_argument("--bin", help="veilgate binary (default $VEILGATE_BIN or target/release/veilgate)")
    ap.add_argument("--eval-dir", default=str(REPO / ".." / "shared" / "eval"), help="folder of the sets")
    ap.add_argument("--extra-arg", action="append", default=[], help="extra argument for `veilgate mask` (repeatable)")
    ap.add_argument("--detectors", choices=[*CONFIGS, "both"], default="both",
                    help="rules only, rules and tagger, or both side by side (default)")
    args = ap.parse_args()

    eval_dir = Path(args.eval_dir)
    names = args.set or list(SETS)
    binary = veilgate_binary(args.bin)
    configs = list(CONFIGS) if args.detectors == "both" else [args.detectors]
    print_mapping(names)
    results: dict[str, dict] = {c: {} for c in configs}
    for config in configs:
        print(f"\n######## detectors: {config} ########")
        for name in names:
            records = SETS[name](eval_dir)
            check_offsets(name, records)
            preds = predict(binary, records, args.extra_arg, CONFIGS[config])
            results[config][name] = score_set(name, records, preds)
            print_set(name, results[config][name])
    print_comparison(configs, names, results)
    if args.json:
        Path(args.json).write_text(json.dumps({"mapping": {n: MAPPING[n] for n in names}, "results": results}, indent=2))
    return 0


def print_comparison(configs: list[str], names: list[str], results: dict) -> None:
    """One line per set and configuration: the figures the bars are set on."""
    print("\n== side by side (overlap matching) ==")
    head = f"{'set':28} {'detectors':13} | {'P':>6} {'R':>6} {'F2':>6} | {'F2 sup':>6} | {'PERSON R':>8} | {'char R':>6}"
    print(head)
    print("-" * len(head))
    for name in names:
        for config in configs:
            res = results[config][name]
            o = res["overall"]["all"]["overlap"]
            sup = res["overall"]["supported"]["overlap"]
            person = res["types"].get("PERSON", {}).get("overlap", {}).get("recall")
            print(f"{name:28} {config:13} | {fmt(o['precision'])} {fmt(o['recall'])} {fmt(o['f2'])} | {fmt(sup['f2'])} |"
                  f"   {fmt(person)} | {fmt(res['char_recall']['all'])}")


if __name__ == "__main__":
    sys.exit(main())
