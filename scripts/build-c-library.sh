#!/usr/bin/env bash
# Builds the device SDK's C library for shipping: libringlet_device.so (the Swift runtime linked in statically,
# only the iv_* functions of include/ringlet_device.h exported, unused sections dropped, identical code folded) and
# libringlet_device.a
# (the SDK and the Swift packages it uses; link it with the toolchain's static Swift libraries, see
# examples/c-doorbell/Makefile), stripped copies of both, and the header, under OUT (default .build/c-api).
#
#   scripts/build-c-library.sh            # release, in its own scratch path (.build-c)
#   OUT=/opt/ringlet scripts/build-c-library.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.build/c-api}
SCRATCH=${SCRATCH:-.build-c}

# The same flags for both products (they share every compiled module; other flags would rebuild them all).
flags=(-Xswiftc -static-stdlib -Xlinker --version-script="$PWD/scripts/ringlet_device.map" -Xlinker --gc-sections
       -Xlinker --icf=all)
swift build -c release --scratch-path "$SCRATCH" --product ringlet_device "${flags[@]}"
swift build -c release --scratch-path "$SCRATCH" --product ringlet_device_static "${flags[@]}"

mkdir -p "$OUT/lib" "$OUT/include"
cp include/ringlet_device.h "$OUT/include/"
cp "$SCRATCH/release/libringlet_device.so" "$OUT/lib/libringlet_device.so"
cp "$SCRATCH/release/libringlet_device_static.a" "$OUT/lib/libringlet_device.a"
strip --strip-unneeded "$OUT/lib/libringlet_device.so"
strip --strip-debug "$OUT/lib/libringlet_device.a"
ls -l "$OUT/lib"
