#!/usr/bin/env bash
# Builds AppImage's type-2 runtime from third_party/appimage-runtime,
# statically, against Debian's squashfuse and libfuse3 (scripts/deps.sh
# package installs them). Usage: scripts/appimage-runtime.sh OUT
set -euo pipefail
out=${1:?usage: $0 OUT}
src=third_party/appimage-runtime
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# squashfuse before 0.5 (Debian 12, Ubuntu 24.04) has sqfs_usage(progname,
# fuse_usage); the runtime is written for 0.5's third argument.
cp "$src/runtime.c" "$work/runtime.c"
if [ "$(printf '%s\n0.5\n' "$(pkg-config --modversion squashfuse)" | sort -V | head -1)" != "0.5" ]; then
  sed -i 's/sqfs_usage(argv\[0\], true, true)/sqfs_usage(argv[0], true)/' "$work/runtime.c"
  if ! grep -q 'sqfs_usage(argv\[0\], true)' "$work/runtime.c"; then
    echo "error: $src/runtime.c no longer calls sqfs_usage as this script expects" >&2
    exit 1
  fi
fi
# -static: the runtime runs before anything of the AppImage can be found, so
# it needs no library of the host's (the dlopen warning is libfuse's
# optional modules, which the runtime does not load).
gcc -std=gnu99 -Os -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION=31 -DGIT_COMMIT='"debian-build"' \
  -T "$src/data_sections.ld" -ffunction-sections -fdata-sections -Wl,--gc-sections -static -s \
  -I"$src" -I/usr/include/squashfuse -I/usr/include/fuse3 \
  "$work/runtime.c" -o "$work/runtime" \
  -lsquashfuse -lsquashfuse_ll -lfuse3 -lzstd -lz -llzma -llzo2 -llz4 -lpthread -ldl 2> "$work/log" || { cat "$work/log" >&2; exit 1; }
install -m 755 "$work/runtime" "$out"
