#!/usr/bin/env bash
# Starts the whole service on embedded defaults (README: "start DISPATCH"): installs what is
# missing first (idempotent), then runs the local stack in the foreground — Ctrl-C stops everything.
#   scripts/start.sh          start (or recover after a crash)
#   scripts/start.sh stop     stop leftovers of a stack that was killed
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
exec node dist/src/starters/local-stack.js "${@:-start}"
