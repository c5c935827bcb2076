#!/usr/bin/env bash
# The project's test command (README): set-up, lint, every Rust test, the SDK tests.
# Offline except for the package registries; every install step is in this repo.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-python.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
cargo build --locked --bin veilgate
.venv/bin/python -m pytest -q tests/sdk
scripts/container-smoke.sh
