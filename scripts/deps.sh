#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages a make target needs, only those missing.
# Usage: scripts/deps.sh run|test|package
# On other systems it prints what is missing and stops.
set -euo pipefail

case "${1:-}" in
  run)     pkgs=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
           # No container engine at all: Podman, which needs no daemon and
           # runs as the person (the app starts its API service itself).
           if ! command -v docker >/dev/null 2>&1 && ! command -v podman >/dev/null 2>&1; then
             pkgs+=(podman uidmap slirp4netns fuse-overlayfs catatonit)
           fi ;;
  test)    pkgs=(make nodejs build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev xvfb xauth xdotool dunst dbus-daemon dbus-bin tcsh tesseract-ocr tesseract-ocr-eng debootstrap chromium imagemagick nsis osslsigncode rpm dpkg-dev zip openssl desktop-file-utils squashfs-tools libsquashfuse-dev libfuse3-dev libzstd-dev liblz4-dev liblzo2-dev liblzma-dev zlib1g-dev fuse3 curl podman uidmap slirp4netns netavark aardvark-dns rootlesskit openssh-server openssh-client python3-gi gir1.2-gtk-3.0) ;;
  package) pkgs=(make build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev nsis osslsigncode rpm dpkg-dev zip openssl desktop-file-utils squashfs-tools libsquashfuse-dev libfuse3-dev libzstd-dev liblz4-dev liblzo2-dev liblzma-dev zlib1g-dev fuse3) ;;
  *) echo "usage: $0 run|test|package" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
  echo "Go is missing: install Go 1.26 or newer from https://go.dev/dl/ and put it on PATH." >&2
  exit 1
fi
# go.mod asks for 1.26; an older go would try to download a toolchain.
gov=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n1.26\n' "$gov" | sort -V | head -1)" != "1.26" ]; then
  echo "Go $gov is too old: install Go 1.26 or newer from https://go.dev/dl/." >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "Not a Debian/Ubuntu system. Install the equivalents of: ${pkgs[*]}" >&2
  exit 0
fi

# Ubuntu's chromium package is a snap; GitHub's runners have Google Chrome.
if command -v google-chrome >/dev/null 2>&1; then
  pkgs=("${pkgs[@]/chromium}")
fi

missing=()
for p in "${pkgs[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
