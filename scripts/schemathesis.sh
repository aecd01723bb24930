#!/usr/bin/env bash
# Schemathesis (PyPI) against `ringlet serve --dev`'s own OpenAPI document: no input may give a server error.
#
# Usage: scripts/schemathesis.sh [path/to/ringlet]   (default: .build/debug/ringlet; RINGLET_BIN also works)
# Installs schemathesis with pip if missing, starts the server on a temporary data folder and a free port, runs
# a bounded schemathesis run (few examples per operation, a time limit) with the dev admin token and the
# "not_a_server_error" check, stops the server by its pid, and exits with schemathesis's status.
set -euo pipefail

ringlet="${1:-${RINGLET_BIN:-.build/debug/ringlet}}"
ringlet="$(cd "$(dirname "$ringlet")" && pwd)/$(basename "$ringlet")"  # absolute: schemathesis runs in the temp folder
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-8}"
time_limit="${SCHEMATHESIS_TIME_LIMIT:-60}"
[ -x "$ringlet" ] || { echo "schemathesis.sh: no ringlet executable at $ringlet" >&2; exit 2; }

if ! command -v schemathesis >/dev/null 2>&1 && ! python3 -c 'import schemathesis' >/dev/null 2>&1; then
    python3 -m pip install --quiet schemathesis
fi
if command -v schemathesis >/dev/null 2>&1; then st=(schemathesis); else st=(python3 -m schemathesis.cli); fi

work="$(mktemp -d -t ringlet-schemathesis-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
turn_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"

# Schemathesis sends thousands of requests with made-up credentials from one address; with the default limit of
# failed authentications per address (docs/security.md) almost all of them would soon get 429 and the run would
# explore nothing. The limit itself is tested by Tests/SecurityTests; here it is raised out of the way.
cat >"$work/config.json" <<'JSON'
{"limits": {"authFailureBurst": 1000000, "authFailuresPerMinute": 1000000}}
JSON
"$ringlet" serve --dev --config "$work/config.json" --data-dir "$work/data" --http "127.0.0.1:$port" \
    --turn "127.0.0.1:$turn_port" >"$work/serve.stdout" 2>"$work/serve.stderr" &
server_pid=$!
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT

for _ in $(seq 1 200); do
    grep -q "listening on" "$work/serve.stdout" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.stderr" >&2; echo "schemathesis.sh: server exited" >&2; exit 2; }
    sleep 0.1
done
grep -q "listening on" "$work/serve.stdout" || { echo "schemathesis.sh: server did not start" >&2; exit 2; }
token="$(sed -n 's/^admin token: //p' "$work/serve.stdout" | head -n1)"
[ -n "$token" ] || { echo "schemathesis.sh: no admin token printed" >&2; exit 2; }

base="http://127.0.0.1:$port"
status=0
(cd "$work" && timeout --kill-after=10 "$((time_limit + 30))" "${st[@]}" run "$base/v1/openapi.yaml" \
    --url "$base" \
    --checks not_a_server_error \
    --max-examples "$max_examples" \
    --max-response-time 10 \
    --max-time "$time_limit" \
    --generation-deterministic \
    --header "Authorization: Bearer $token" \
    --no-color \
    >"$work/schemathesis.out" 2>&1) || status=$?
tail -n 40 "$work/schemathesis.out"
if [ -s "$work/serve.stderr" ] && grep -q "request failed\|store failed" "$work/serve.stderr"; then
    echo "schemathesis.sh: the server logged failures:" >&2
    grep "request failed\|store failed" "$work/serve.stderr" | head -n 20 >&2
    status=1
fi
echo "schemathesis.sh: exit $status (log in $work)"
exit "$status"
