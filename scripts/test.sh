#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, runs every test, then runs
# every fuzz target for FUZZ_SECONDS (default 30) each. Ends with one line "tests: N passed, M failed".
#
# The tests run in groups, one after the other, each group in parallel: the unit and loopback tests, then the tests
# against other programs (Chromium, ffmpeg, coturn, NATs in namespaces), then the device SDK end to end, then the C
# API (its example runs once under valgrind, which takes a whole core for a minute), then the attacks on a real
# server (SecurityTests), then the web app's media tests one at a time (codecs and live input: Chromium decoding
# what ffmpeg encodes in real time, its audio playout measured; the calls in Firefox), then the rest of the web app
# end to end, then the 40 calls held on the default settings (12 minutes; alone, so that their first calls do not
# start in the web app's busiest minute). Last, the server's tests run again on PostgreSQL
# (RINGLET_TEST_STORE=postgresql: a throwaway Debian PostgreSQL the tests start, docs/store.md). Run all at once on
# two cores, the first minute starves everything (dozens of servers and browsers start together) and a test's wait
# for a callback, or a browser's audio playout, runs out while nothing is wrong.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

swift build --build-tests
# The device SDK's C library (debug), which examples/c-doorbell links against in Tests/RingletDeviceTests/CAPITests.
swift build --product ringlet_device
# SwiftPM adds to an existing archive and never removes the members of source files that went away (a moved
# type's old object then references symbols nobody defines): the archive is made afresh.
rm -f .build/debug/libringlet_device_static.a
swift build --product ringlet_device_static

interop=(ChromiumInteropTests FFmpegInteropTests RealNATTests TURNInteropTests)
endToEnd=(WebAppTests SecurityTests)

# Each group as `swift test` arguments; the first skips what the others run, so every test runs once.
skipOthers=(--skip "^RingletDeviceTests\\.")
for m in "${interop[@]}" "${endToEnd[@]}"; do skipOthers+=(--skip "^$m\\."); done
onlyInterop=()
for m in "${interop[@]}"; do onlyInterop+=(--filter "^$m\\."); done

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
passed=0
failed=0
run_group() {
    local name=$1
    shift
    echo "== tests: $name"
    local log="$logs/$name.log" code=0
    swift test --skip-build "$@" 2>&1 | tee "$log" || code=$?
    # Swift Testing closes with "Test run with N tests in M suites passed/failed … with K issues".
    local total ok
    total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | grep -oE '[0-9]+' | head -1 || true)
    ok=$(grep -oE 'Test run with [0-9]+ tests? in [0-9]+ suites? passed' "$log" | grep -oE '[0-9]+' | head -1 || true)
    if [ "$code" -eq 0 ] && [ -n "$ok" ] && [ "$ok" -gt 0 ]; then
        passed=$((passed + ok))
    else
        local f
        f=$(grep -E '^✘ Test .* failed after' "$log" | grep -vc '^✘ Test run' || true)
        [ "$f" -gt 0 ] || f=${total:-1}
        [ "$f" -gt 0 ] || f=1
        failed=$((failed + f))
        if [ -n "$total" ]; then passed=$((passed + total - f)); fi
        status=1
    fi
}
run_group unit-and-loopback "${skipOthers[@]}"
run_group interop "${onlyInterop[@]}"
run_group device-sdk --filter "^RingletDeviceTests\\." --skip "^RingletDeviceTests\\.CAPITests"
run_group c-api --filter "^RingletDeviceTests\\.CAPITests"
run_group security --filter "^SecurityTests\\."
run_group web-media --no-parallel --filter "^WebAppTests\\.CodecTests" --filter "^WebAppTests\\.LiveInputTests" \
    --filter "^WebAppTests\\.FirefoxCallTests"
run_group web-app --filter "^WebAppTests\\." --skip "^WebAppTests\\.CodecTests" --skip "^WebAppTests\\.LiveInputTests" \
    --skip "^WebAppTests\\.FirefoxCallTests" --skip "^WebAppTests\\.CallsHoldTests"
run_group web-soak --filter "^WebAppTests\\.CallsHoldTests"
RINGLET_TEST_STORE=postgresql run_group server-on-postgresql --filter '^RingletServerTests\.'

if [ "$status" -eq 0 ] && [ -x scripts/fuzz.sh ]; then
    scripts/fuzz.sh "${FUZZ_SECONDS:-30}" || status=$?
fi

echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
