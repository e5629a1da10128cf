#!/usr/bin/env bash
# Fails unless the .app opens on every macOS its Info.plist promises: the
# program's LC_BUILD_VERSION minos (what macOS enforces) must be no later
# than LSMinimumSystemVersion, which must be WANT.
# Usage: scripts/macos-minos.sh APP.app WANT
set -euo pipefail
app=$1 want=$2
plist="$app/Contents/Info.plist"
exe="$app/Contents/MacOS/$(/usr/libexec/PlistBuddy -c 'Print :CFBundleExecutable' "$plist")"
minos=$(otool -l "$exe" | awk '/LC_BUILD_VERSION/ {b=1} b && $1 == "minos" {print $2; exit}')
promise=$(/usr/libexec/PlistBuddy -c 'Print :LSMinimumSystemVersion' "$plist")
echo "$exe: minos ${minos:-none}; LSMinimumSystemVersion $promise"
norm() { echo "$1" | sed -E 's/(\.0)+$//'; } # 12.0.0 is 12.0 is 12
[ "$(norm "$promise")" = "$(norm "$want")" ] || { echo "Info.plist promises macOS $promise, want $want" >&2; exit 1; }
[ -n "$minos" ] || { echo "no LC_BUILD_VERSION in $exe" >&2; exit 1; }
first=$(printf '%s\n%s\n' "$(norm "$minos")" "$(norm "$promise")" | sort -V | head -1)
[ "$first" = "$(norm "$minos")" ] || { echo "the program needs macOS $minos, later than the $promise Info.plist promises" >&2; exit 1; }
