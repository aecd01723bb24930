#!/usr/bin/env bash
# Runs scripts/webpush-peer.py (a stand-in Web Push service that checks Ringlet's requests with http_ece, py_vapid
# and cryptography from PyPI), installing those with pip when they are missing. Arguments go to the script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! python3 -c 'import http_ece, py_vapid, cryptography' >/dev/null 2>&1; then
    python3 -m pip install --quiet http_ece py-vapid cryptography >&2
fi
exec python3 "$here/webpush-peer.py" "$@"
