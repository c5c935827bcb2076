#!/usr/bin/env bash
# Peak resident memory of `veilgate serve` with its models loaded and exercised.
#
#   benches/rss.sh [REQUESTS]
#
# Starts the release binary on 127.0.0.1 (ephemeral port), both models loaded, in front of a
# loopback fake cloud (python, below) that streams its answer after 300 ms. Sends REQUESTS
# chat bodies, 8 at a time: one in four 16 KB, the rest 1 KB; half of them streamed, so the
# draft model writes an opener and the splice runs (the fake's answer never repeats it, so
# each streamed request also sends a continuation). Every body is masked in full (the tagger
# runs). Then prints VmRSS and VmHWM (peak) from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-400}
scripts/setup-python.sh >/dev/null
cargo build --release --locked -q --bin veilgate
log=$(mktemp)
cloud_log=$(mktemp)
python3 -u - >"$cloud_log" 2>&1 <<'PY' &
import http.server, json, socketserver, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        time.sleep(0.3)
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            for piece in ["Here is ", "the cloud's ", "answer."]:
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True
        else:
            out = json.dumps({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
cloud=$!
for _ in $(seq 100); do [ -s "$cloud_log" ] && break; sleep 0.1; done
VEILGATE_LOG=info target/release/veilgate serve --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$(head -1 "$cloud_log")/v1" 2>"$log" &
pid=$!
trap 'kill $pid $cloud 2>/dev/null; rm -f "$log" "$cloud_log" "$body1" "$body16" "$stream1"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's#.*http://##')
[ -n "$addr" ] || { cat "$log"; exit 1; }
echo "after start-up:  $(grep -E 'VmRSS' /proc/$pid/status | tr -s ' ')"
body1=$(mktemp); body16=$(mktemp); stream1=$(mktemp)
python3 - "$body1" "$body16" "$stream1" <<'PY'
import json, sys
para = ("Hi, please draft a reply to Samantha Porter in Leeds about her order from Northwind Traders; "
        "Daniel Okafor in Manchester handles it, call +44 20 7946 0958. ")
for path, size, stream in zip(sys.argv[1:], (1024, 16384, 1024), (False, False, True)):
    text = (para * (size // len(para) + 1))[:size]
    json.dump({"model": "m", "stream": stream, "messages": [{"role": "user", "content": text}]}, open(path, "w"))
PY
seq "$requests" | xargs -P 8 -I{} sh -c \
  'case $(({} % 4)) in 0) f=$1;; 1|3) f=$3;; *) f=$2;; esac; curl -s -o /dev/null -H "content-type: application/json" --data-binary @"$f" "http://$0/v1/chat/completions"' \
  "$addr" "$body16" "$body1" "$stream1"
echo "after $requests requests:  $(grep -E 'VmRSS' /proc/$pid/status | tr -s ' ')"
echo "peak:            $(grep -E 'VmHWM' /proc/$pid/status | tr -s ' ')"
echo "draft outcomes:  $(curl -s "http://$addr/metrics" | grep '^veilgate_draft_openers_total' | sed 's/veilgate_draft_openers_total//' | tr '\n' ' ')"
