#!/usr/bin/env bash
# Reproduces the committed tagger from nothing but this folder and PyPI:
#   models/tagger/tokenizer.json, models/tagger/model.onnx, models/tagger/config.json,
#   models/tagger/train/report.json
# Steps: venv (.venv, pinned requirements.txt) -> generate data (data/) -> train the WordPiece
# tokenizer -> train the encoder (work/model.pt) -> export to ONNX, quantize to int8, verify,
# measure latency, check examples.jsonl.
#
#   models/tagger/train/run.sh            # about 30 minutes on 2 CPU cores
#
# Environment: PYTHON (interpreter for the venv, default python3; CPython 3.11 was used).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
PYTHON="${PYTHON:-python3}"
SEED=13

if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/.requirements.txt; then
    echo "run.sh: creating .venv"
    "$PYTHON" -m venv .venv
    .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt
    cp requirements.txt .venv/.requirements.txt
fi

export PYTHONHASHSEED=0 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 TOKENIZERS_PARALLELISM=false
PY=.venv/bin/python
mkdir -p work
{
    echo "== $(date -u +%FT%TZ) run.sh seed $SEED, $(nproc) cores"
    $PY gen_data.py --out data --train 100000 --dev 2000 --test 4000 --seed "$SEED"
    $PY train_tokenizer.py --data data --out ../tokenizer.json --vocab 12000
    $PY train.py --data data --tokenizer ../tokenizer.json --out work/model.pt --seed "$SEED" \
        --epochs 8 --eval-every 1500 --max-minutes 45
    $PY export.py --ckpt work/model.pt --data data --outdir .. --work work
    echo "== $(date -u +%FT%TZ) done"
} 2>&1 | tee work/run.log
