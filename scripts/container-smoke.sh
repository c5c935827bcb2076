#!/usr/bin/env bash
# The sidecar image, built and run for real with a daemonless engine (podman), as the README's
# compose and Kubernetes examples run it:
#
# 1. the engine and the Debian base image (scripts/container-engine.sh; installs podman,
#    runc and debootstrap with apt-get as root where they are missing);
# 2. the image from Containerfile: the release binary, libonnxruntime from .venv's wheel,
#    models/ and rules/ (no training code, no test files);
# 3. the container as user 10001 (the image's), --read-only (the Kubernetes example's
#    readOnlyRootFilesystem), the compose example's environment and mounts (a read-only
#    veilgate.toml at /etc/veilgate/, a named audit volume at /var/lib/veilgate/audit, a
#    local access token), the host network with the listen address on 127.0.0.1, `serve
#    --upstream demo` (the built-in loopback upstream);
# 4. from the host: /healthz (and the time from start to healthy), a masked chat round trip
#    with the openai SDK, `podman healthcheck run` (the image's HEALTHCHECK) and the
#    Kubernetes example's exec probe, SIGTERM within the grace period, the audit chain
#    verified from the mounted volume, the image's size, and no compiler, pip or Python in it.
#
#   scripts/container-smoke.sh        # VEILGATE_BIN=path: another release binary
#
# Where no engine can be had (not root, no apt, podman cannot run a container here) it says
# so and exits 0: it skips, it does not fail.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR="$PWD"
# Loopback traffic never goes through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
say() { echo "container-smoke: $*"; }
die() { echo "container-smoke: FAILED: $*" >&2; exit 1; }

# shellcheck source=scripts/container-engine.sh
source scripts/container-engine.sh
if ! engine_setup; then
    say "skipped: $ENGINE_MISSING"
    exit 0
fi

BIN="${VEILGATE_BIN:-target/release/veilgate}"
if [[ -z "${VEILGATE_BIN:-}" ]]; then
    cargo build --release --locked --bin veilgate
fi
ORT_LIB="$(ls .venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1 2>/dev/null | head -1 || true)"
[[ -n "$ORT_LIB" ]] || die "run scripts/setup-python.sh first (ONNX Runtime)"

