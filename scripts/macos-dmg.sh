#!/usr/bin/env bash
# Packs a built Neurodesk.app the way a release ships it (macOS only):
#   scripts/macos-dmg.sh APP DMG ZIP
# DMG: a disk image with the app and a link to /Applications, to drag onto.
# ZIP: the whole bundle, for the in-app updater, made with ditto without
#      resource forks or extended attributes (--norsrc --noextattr), so the
#      signature inside stays the one that was notarized.
set -euo pipefail
app=${1:?APP}
dmg=${2:?DMG}
zip=${3:?ZIP}
mkdir -p "$(dirname "$dmg")" "$(dirname "$zip")"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ditto "$app" "$stage/$(basename "$app")"
ln -s /Applications "$stage/Applications"
hdiutil create -volname Neurodesk -srcfolder "$stage" -ov -format UDZO "$dmg"
ditto -c -k --norsrc --noextattr --keepParent "$app" "$zip"
