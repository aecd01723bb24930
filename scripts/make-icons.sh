#!/usr/bin/env bash
# Renders the web app's PNG icons (Sources/RingletServer/Resources/app/icons/) from SVG with headless Chromium.
# The PNGs are committed; run this again only when the design changes (docs/webapp.md, "Installable app").
#
#   icon-192.png, icon-512.png   purpose "any": the rounded blue square of icon.svg with the white bell
#   icon-maskable-512.png        purpose "maskable": full-bleed blue, the bell inside the 80 % safe circle
#   apple-touch-icon.png (180)   iOS home screen (iOS rounds the corners itself): full-bleed like the maskable one
#   badge-96.png                 Android's status-bar badge: the white bell alone on transparency
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/Sources/RingletServer/Resources/app/icons"
work="$(mktemp -d -t ringlet-icons-XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

bell='<path d="M32 14c-8 0-13 6-13 14v9l-4 6v2h34v-2l-4-6v-9c0-8-5-14-13-14z" fill="#fff"/><circle cx="32" cy="50" r="4" fill="#fff"/>'
any="<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' rx='14' fill='#1d4ed8'/>$bell</svg>"
full="<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' fill='#1d4ed8'/><g transform='translate(32 32) scale(.72) translate(-32 -32)'>$bell</g></svg>"
badge="<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'>$bell</svg>"

render() { # NAME SIZE SVG
    local name="$1" size="$2" svg="$3"
    printf '<!doctype html><html><body style="margin:0;background:transparent">%s</body></html>' \
        "${svg/<svg /<svg width=\"$size\" height=\"$size\" style=\"display:block\" }" >"$work/$name.html"
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
        --default-background-color=00000000 --force-device-scale-factor=1 --window-size="$size,$size" \
        --screenshot="$out/$name.png" "file://$work/$name.html" >/dev/null 2>&1
    echo "$out/$name.png"
}

render icon-192 192 "$any"
render icon-512 512 "$any"
render icon-maskable-512 512 "$full"
render apple-touch-icon 180 "$full"
render badge-96 96 "$badge"
