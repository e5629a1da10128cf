#!/usr/bin/env bash
# Builds Apptainer (not packaged for Debian) from its source on the Go
# module proxy, unprivileged (no setuid starter), for the test cluster's
# node: the real thing the job runs where a site has it.
#
# Usage: test/slurm/build-apptainer.sh   prints the path of a tarball of /opt/apptainer
#
# The tarball is kept in $NEURODESK_TEST_CACHE (default
# /var/cache/neurodeskapp-test), keyed by this script (a few minutes to make).
set -euo pipefail
version=v1.4.0
cache="${NEURODESK_TEST_CACHE:-/var/cache/neurodeskapp-test}"
out="$cache/apptainer-$version-$(sha256sum <"$0" | cut -c1-12).tar"
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/apptainer.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
log="$out.log"
echo "building Apptainer $version (a few minutes); log in $log" >&2
{
  # Its own module and build caches: its Makefile cleans the Go build cache.
  export GOMODCACHE="$work/mod" GOCACHE="$work/gocache" GOFLAGS=-mod=mod
  dir=$(cd "$work" && go mod download -json "github.com/apptainer/apptainer@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  cd "$work/src"
  # A module's files lose their modes and its git history: give back both.
  grep -rlI '^#!' --exclude-dir=e2e --exclude-dir=docs . | xargs chmod +x
  echo "${version#v}" >VERSION
  ./mconfig --without-suid --without-seccomp --without-libsubid -b builddir --prefix=/opt/apptainer
  make -C builddir -j"$(nproc)"
  make -C builddir install DESTDIR="$work/root"
} >"$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
# Network plugins (apptainer --net) are most of its size and unused here.
rm -rf "$work/root/opt/apptainer/libexec/apptainer/cni"
tar -C "$work/root" --owner=0 --group=0 -cf "$out.tmp" opt
mv "$out.tmp" "$out"
find "$cache" -maxdepth 1 -name "apptainer-*.tar*" ! -name "$(basename "$out")*" -delete
echo "$out"
