#!/usr/bin/env bash
# Creates a self-signed certificate for localhost/127.0.0.1 in DIR (cert.pem, key.pem), once:
# an existing pair is kept, so DIR/cert.pem can be given to clients (NODE_EXTRA_CA_CERTS or a
# `ca` option) before the servers start. Valid 10 years (a cert that expires breaks tests silently).
# Usage: make-tls-cert.sh DIR
set -euo pipefail
DIR=${1:?usage: make-tls-cert.sh DIR}
if [ -s "$DIR/cert.pem" ] && [ -s "$DIR/key.pem" ]; then exit 0; fi
mkdir -p "$DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj '/CN=localhost' -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$DIR/key.pem.tmp" -out "$DIR/cert.pem.tmp" 2>/dev/null
chmod 600 "$DIR/key.pem.tmp"
chmod 644 "$DIR/cert.pem.tmp"
mv "$DIR/key.pem.tmp" "$DIR/key.pem"
mv "$DIR/cert.pem.tmp" "$DIR/cert.pem"
echo "tls certificate: $DIR/cert.pem"
