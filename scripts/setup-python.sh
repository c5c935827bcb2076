#!/usr/bin/env bash
# Creates (or refreshes) the Python virtual environment .venv at the repository root, used by
# the SDK tests in tests/sdk and by the model tooling.
#
# Idempotent and offline-safe after the first run: the set of requirements (the files and
# packages listed below, plus the interpreter version) is hashed and the hash stored in the
# venv; when it matches, nothing is installed and nothing touches the network.
#
#   scripts/setup-python.sh            # then: .venv/bin/python -m pytest -q tests/sdk
#
# Environment: PYTHON (interpreter to build the venv from, default python3),
#              VEILGATE_VENV (venv location, default <repo>/.venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VEILGATE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.veilgate-requirements.sha256"

# What goes into the venv. Requirement files are relative to the repository root; packages
# are pip specifiers, pinned exactly. Adding something is one line in one of these lists.
REQUIREMENT_FILES=(
    "tests/sdk/requirements.txt"
)
# The ONNX Runtime library the tagger loads at run time (ort with load-dynamic finds
# .venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1). Only the
# shared library is used, so the wheel's Python dependencies are not installed.
EXTRA_PACKAGES=(
    --no-deps
    "onnxruntime==1.31.1"
)

say() { echo "setup-python: $*"; }
die() { echo "setup-python: error: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (install python3 >= 3.11, e.g. apt-get install python3 python3-venv)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "$("$PYTHON" -V 2>&1) is too old; Python >= 3.11 is needed (the version the SDK tests and benches are run with)"

# One set-up at a time (two test runs starting together must not both build the venv).
if command -v flock >/dev/null 2>&1; then
    LOCK="${TMPDIR:-/tmp}/veilgate-setup-python-$(printf '%s' "$VENV" | cksum | cut -d' ' -f1).lock"
    exec 9>"$LOCK"
    flock 9
fi

for f in "${REQUIREMENT_FILES[@]}"; do
    [[ -f "$ROOT/$f" ]] || die "requirements file $f is missing"
done

# Hash of everything that decides the venv's contents.
WANT="$(
    cd "$ROOT" && "$PYTHON" - "${REQUIREMENT_FILES[@]}" -- ${EXTRA_PACKAGES[@]+"${EXTRA_PACKAGES[@]}"} <<'PY'
import hashlib, sys
h = hashlib.sha256()
h.update(("python %d.%d\n" % sys.version_info[:2]).encode())
args = sys.argv[1:]
split = args.index("--")
for path in args[:split]:
    h.update(("file %s\n" % path).encode())
    with open(path, "rb") as f:
        h.update(f.read())
for spec in args[split + 1:]:
    h.update(("package %s\n" % spec).encode())
print(h.hexdigest())
PY
)"

VPY="$VENV/bin/python"
pyver() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
if [[ -x "$VPY" ]] && [[ "$(pyver "$VPY")" == "$(pyver "$PYTHON")" ]]; then
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
        say "${VENV#"$ROOT"/} is up to date ($("$VPY" -V 2>&1)); nothing to install"
        exit 0
    fi
    ACTION="updating ${VENV#"$ROOT"/}"
else
    # Missing, broken (its interpreter was removed) or of another Python version: build afresh.
    if [[ -e "$VENV" && ! -f "$VENV/pyvenv.cfg" && -n "$(ls -A "$VENV" 2>/dev/null)" ]]; then
        die "$VENV exists and is not a virtual environment; move it away first"
    fi
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        die "'$PYTHON -m venv' failed; on Debian/Ubuntu install the venv module: apt-get install python3-venv"
    fi
    ACTION="created ${VENV#"$ROOT"/} ($("$VPY" -V 2>&1))"
fi

say "$ACTION; installing ${REQUIREMENT_FILES[*]}${EXTRA_PACKAGES[*]:+ ${EXTRA_PACKAGES[*]}} from PyPI"
rm -f "$STAMP"
PIP=("$VPY" -m pip install -q --disable-pip-version-check --no-input)
for f in "${REQUIREMENT_FILES[@]}"; do
    "${PIP[@]}" -r "$ROOT/$f"
done
if ((${#EXTRA_PACKAGES[@]})); then
    "${PIP[@]}" "${EXTRA_PACKAGES[@]}"
fi
"$VPY" -c 'import openai, anthropic, pytest' || die "the installed packages do not import"
printf '%s\n' "$WANT" >"$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"
say "done: $("$VPY" -c 'import openai, anthropic, pytest; print("openai %s, anthropic %s, pytest %s" % (openai.__version__, anthropic.__version__, pytest.__version__))')"