# The build context: exactly what the image holds.
CTX="$ROOT_DIR/target/container/context"
rm -rf "$CTX"
mkdir -p "$CTX"
install -m 0755 "$BIN" "$CTX/veilgate"
install -m 0644 "$ORT_LIB" "$CTX/libonnxruntime.so.1.31.1"
cp -r models rules "$CTX/"
rm -rf "$CTX"/models/*/train "$CTX/models/tagger/examples.jsonl"
IMAGE=localhost/veilgate:smoke
say "building $IMAGE"
NAME="veilgate-smoke-$$"
WORK="$(mktemp -d)"
# podman's own chatter (no systemd here for health-check timers) goes to a log, shown on failure.
PODMAN_LOG="$WORK/podman.log"
die() { cat "$PODMAN_LOG" >&2 2>/dev/null; echo "container-smoke: FAILED: $*" >&2; exit 1; }
podman build --quiet --format docker -f Containerfile -t "$IMAGE" "$CTX" >/dev/null 2>>"$PODMAN_LOG" \
    || die "podman build failed"
cleanup() {
    podman rm -f "$NAME" >/dev/null 2>&1 || true
    podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# The compose example's mounts: a read-only config file, and a named volume for the audit
# log (it starts as the image's /var/lib/veilgate/audit, owned by the image's user).
VOLUME="veilgate-smoke-audit-$$"
printf '[draft]\nmax_words = 6\n' >"$WORK/veilgate.toml"
chmod 0644 "$WORK/veilgate.toml"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TOKEN="smoke-token-$$"

STARTED=$(date +%s%N)
podman run -d --name "$NAME" \
    --read-only \
    --network=host \
    -e VEILGATE__SERVER__LISTEN="127.0.0.1:$PORT" \
    -e VEILGATE_LOCAL_TOKEN="$TOKEN" \
    -e VEILGATE__SERVER__ACCESS_TOKEN_ENV=VEILGATE_LOCAL_TOKEN \
    -e VEILGATE__AUDIT__PATH=/var/lib/veilgate/audit/audit.jsonl \
    -e VEILGATE_CONFIG=/etc/veilgate/veilgate.toml \
    -e NO_COLOR=1 \
    -v "$WORK/veilgate.toml:/etc/veilgate/veilgate.toml:ro" \
    -v "$VOLUME:/var/lib/veilgate/audit" \
    "$IMAGE" serve --upstream demo >/dev/null 2>>"$PODMAN_LOG" || die "podman run failed"

healthy=""
for _ in $(seq 1 300); do
    if python3 - "$PORT" <<'PY' 2>/dev/null; then healthy=1; break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1).read()
PY
    [[ "$(podman inspect --format '{{.State.Running}}' "$NAME")" == true ]] || break
    sleep 0.1
done
[[ -n "$healthy" ]] || { podman logs "$NAME" >&2; die "the container did not become healthy"; }
TO_HEALTHY_MS=$(( ($(date +%s%N) - STARTED) / 1000000 ))

[[ "$(podman exec "$NAME" id -u 2>>"$PODMAN_LOG")" == 10001 ]] || die "the container does not run as uid 10001"
podman exec "$NAME" sh -c 'touch /var/lib/veilgate/x' 2>>"$PODMAN_LOG" && die "the root file system is writable"

# A masked round trip with the official SDK, the local token as its API key.
.venv/bin/python - "$PORT" "$TOKEN" <<'PY' || { podman logs "$NAME" >&2; die "the SDK round trip failed"; }
import sys
import openai
client = openai.OpenAI(base_url=f"http://127.0.0.1:{sys.argv[1]}/v1", api_key=sys.argv[2])
reply = client.chat.completions.create(
    model="veilgate-demo",
    messages=[{"role": "user", "content": "Mail Jane Roe at jane.roe@example-mail.com"}],
)
text = reply.choices[0].message.content
assert "jane.roe@example-mail.com" in text, text
PY
# The logs are read once and searched as a string: `podman logs | grep -q` under pipefail
# fails when grep stops at its match while podman still writes (SIGPIPE), and would then
# also hide a match of the leak check.
LOGS="$(podman logs "$NAME" 2>&1)"
grep -q 'upstream received: Mail \[PERSON_1\] at \[EMAIL_1\]' <<<"$LOGS" \
    || { echo "$LOGS" >&2; die "the upstream did not get the masked text"; }
if grep -q 'jane.roe@example-mail.com' <<<"$LOGS"; then die "the logs hold the e-mail address"; fi

# The image's HEALTHCHECK, and the Kubernetes example's exec probe.
podman healthcheck run "$NAME" 2>>"$PODMAN_LOG" || die "podman healthcheck run failed"
podman exec "$NAME" veilgate health >/dev/null 2>>"$PODMAN_LOG" || die "the exec probe (veilgate health) failed"

# SIGTERM (podman stop) within a 10 s grace period: a clean exit, not a kill.
STOP_STARTED=$(date +%s%N)
podman stop -t 10 "$NAME" >/dev/null 2>>"$PODMAN_LOG"
STOP_MS=$(( ($(date +%s%N) - STOP_STARTED) / 1000000 ))
CODE="$(podman inspect --format '{{.State.ExitCode}}' "$NAME")"
[[ "$CODE" == 0 ]] || { podman logs "$NAME" >&2; die "exit status $CODE after SIGTERM"; }
(( STOP_MS < 10000 )) || die "SIGTERM took ${STOP_MS} ms (killed at the grace period)"

# The audit chain, read from the mounted volume on the host.
AUDIT_DIR="$(podman volume inspect --format '{{.Mountpoint}}' "$VOLUME")"
"$BIN" audit verify "$AUDIT_DIR/audit.jsonl" >/dev/null || die "the audit chain does not verify"

# What the image holds: no compiler, no pip, no Python, no test files.
podman run --rm --entrypoint sh "$IMAGE" -c '
    for tool in cc gcc cargo rustc pip pip3 python3; do
        command -v "$tool" >/dev/null && { echo "the image holds $tool"; exit 1; }
    done
    for path in /opt/veilgate/models/tagger/train /opt/veilgate/models/draft/train \
        /opt/veilgate/models/tagger/examples.jsonl /opt/veilgate/tests; do
        [ -e "$path" ] && { echo "the image holds $path"; exit 1; }
    done
    exit 0' 2>>"$PODMAN_LOG" || die "the image holds what it should not"

SIZE_MB=$(( $(podman image inspect --format '{{.Size}}' "$IMAGE") / 1000000 ))
say "ok: image $IMAGE ${SIZE_MB} MB; start to healthy ${TO_HEALTHY_MS} ms; SIGTERM to exit ${STOP_MS} ms"
say "exercised: podman build from Containerfile; run as uid 10001, --read-only, mounted config (ro) and named audit volume, local access token, host network on 127.0.0.1; /healthz; openai SDK round trip masked upstream and restored; podman healthcheck run; exec probe; SIGTERM; audit verify from the volume; no compiler, pip, Python or test files in the image"
