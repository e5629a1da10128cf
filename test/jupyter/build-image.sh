#!/usr/bin/env bash
# Builds the test image that behaves like the Neurodesktop image: JupyterLab 4
# on Jupyter Server 2 from Debian 13 (trixie) packages, entered as the real
# image is (ENTRYPOINT tini -g -- start.sh, a docker-stacks start.sh with its
# hooks, jovyan 1000:100, the configuration in /etc/jupyter). No registry is
# reachable, so there is no base image: debootstrap makes the root file
# system and `docker import` turns it into an image.
#
# Usage: test/jupyter/build-image.sh   prints the image reference
#
# The image is named for the hash of this script and of image/ (the files
# laid over the Debian root at the same paths), so it is built again only
# when they change. The Debian root (the slow part, a few minutes) is kept
# as a tarball in $NEURODESK_TEST_CACHE (default /var/cache/neurodeskapp-test),
# named for the packages in it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite=trixie
# JupyterLab 4 on Jupyter Server 2; a real X desktop behind the desktop's
# routes (TigerVNC's Xvnc, openbox, xterm, noVNC's client as the stand-in for
# Guacamole's, x11-utils and xclip for the tests to look inside); papermill for
# unattended runs.
packages="jupyterlab jupyter-core python3-jupyter-server python3-terminado python3-ipykernel tini sudo procps passwd
  tigervnc-standalone-server openbox xterm xfonts-base fonts-dejavu-core x11-utils x11-xserver-utils xclip novnc
  python3-papermill python3-nbconvert"
hash=$( (cd "$here" && cat build-image.sh && find image -type f | LC_ALL=C sort | while read -r f; do echo "$f $(stat -c %a "$f")"; cat "$f"; done) | sha256sum | cut -c1-12)
ref="neurodeskapp-test/jupyterlab:$hash"
if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
cache="${NEURODESK_TEST_CACHE:-/var/cache/neurodeskapp-test}"
mkdir -p "$cache"
# The base is keyed by this whole script: what it installs and what it strips.
base="$cache/debian-$suite-$(sha256sum <"$here/build-image.sh" | cut -c1-12).tar"
if [ ! -s "$base" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'umount "$root/proc" 2>/dev/null; rm -rf --one-file-system "$root"' EXIT
  log="$base.log"
  echo "debootstrap: a Debian $suite root with JupyterLab 4 (a few minutes); log in $log" >&2
  debootstrap --variant=minbase "$suite" "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  # apt, not debootstrap --include, resolves and configures Jupyter's many
  # dependencies.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  # shellcheck disable=SC2086 # a list of packages
  { chroot "$root" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends $packages; } >>"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get clean
  # The image's user as docker-stacks makes it: jovyan, uid 1000, in the
  # group users (100), which start.sh refits to NB_UID/NB_GID.
  chroot "$root" useradd --no-log-init --create-home --shell /bin/bash --uid 1000 --no-user-group jovyan
  # JupyterLab's built front end is in /usr/share/jupyter/lab; the node
  # modules it was built from (~900 MB), node itself (only for building
  # extensions; without its modules it crashes when Lab asks yarn for its
  # configuration) and the docs are not needed to run.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin \
    "$root"/usr/share/nodejs "$root"/usr/bin/node "$root"/usr/bin/nodejs "$root"/usr/share/locale/*
  find "$root/usr/share/jupyter/lab/static" -name '*.js.map' -delete
  chmod 755 "$root" # mktemp made it 0700: as the image's /, only root could enter (rootless Podman keeps that)
  tar -C "$root" -cf "$base.tmp" .
  mv "$base.tmp" "$base"
  rm -rf --one-file-system "$root" # now: the trap below replaces this one
  trap - EXIT
  find "$cache" -maxdepth 1 -name "debian-$suite-*.tar*" ! -name "$(basename "$base")*" -delete # earlier scripts' bases
fi
# image/ on top of a copy of the base.
image=$(mktemp "$cache/image.XXXXXX.tar")
trap 'rm -f "$image"' EXIT
mapfile -t files < <(cd "$here/image" && find . -type f | LC_ALL=C sort)
cp "$base" "$image"
tar --delete -f "$image" "${files[@]}" 2>/dev/null || true # the engine refuses a tar that names a path twice
tar -C "$here/image" --owner=0 --group=0 -rf "$image" "${files[@]}"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NB_USER=jovyan NB_UID=1000 NB_GID=100 HOME=/home/jovyan JUPYTER_PORT=8888' \
  --change 'USER root' \
  --change 'WORKDIR /home/jovyan' \
  --change 'ENTRYPOINT ["tini", "-g", "--", "start.sh"]' \
  --change 'CMD ["jupyter", "lab"]' \
  "$image" "$ref" >/dev/null
# Older builds of this image (another script or image/) are ours to remove.
docker images neurodeskapp-test/jupyterlab --format '{{.Repository}}:{{.Tag}}' | grep -v ":$hash\$" | xargs -r docker rmi >/dev/null 2>&1 || true
echo "$ref"
