#!/usr/bin/env bash
# Builds the test cluster's machines: one Debian 12 image that is a SLURM
# cluster's login node or its compute node (start-cluster, by $ROLE), with
# Debian's own slurmctld, slurmd and munge, and OpenSSH on the login node for
# the app to log in (as ana, on port 2222). The compute node has rootless Podman (for ana); `apptainer` on it is a stand-in
# (image/usr/local/bin/apptainer) that serves what the app asks of Jupyter,
# and the real Apptainer (build-apptainer.sh) is in /opt/apptainer for the
# tests that run the JupyterLab image with it.
# No registry is reachable: debootstrap makes the root and `docker import`
# turns it into an image.
#
# Usage: test/slurm/build-image.sh   prints the image reference
#
# The image is named for the hash of this script and of image/; the Debian
# root (the slow part, a few minutes) is kept as a tarball in
# $NEURODESK_TEST_CACHE (default /var/cache/neurodeskapp-test), keyed by
# this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite=bookworm
packages="slurm-wlm munge openssh-server python3 procps podman uidmap slirp4netns fuse-overlayfs squashfs-tools squashfuse fuse2fs tcsh"
apptainer=$("$here/build-apptainer.sh")
hash=$( (cd "$here" && cat build-image.sh && basename "$apptainer" && find image -type f | LC_ALL=C sort | while read -r f; do echo "$f $(stat -c %a "$f")"; cat "$f"; done) | sha256sum | cut -c1-12)
ref="neurodeskapp-test/slurm:$hash"
if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
cache="${NEURODESK_TEST_CACHE:-/var/cache/neurodeskapp-test}"
mkdir -p "$cache"
base="$cache/slurm-$suite-$(sha256sum <"$here/build-image.sh" | cut -c1-12).tar"
if [ ! -s "$base" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d "$cache/slurmroot.XXXXXX")
  chmod 755 "$root" # mktemp's 0700 keeps munge's postinst (run as munge) out of its own /
  trap 'umount "$root/proc" 2>/dev/null; rm -rf --one-file-system "$root"' EXIT
  log="$base.log"
  echo "debootstrap: a Debian $suite root with SLURM (a few minutes); log in $log" >&2
  debootstrap --variant=minbase "$suite" "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  # shellcheck disable=SC2086 # a list of packages
  { chroot "$root" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends $packages; } >>"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d" "$root"/etc/ssh/ssh_host_*
  chroot "$root" apt-get clean
  # The cluster's user.
  chroot "$root" useradd --create-home --shell /bin/bash --uid 2001 ana
  chroot "$root" usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ana # rootless Podman
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin "$root"/usr/share/locale/*
  tar -C "$root" -cf "$base.tmp" .
  mv "$base.tmp" "$base"
  rm -rf --one-file-system "$root"
  trap - EXIT
  find "$cache" -maxdepth 1 -name "slurm-$suite-*.tar*" ! -name "$(basename "$base")*" -delete
fi
image=$(mktemp "$cache/slurmimage.XXXXXX.tar")
trap 'rm -f "$image"' EXIT
mapfile -t files < <(cd "$here/image" && find . -type f | LC_ALL=C sort)
cp "$base" "$image"
tar --delete -f "$image" "${files[@]}" 2>/dev/null || true
tar -C "$here/image" --owner=0 --group=0 -rf "$image" "${files[@]}"
# Only /opt/apptainer: the root's own ./opt entry must not come twice.
opt=$(mktemp -d "$cache/slurmopt.XXXXXX")
trap 'rm -f "$image"; rm -rf "$opt"' EXIT
tar -C "$opt" -xf "$apptainer"
tar -C "$opt" -rf "$image" ./opt/apptainer
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/usr/local/sbin/start-cluster"]' \
  "$image" "$ref" >/dev/null
docker images neurodeskapp-test/slurm --format '{{.Repository}}:{{.Tag}}' | grep -v ":$hash\$" | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$ref"
