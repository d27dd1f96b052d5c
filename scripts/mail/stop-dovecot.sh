#!/usr/bin/env bash
# Stops the Dovecot started by start-dovecot.sh ROOT: by the pid in its own pid file, and only if
# that pid is still our master (a stale pid file may name an unrelated process by now).
# Safe to call when nothing runs. Usage: stop-dovecot.sh ROOT
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"

ROOT=${1:?usage: stop-dovecot.sh ROOT}
[ -d "$ROOT" ] || { echo "dovecot: no $ROOT, nothing to stop"; exit 0; }
ROOT=$(cd "$ROOT" && pwd)
RUN=$(short_dir "$ROOT" dovecot-run)
PID_FILE="$RUN/master.pid"
# a socket directory outside ROOT (long ROOT, see short_dir) is removed once the server is down
trap 'case $RUN in "$ROOT"/*) ;; *) if [ ! -f "$PID_FILE" ] || ! kill -0 "$(tr -d " " <"$PID_FILE")" 2>/dev/null; then rm -rf "$RUN"; fi ;; esac' EXIT
[ -f "$PID_FILE" ] || { echo "dovecot: not running (no $PID_FILE)"; exit 0; }
pid=$(cat "$PID_FILE")
if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $ROOT/dovecot.conf"; then
  echo "dovecot: not running (stale $PID_FILE)"
  exit 0
fi
stop_tree "$pid" dovecot
