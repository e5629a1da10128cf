#!/usr/bin/env bash
# Fails unless the .app's program and its Info.plist both say it opens on
# macOS WANT: the program's LC_BUILD_VERSION minos is what macOS enforces.
# Usage: scripts/macos-minos.sh APP.app WANT
set -euo pipefail
app=$1 want=$2
exe="$app/Contents/MacOS/$(/usr/libexec/PlistBuddy -c 'Print :CFBundleExecutable' "$app/Contents/Info.plist")"
minos=$(otool -l "$exe" | awk '/LC_BUILD_VERSION/ {b=1} b && $1 == "minos" {print $2; exit}')
plist=$(/usr/libexec/PlistBuddy -c 'Print :LSMinimumSystemVersion' "$app/Contents/Info.plist")
echo "$exe: minos $minos; LSMinimumSystemVersion $plist"
norm() { echo "$1" | sed -E 's/(\.0)+$//'; } # 12.0.0 is 12.0 is 12
[ "$(norm "$minos")" = "$(norm "$want")" ] && [ "$(norm "$plist")" = "$(norm "$want")" ] || { echo "want macOS $want in both" >&2; exit 1; }
