#!/usr/bin/env bash
# Reproduces the shipped draft model from this folder, the shared corpus and PyPI:
#   models/draft/{model.onnx,MODEL_CARD.md,tokenizer.json,tokenizer_config.json,config.json,generation_config.json}
#   models/draft/train/report.json
# Steps: venv -> byte-level BPE tokenizer -> chat-templated training examples (data/) -> train
# (work/) -> ONNX export with KV cache, int8 quantization, verification, held-out opener eval;
# then distillation: the teacher (SmolLM2-135M-Instruct, teacher_openers.py) writes openers for
# the corpus prompts (teacher/, committed: a rerun skips what is there), and the model is trained
# on them starting from its own export (data-distil/, work-distil/), exported again.
#
#   models/draft/train/run.sh        # about 45 minutes on 2 free CPU cores (training 30-40 min),
#                                    # then ~60 minutes of teacher openers (if teacher/ is
#                                    # empty) and ~20 minutes of distillation
#
# Environment: VENV (use this existing virtual environment instead of creating .venv),
# PYTHON (interpreter for a new .venv, default python3; CPython 3.11 was used),
# DATA (folder with draft_corpus.jsonl / draft_heldout.jsonl, default ../shared/data/draft
# next to the repository), RESUME=1 (continue an interrupted training run exactly),
# TEACHER_VENV (an environment with teacher-requirements.txt instead of creating .venv-teacher),
# DISTIL_ONLY=1 (skip the pretraining: distil from the committed ../model.onnx, as was done).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
SEED=13
# The distillation as shipped: the first TEACHER_PROMPTS prompts of the teacher's seeded order
# (those of at most 256 teacher tokens get an opener), DISTIL_STEPS steps at DISTIL_LR, then a
# second cosine schedule to DISTIL_STEPS2.
TEACHER_PROMPTS=8347
DISTIL_STEPS=640
DISTIL_STEPS2=1400
DISTIL_LR=1e-3
DATA="${DATA:-$(cd "$HERE/../../.." && pwd)/../shared/data/draft}"

if [ -n "${VENV:-}" ]; then
    PY="$VENV/bin/python"
else
    if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/.requirements.txt; then
        echo "run.sh: creating .venv"
        "${PYTHON:-python3}" -m venv .venv
        .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt
        cp requirements.txt .venv/.requirements.txt
    fi
    PY=.venv/bin/python
fi

# PASSIVE: OpenMP threads sleep instead of spinning while they wait; on a shared 2-core machine
# spinning threads made training five times slower.
export PYTHONHASHSEED=0 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE TOKENIZERS_PARALLELISM=false
mkdir -p work data work-distil teacher
if [ "${RESUME:-0}" != 1 ]; then : > work/run.log; rm -f work/resume.pt work-distil/resume.pt; fi
{
    echo "== $(date -u +%FT%TZ) run.sh seed $SEED, $(nproc) cores, data $DATA"
    if [ "${DISTIL_ONLY:-0}" != 1 ]; then
    $PY train_tokenizer.py --data "$DATA" --out ../tokenizer.json --vocab 8192
    $PY prepare.py --data "$DATA" --tokenizer ../tokenizer.json --out data \
        --window 192 --reply-cap 32 --open-tokens 8 --open-weight 2.0 --val 300 --seed "$SEED"
    # Training resumes from work/resume.pt (saved every 50 steps), so RESUME=1 continues an
    # interrupted run exactly (same batch stream). The shipped run had two phases, reproduced here:
    # phase 1 was started with --auto-steps-minutes 40, which measured the step rate while the
    # machine was busy and chose --steps 713; it was stopped at step 450 when the machine got
    # faster, and phase 2 resumed it with a longer cosine schedule (--steps 2000 --reschedule;
    # the lr goes from 1.2e-3 back up to 2.3e-3 at step 450 and then decays to 2.5e-4).
    TRAIN="--data data --out work --seed $SEED --resume --bf16 \
        --layers 8 --dim 256 --ffn 768 --heads 8 --kv-heads 4 --batch-tokens 2048 --max-batch 64 \
        --lr 2.5e-3 --warmup 80 --lr-floor 0.1 --wd 0.1 --eval-every 200 --save-every 50"
    STEP=0
    if [ -f work/resume.pt ]; then
        STEP=$($PY -c "import torch; print(torch.load('work/resume.pt', weights_only=False)['step'])")
    fi
    if [ "$STEP" -lt 450 ]; then
        $PY train.py $TRAIN --steps 713 --stop-at 450
    fi
    $PY train.py $TRAIN --reschedule --steps 2000 --max-minutes 120
    $PY export.py --ckpt work/best.pt --tokenizer ../tokenizer.json --data "$DATA" --outdir .. \
        --work work --summary work/train_summary.json --report report.json
    fi

    # Distillation. The teacher's environment builds llama.cpp (about 5 minutes).
    if [ -n "${TEACHER_VENV:-}" ]; then
        TPY="$TEACHER_VENV/bin/python"
    else
        if [ ! -x .venv-teacher/bin/python ] || ! cmp -s teacher-requirements.txt .venv-teacher/.requirements.txt; then
            "${PYTHON:-python3}" -m venv .venv-teacher
            .venv-teacher/bin/pip install --disable-pip-version-check -q -r teacher-requirements.txt
            cp teacher-requirements.txt .venv-teacher/.requirements.txt
        fi
        TPY=.venv-teacher/bin/python
    fi
    $TPY teacher_openers.py --data "$DATA" --split val --out teacher/val.jsonl
    $TPY teacher_openers.py --data "$DATA" --split heldout --out teacher/heldout.jsonl --limit 300
    $TPY teacher_openers.py --data "$DATA" --split train --out teacher/train.jsonl --limit "$TEACHER_PROMPTS"
    $PY prepare.py --data "$DATA" --tokenizer ../tokenizer.json --out data-distil --teacher teacher \
        --window 192 --reply-cap 24 --open-tokens 8 --open-weight 2.0 --val 300 --seed "$SEED" \
        --p-system 0.1 --p-history 0.1
    DISTIL="--data data-distil --out work-distil --seed $SEED --resume --bf16 --init-onnx ../model.onnx \
        --layers 8 --dim 256 --ffn 768 --heads 8 --kv-heads 4 --batch-tokens 2048 --max-batch 64 \
        --lr $DISTIL_LR --warmup 30 --lr-floor 0.1 --wd 0.1 --eval-every 100 --save-every 50"
    $PY train.py $DISTIL --steps "$DISTIL_STEPS"
    # ...then resumed with a new cosine schedule to DISTIL_STEPS2 (the loss was still falling).
    $PY train.py $DISTIL --reschedule --steps "$DISTIL_STEPS2"
    $PY export.py --ckpt work-distil/best.pt --tokenizer ../tokenizer.json --data "$DATA" --outdir .. \
        --work work-distil --summary work-distil/train_summary.json --report report.json
    $PY model_card.py --report report.json --out ../MODEL_CARD.md
    echo "== $(date -u +%FT%TZ) done"
} 2>&1 | tee -a work/run.log
