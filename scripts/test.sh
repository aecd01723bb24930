#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, runs every test, then runs
# every fuzz target for FUZZ_SECONDS (default 30) each.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

swift build --build-tests
swift test --skip-build

if [ -x scripts/fuzz.sh ]; then
    scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi
