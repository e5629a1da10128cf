#!/usr/bin/env bash
# Builds the test image with a real Jupyter server from Debian's packages
# (no registry is reachable, so there is no base image: debootstrap makes
# the root file system and `docker import` turns it into an image).
#
# Usage: test/jupyter/build-image.sh   prints the image reference
#
# The image is named for the hash of this folder, so it is built again only
# when these files change. The Debian root file system (the slow part, a few
# minutes) is kept as a tarball in $NEURODESK_TEST_CACHE (default
# /var/cache/neurodeskapp-test), named for the packages in it, and the
# files of this folder are added to a copy of it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite=bookworm
packages="python3-notebook python3-terminado procps"
hash=$(cd "$here" && cat build-image.sh start.sh neurodesk_test.py page.html | sha256sum | cut -c1-12)
ref="neurodeskapp-test/jupyter:$hash"
if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
cache="${NEURODESK_TEST_CACHE:-/var/cache/neurodeskapp-test}"
mkdir -p "$cache"
base="$cache/debian-$suite-$(echo "$packages" | sha256sum | cut -c1-12).tar"
if [ ! -s "$base" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'umount "$root/proc" 2>/dev/null; rm -rf --one-file-system "$root"' EXIT
  log="$base.log"
  echo "debootstrap: a Debian root file system with Jupyter (a few minutes); log in $log" >&2
  debootstrap --variant=minbase "$suite" "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  # apt, not debootstrap, resolves and orders Jupyter's many dependencies.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  # shellcheck disable=SC2086 # a list of packages
  { chroot "$root" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends $packages; } >>"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get clean
  # The image's user, as in Neurodesktop (start.sh gives it NB_UID).
  chroot "$root" useradd -m -s /bin/bash -u 1000 jovyan
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin
  tar -C "$root" -cf "$base.tmp" .
  mv "$base.tmp" "$base"
fi
# This folder's files on top of a copy of the base.
stage=$(mktemp -d)
image=$(mktemp "$cache/image.XXXXXX.tar")
trap 'rm -rf "$stage" "$image"' EXIT
install -D -m 0755 "$here/start.sh" "$stage/usr/local/bin/start.sh"
install -D -m 0644 "$here/neurodesk_test.py" "$stage/usr/local/share/neurodesk-test/neurodesk_test.py"
install -D -m 0644 "$here/page.html" "$stage/usr/local/share/neurodesk-test/page.html"
files=(./usr/local/bin/start.sh ./usr/local/share/neurodesk-test/neurodesk_test.py ./usr/local/share/neurodesk-test/page.html)
cp "$base" "$image"
tar --delete -f "$image" "${files[@]}" 2>/dev/null || true # the engine refuses a tar that names a path twice
tar -C "$stage" -rf "$image" "${files[@]}"
docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["start.sh"]' "$image" "$ref" >/dev/null
echo "$ref"
