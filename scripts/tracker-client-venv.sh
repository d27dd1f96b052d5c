#!/usr/bin/env bash
# Creates (idempotently) .tools/venv-tracker with Yandex's official Python Tracker client, used by the
# contract test (test/contract/official_client_contract.py). Prints the venv's python path on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/venv-tracker"
CLIENT_VERSION="2.10"    # yandex-tracker-client; the contract test was verified against this release
REQUESTS_VERSION="2.34.2"
PYTHON="${PYTHON:-python3}"

installed_version() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
print(m.version("yandex-tracker-client"))
PY
}

if [ -x "$VENV/bin/python" ] && [ "$(installed_version || true)" = "$CLIENT_VERSION" ]; then
  echo "$VENV/bin/python"
  exit 0
fi

if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "tracker-client-venv: $PYTHON lacks venv/ensurepip (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

mkdir -p "$ROOT/.tools"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
  "yandex-tracker-client==$CLIENT_VERSION" "requests==$REQUESTS_VERSION" >&2
echo "$VENV/bin/python"
