#!/usr/bin/env bash
# Builds the Windows lane's image: Wine 10 from Debian 13 (trixie), which
# runs Go 1.26 Windows programs (Debian 12's Wine 8 cannot), with a Wine
# prefix made once at build time so each test starts in a second. No
# registry is reachable: debootstrap makes the root and `docker import`
# turns it into an image.
#
# Usage: test/wine/build-image.sh   prints the image reference
#
# The image is named for the hash of this script; the Debian root (the slow
# part, a few minutes) is kept as a tarball in $NEURODESK_TEST_CACHE
# (default /var/cache/neurodeskapp-test), keyed the same way.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite=trixie
packages="wine wine64 procps"
hash=$(sha256sum <"$here/build-image.sh" | cut -c1-12)
ref="neurodeskapp-test/wine:$hash"
if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
cache="${NEURODESK_TEST_CACHE:-/var/cache/neurodeskapp-test}"
mkdir -p "$cache"
base="$cache/wine-$suite-$hash.tar"
if [ ! -s "$base" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d "$cache/wineroot.XXXXXX")
  trap 'umount "$root/proc" 2>/dev/null; rm -rf --one-file-system "$root"' EXIT
  log="$base.log"
  echo "debootstrap: a Debian $suite root with Wine (a few minutes); log in $log" >&2
  debootstrap --variant=minbase "$suite" "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  # shellcheck disable=SC2086 # a list of packages
  { chroot "$root" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends $packages; } >>"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  # The prefix, made now: without a display, and without Mono and Gecko
  # (nothing here is .NET or uses Wine's HTML engine), which would be
  # downloaded. winemenubuilder is off so installers make no Linux menus.
  chroot "$root" env HOME=/root WINEPREFIX=/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d" \
    sh -c 'wineboot --init && wineserver --wait' >>"$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin "$root"/usr/share/locale/*
  chmod 755 "$root"
  tar -C "$root" -cf "$base.tmp" .
  mv "$base.tmp" "$base"
  rm -rf --one-file-system "$root"
  trap - EXIT
  find "$cache" -maxdepth 1 -name "wine-$suite-*.tar*" ! -name "$(basename "$base")*" -delete
fi
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV HOME=/root WINEPREFIX=/wine WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d' \
  "$base" "$ref" >/dev/null
docker images neurodeskapp-test/wine --format '{{.Repository}}:{{.Tag}}' | grep -v ":$hash\$" | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$ref"
