#!/usr/bin/env bash
# Installs, with apt-get, every Debian package that Ringlet's build and tests need and that is missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

packages=(
    libssl-dev      # OpenSSL 3: DTLS, SRTP fast path, HMAC (COpenSSL)
    pkg-config      # finds OpenSSL for SwiftPM
    ffmpeg          # interop peer: RTP/SRTP H.264, Opus, G.711
    coturn          # interop peer: TURN server (turnserver) and its tools (turnutils_*)
    stun-client     # interop peer: classic RFC 3489 STUN client (`stun`)
    chromium        # interop peer: headless browser WebRTC (fake camera/microphone) in a network namespace
    firefox-esr     # the web app in a second browser engine, driven headless over WebDriver BiDi (WebAppTests)
    iproute2        # ip netns: private network namespaces for the Chromium interop tests
    nftables        # nft masquerade: real NATs between network namespaces (RealNATTests)
    nginx           # the TLS-terminating reverse proxy of docs/deploy.md (DeploymentTests), started by the tests
    systemd         # systemd-analyze verify of contrib/systemd/ringlet.service (ShippedFilesTests)
    gcc             # the C API: examples/c-doorbell is built with gcc
    make            # … and its plain Makefile
    binutils        # objcopy (a debug-free copy of the library for valgrind)
    valgrind        # memcheck on the C example's whole call
    postgresql      # the PostgreSQL store's tests: a throwaway server (initdb, postgres) started by the tests
    postgresql-client # psql: the tests' raw SQL beside the store
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
