#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, runs every test, then runs
# every fuzz target for FUZZ_SECONDS (default 30) each. Ends with one line "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

swift build --build-tests

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build 2>&1 | tee "$log" || status=$?

if [ "$status" -eq 0 ] && [ -x scripts/fuzz.sh ]; then
    scripts/fuzz.sh "${FUZZ_SECONDS:-30}" || status=$?
fi

# Swift Testing closes with "Test run with N tests in M suites passed/failed … with K issues".
passed=$(grep -oE 'Test run with [0-9]+ tests? in [0-9]+ suites? passed' "$log" | grep -oE '[0-9]+' | head -1 || true)
total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | grep -oE '[0-9]+' | head -1 || true)
failed=0
if [ -z "$passed" ]; then
    passed=0
    failed=$(grep -E '^✘ Test .* failed after' "$log" | grep -vc '^✘ Test run' || true)
    [ "$failed" -gt 0 ] || failed=${total:-1}
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
