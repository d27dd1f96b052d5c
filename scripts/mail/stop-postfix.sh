#!/usr/bin/env bash
# Stops the Postfix started by start-postfix.sh ROOT: by the pid in its own queue, and only if that
# pid is still our master (its working directory is our queue). Safe to call when nothing runs.
# Usage: stop-postfix.sh ROOT
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"

ROOT=${1:?usage: stop-postfix.sh ROOT}
[ -d "$ROOT" ] || { echo "postfix: no $ROOT, nothing to stop"; exit 0; }
ROOT=$(cd "$ROOT" && pwd)
SPOOL=$(short_dir "$ROOT" postfix-spool)
PID_FILE="$SPOOL/pid/master.pid"
# a socket directory outside ROOT (long ROOT, see short_dir) is removed once the server is down
trap 'case $SPOOL in "$ROOT"/*) ;; *) if [ ! -f "$PID_FILE" ] || ! kill -0 "$(tr -d " " <"$PID_FILE")" 2>/dev/null; then rm -rf "$SPOOL"; fi ;; esac' EXIT
[ -f "$PID_FILE" ] || { echo "postfix: not running (no $PID_FILE)"; exit 0; }
pid=$(tr -d ' ' <"$PID_FILE")
if ! { [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$SPOOL" ] && grep -q 'postfix/sbin/master' "/proc/$pid/cmdline" 2>/dev/null; }; then
  echo "postfix: not running (stale $PID_FILE)"
  exit 0
fi
stop_tree "$pid" postfix
