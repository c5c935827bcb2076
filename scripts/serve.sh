#!/usr/bin/env bash
# The README's run command: installs the ONNX Runtime library into .venv (once; PyPI's
# onnxruntime wheel), then runs the proxy with its embedded models and rules on
# 127.0.0.1:8787 in front of https://api.openai.com/v1. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
exec cargo run --release --locked --bin veilgate -- serve "$@"
