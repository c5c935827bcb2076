#!/usr/bin/env bash
# Peak resident memory of `veilgate serve` with its models loaded and exercised.
#
#   benches/rss.sh [REQUESTS]
#
# Starts the release binary on 127.0.0.1 (ephemeral port) in front of an upstream that
# refuses connections (127.0.0.1:9), so every request is decoded and masked in full (the
# tagger runs) and then answered 502. Sends REQUESTS chat bodies of 1 KB and 16 KB, 8 at a
# time, then prints VmRSS and VmHWM (peak) from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-400}
scripts/setup-python.sh >/dev/null
cargo build --release --locked -q --bin veilgate
log=$(mktemp)
VEILGATE_LOG=info target/release/veilgate serve --listen 127.0.0.1:0 --upstream http://127.0.0.1:9/v1 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$body1" "$body16"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's#.*http://##')
[ -n "$addr" ] || { cat "$log"; exit 1; }
echo "after start-up:  $(grep -E 'VmRSS' /proc/$pid/status | tr -s ' ')"
body1=$(mktemp); body16=$(mktemp)
python3 - "$body1" "$body16" <<'PY'
import json, sys
para = ("Hi, please draft a reply to Samantha Porter in Leeds about her order from Northwind Traders; "
        "Daniel Okafor in Manchester handles it, call +44 20 7946 0958. ")
for path, size in zip(sys.argv[1:], (1024, 16384)):
    text = (para * (size // len(para) + 1))[:size]
    json.dump({"model": "m", "messages": [{"role": "user", "content": text}]}, open(path, "w"))
PY
seq "$requests" | xargs -P 8 -I{} sh -c \
  'f=$( [ $(({} % 4)) -eq 0 ] && echo "$1" || echo "$2"); curl -s -o /dev/null -H "content-type: application/json" --data-binary @"$f" "http://$0/v1/chat/completions"' \
  "$addr" "$body16" "$body1"
echo "after $requests requests:  $(grep -E 'VmRSS' /proc/$pid/status | tr -s ' ')"
echo "peak:            $(grep -E 'VmHWM' /proc/$pid/status | tr -s ' ')"
