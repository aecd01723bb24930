#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (release, coverage + AddressSanitizer) and runs them one after another.
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# For each target (every executable target of Fuzz/Package.swift by default):
#   1. replays every file in Fuzz/Regressions/<target>/ once (inputs that crashed once and were fixed);
#   2. fuzzes for SECONDS, starting from the committed seeds in Fuzz/Corpus/<target>/ (may be empty or
#      missing), growing a work corpus in a temporary directory, writing crash inputs to Fuzz/artifacts/<target>/.
# Prints one summary line per target; exits non-zero if a build fails or any target crashes, after printing
# the crash input and the command that reproduces it. Total time: about SECONDS × targets + build.
#
# Environment:
#   FUZZ_WORK_DIR     keep work corpora in $FUZZ_WORK_DIR/<target>/ across runs (e.g. Fuzz/corpus-work, ignored)
#   FUZZ_EXTRA_FLAGS  more libFuzzer flags for every run (e.g. "-detect_leaks=0 -max_len=1500")
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
seconds=$1; shift
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

# Swift's crash handler would print its own backtrace (and trip ASan while doing it); let libFuzzer report.
export SWIFT_BACKTRACE=enable=no
# --sanitize fuzzer makes SwiftPM leave main() to libFuzzer (no entry-point renaming); the -Xswiftc flag is
# what actually instruments every module. Passing --sanitize twice is not equivalent: SwiftPM then emits the two
# -sanitize= flags in an unstable order and the driver keeps only the last one, losing coverage half the time.
build=(swift build -c release --package-path Fuzz --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringlet-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fuzz: building: ${build[*]}"
build_start=$SECONDS
build_status=0
"${build[@]}" >"$tmp/build.log" 2>&1 || build_status=$?
# ld.gold warns once per link about an ASan symbol it cannot export; harmless.
grep -v "Cannot export local symbol '__asan" "$tmp/build.log" | tail -n 30 || true
[ "$build_status" -eq 0 ] || { echo "fuzz: build failed" >&2; exit 1; }
echo "fuzz: build took $((SECONDS - build_start)) s"
bin=$("${build[@]}" --show-bin-path)

if [ $# -eq 0 ]; then
    mapfile -t targets < <(swift package --package-path Fuzz describe |
        awk '/^Targets:/ { t = 1 } t && /^    Name:/ { n = $2 } t && /^    Type: executable/ { print n }' | sort)
else
    targets=("$@")
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }

# shellcheck disable=SC2206
extra=(${FUZZ_EXTRA_FLAGS:-})
common=(-timeout=10 -rss_limit_mb=2048 "${extra[@]}")

# The useful part of a crash log: the first error report (top of its stack) and the sanitizer's summary line.
show_crash() {
    awk '/Fatal error|ERROR: |runtime error|deadly signal/ && !n { n = 1 } n && n++ <= 30' "$1" >&2
    grep -E '^SUMMARY: ' "$1" >&2 || true
}

summaries=()
failed=0
for t in "${targets[@]}"; do
    exe="$bin/$t"
    if [ ! -x "$exe" ]; then
        echo "fuzz: $t: no such fuzz target (is it ready: true in Fuzz/Package.swift?)" >&2
        summaries+=("$t: MISSING")
        failed=1
        continue
    fi
    log="$tmp/$t.log"

    # 1. Regressions: libFuzzer runs each file argument once and stops at the first crash.
    mapfile -t regressions < <(find "Fuzz/Regressions/$t" -type f ! -name '.*' 2>/dev/null | sort)
    if [ ${#regressions[@]} -gt 0 ]; then
        if ! "$exe" "${common[@]}" "${regressions[@]}" >"$log" 2>&1; then
            show_crash "$log"
            culprit=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
            echo "fuzz: $t: REGRESSION crashed: $culprit" >&2
            echo "fuzz: reproduce: SWIFT_BACKTRACE=enable=no $exe $culprit" >&2
            summaries+=("$t: REGRESSION FAILED ($culprit)")
            failed=1
            continue
        fi
    fi

    # 2. Fuzzing: new inputs go to the first corpus directory (work); seeds are only read.
    if [ -n "${FUZZ_WORK_DIR:-}" ]; then work="$FUZZ_WORK_DIR/$t"; else work="$tmp/corpus/$t"; fi
    mkdir -p "$work" "Fuzz/artifacts/$t"
    corpora=("$work")
    [ -d "Fuzz/Corpus/$t" ] && corpora+=("Fuzz/Corpus/$t")
    status=0
    started=$SECONDS
    "$exe" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$root/Fuzz/artifacts/$t/" "${corpora[@]}" >"$log" 2>&1 || status=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    took=$((SECONDS - started))
    [ -n "$rate" ] && [ "$rate" != 0 ] || rate=$(( ${runs:-0} / (took > 0 ? took : 1) ))
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(find "$work" -type f | wc -l)
    line="$t: runs ${runs:-?}, ${took} s, ${rate:-?} exec/s, cov ${cov:-?}, corpus $corpus"
    if [ "$status" -ne 0 ]; then
        show_crash "$log"
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        echo "fuzz: $t: CRASHED (exit $status); input: ${artifact:-none written}" >&2
        [ -n "$artifact" ] && echo "fuzz: reproduce: SWIFT_BACKTRACE=enable=no $exe $artifact" >&2
        summaries+=("$line — CRASH ${artifact:-}")
        failed=1
    else
        summaries+=("$line — ok")
    fi
    echo "fuzz: ${summaries[-1]}"
done

echo "fuzz: summary (${seconds} s per target)"
for s in "${summaries[@]}"; do echo "  $s"; done
exit "$failed"
