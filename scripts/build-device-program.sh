#!/usr/bin/env bash
# Builds ringlet-device (the simulated device of `ringlet device` as a program of its own) the way a device maker
# ships a Swift program on embedded Linux: release, the Swift runtime linked statically, not position-independent,
# no symbol exported (--static-swift-stdlib links with -export-dynamic, 2.7 MB of dynamic symbols nothing looks
# up), identical code folded; with the linker's map in .build-static/ringlet-device.map for `ringlet bench size`.
#
#   scripts/build-device-program.sh
#   ringlet bench size --map .build-static/ringlet-device.map --binary .build-static/release/ringlet-device
#   ringlet bench device --device-binary .build-static/release/ringlet-device
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product ringlet-device --scratch-path .build-static \
    -Xlinker -no-pie -Xlinker --version-script="$PWD/scripts/ringlet-device-program.map" -Xlinker --icf=all \
    -Xlinker -Map="$PWD/.build-static/ringlet-device.map"
ls -l .build-static/release/ringlet-device
