#!/usr/bin/env bash
# What the Dockerfile's image does, without Docker: the release binary in a temporary root
# laid out like the image (/usr/local/bin/veilgate, /opt/veilgate/{lib,models,rules}, a
# mounted /etc/veilgate/veilgate.toml, /var/lib/veilgate as the working directory), run with
# the image's environment, then the image's health check and a masked round trip.
#
#   scripts/container-smoke.sh        # VEILGATE_BIN=path to test another binary
#
# Differences from the image, by necessity: the listen address is 127.0.0.1:<free port>
# (the image's 0.0.0.0:8787 would expose the test), the library is found through
# ORT_DYLIB_PATH pointing into the temporary /opt/veilgate/lib (the image relies on the
# built-in /opt/veilgate/lib lookup), and the user is not switched to uid 10001.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR="$PWD"

BIN="${VEILGATE_BIN:-target/release/veilgate}"
if [[ -z "${VEILGATE_BIN:-}" && ! -x "$BIN" ]]; then
    cargo build --release --locked --bin veilgate
fi
ORT_LIB="$(ls .venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.* 2>/dev/null | head -1 || true)"
[[ -n "$ORT_LIB" ]] || { echo "container-smoke: run scripts/setup-python.sh first (ONNX Runtime)" >&2; exit 1; }
command -v curl >/dev/null || { echo "container-smoke: skipped (curl is not installed)"; exit 0; }

IMG="$(mktemp -d)"
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$IMG"; }
trap cleanup EXIT
install -D "$BIN" "$IMG/usr/local/bin/veilgate"
install -D "$ORT_LIB" "$IMG/opt/veilgate/lib/$(basename "$ORT_LIB")"
cp -r models rules "$IMG/opt/veilgate/"
mkdir -p "$IMG/var/lib/veilgate" "$IMG/etc/veilgate"
cat >"$IMG/etc/veilgate/veilgate.toml" <<TOML
[privacy]
rules_dir = "$IMG/opt/veilgate/rules"
tagger_model = "$IMG/opt/veilgate/models/tagger"
[audit]
path = "$IMG/var/lib/veilgate/audit.jsonl"
TOML

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export VEILGATE__SERVER__LISTEN="127.0.0.1:$PORT"
export VEILGATE_CONFIG="$IMG/etc/veilgate/veilgate.toml"
export ORT_DYLIB_PATH="$IMG/opt/veilgate/lib/$(basename "$ORT_LIB")"
export NO_COLOR=1
VG="$IMG/usr/local/bin/veilgate"

(cd "$IMG/var/lib/veilgate" && exec env -u VIRTUAL_ENV "$VG" serve --upstream demo) >"$IMG/log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
    grep -q "veilgate listening" "$IMG/log" && break
    kill -0 "$PID" 2>/dev/null || { cat "$IMG/log"; echo "container-smoke: veilgate exited" >&2; exit 1; }
    sleep 0.1
done
grep -q "veilgate listening" "$IMG/log" || { cat "$IMG/log"; echo "container-smoke: veilgate did not start" >&2; exit 1; }

# The image's HEALTHCHECK: `veilgate health`, URL from VEILGATE__SERVER__LISTEN.
"$VG" health
REPLY="$(curl -sS --noproxy '*' "http://127.0.0.1:$PORT/v1/chat/completions" -H 'content-type: application/json' \
    -d '{"model": "m", "messages": [{"role": "user", "content": "Mail Jane Roe at jane.roe@example-mail.com"}]}')"
grep -q 'jane.roe@example-mail.com' <<<"$REPLY" || { echo "container-smoke: value not restored: $REPLY" >&2; exit 1; }
grep -q 'upstream received: Mail \[PERSON_1\] at \[EMAIL_1\]' "$IMG/log" \
    || { cat "$IMG/log"; echo "container-smoke: the upstream did not get masked text" >&2; exit 1; }
kill -TERM "$PID"
wait "$PID" || { cat "$IMG/log"; echo "container-smoke: unclean exit" >&2; exit 1; }
PID=""
"$VG" audit verify "$IMG/var/lib/veilgate/audit.jsonl" >/dev/null
if "$VG" health 2>/dev/null; then echo "container-smoke: health passed with the proxy stopped" >&2; exit 1; fi
echo "container-smoke: ok (layout, env, mounted config, ONNX Runtime from the layout's /opt/veilgate/lib, health, round trip, audit)"
