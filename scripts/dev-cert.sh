#!/usr/bin/env bash
# Makes a local development CA and a server certificate for localhost and 127.0.0.1, signed by
# it, for veilgate's TLS listener (server.tls_cert / server.tls_key). See certs/README.md.
#
#   scripts/dev-cert.sh [DIR]     # default certs/dev (git-ignored); needs openssl
#
# Writes DIR/ca.pem (trust this in clients), DIR/ca.key, DIR/server.pem, DIR/server.key.
# Existing files are kept unless FORCE=1. Keys are mode 0600 and never belong in git.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-certs/dev}"
DAYS="${DAYS:-825}"

command -v openssl >/dev/null 2>&1 || { echo "dev-cert: openssl not found (apt-get install openssl)" >&2; exit 1; }
if [[ -f "$DIR/server.pem" && "${FORCE:-0}" != 1 ]]; then
    echo "dev-cert: $DIR/server.pem exists; FORCE=1 to replace it"
    exit 0
fi
mkdir -p "$DIR"
umask 077
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" -days "$DAYS" \
    -subj "/CN=veilgate local development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$DIR/server.key" -out "$TMP/server.csr" -subj "/CN=localhost" 2>/dev/null
cat >"$TMP/ext.cnf" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$TMP/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial \
    -CAserial "$TMP/ca.srl" -out "$DIR/server.pem" -days "$DAYS" -extfile "$TMP/ext.cnf" 2>/dev/null
chmod 644 "$DIR/ca.pem" "$DIR/server.pem"
echo "dev-cert: wrote $DIR/ca.pem, $DIR/server.pem, $DIR/server.key (CA key: $DIR/ca.key)"
