#!/usr/bin/env bash
# The full test suite (README: "run the tests"). Installs what is missing first (idempotent), then:
# typecheck (in the build), lint, and every jest project — unit, sandbox peers, and integration on
# a real embedded PostgreSQL + Temporal dev server. Extra arguments go to jest.
# Ends with one line: "jest: N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh" --with-test-tools
source "$ROOT/scripts/env.sh"
cd "$ROOT"

t0=$EPOCHREALTIME
echo "[test] lint ..."
npx eslint . --max-warnings=0
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }
awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "[test] lint done in %.1fs\n", b - a }'

mkdir -p .data/test
results=.data/test/jest-results.json
rm -f "$results"
status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --json --outputFile="$results" "$@" || status=$?

if [ -f "$results" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const failedSuites = r.numFailedTestSuites - r.testResults.filter(s => s.assertionResults.some(a => a.status === "failed")).length;
    if (failedSuites > 0) console.log(`[test] ${failedSuites} test file(s) failed to run`);
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests + Math.max(failedSuites, 0)} failed`);
  ' "$results"
else
  echo "jest: 0 passed, 1 failed"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
