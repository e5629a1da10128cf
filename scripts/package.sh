#!/usr/bin/env bash
# make package: the Linux .deb and .rpm, the Windows amd64 exe and its NSIS
# installer (both signed), the archives the in-app updater downloads, and
# checksums.txt (signed when UPDATE_SIGNING_KEY is set). Fails if any
# expected file is missing.
#
# Windows signing: see WINDOWS_SIGN below (keys on HSMs, as code-signing
# certificates are issued since 2023; a throwaway certificate for tests).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:?VERSION is required}
# Checked first, before anything is built: see "== Signing".
WINDOWS_SIGN=${WINDOWS_SIGN:-throwaway}
if [ -n "${RELEASE:-}" ] && [ "$WINDOWS_SIGN" = throwaway ]; then
  echo "error: RELEASE is set but WINDOWS_SIGN is 'throwaway': a release must not ship unsigned or self-signed" >&2
  exit 1
fi
LDFLAGS=${LDFLAGS:-}
DIST=dist
rm -rf "$DIST"
mkdir -p "$DIST" "$DIST/signing"
# NSIS and Windows version resources want four numbers.
NUMERIC=$(echo "$VERSION" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/')

echo "== Linux packages"
make --no-print-directory build
# The newest glibc symbol the binary uses: the oldest glibc it runs on.
GLIBC=$(objdump -T build/bin/neurodeskapp-window | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
[ -n "$GLIBC" ] || { echo "could not read the glibc the binary needs" >&2; exit 1; }
echo "needs glibc $GLIBC"
for fmt in deb rpm; do
  GLIBC="$GLIBC" VERSION="$VERSION" ARCH=amd64 go tool nfpm package --config build/linux/nfpm.yaml --packager "$fmt" --target "$DIST/"
done
# The plain-binary download is one file the updater replaces: the full
# build, as neurodeskapp (window and commands in one).
mkdir -p build/tarball && cp build/bin/neurodeskapp-window build/tarball/neurodeskapp
tar -C build/tarball -czf "$DIST/neurodeskapp_${VERSION}_linux_amd64.tar.gz" neurodeskapp

echo "== AppImage"
# The AppDir and its squashfs are made here; an AppImage is the type-2
# runtime (an ELF that mounts the squashfs appended to it) followed by that
# squashfs. The release uses AppImage's own build of the runtime, downloaded
# and checked by the release workflow (APPIMAGE_RUNTIME); elsewhere it is
# built here from the same source (third_party/appimage-runtime). WebKitGTK
# comes from the system, as for the .deb, so the AppImage runs where the
# .deb does.
APPDIR=build/appimage/AppDir
rm -rf build/appimage && mkdir -p "$APPDIR/usr/bin" "$APPDIR/usr/share/applications" "$APPDIR/usr/share/metainfo"
cp build/bin/neurodeskapp build/bin/neurodeskapp-window "$APPDIR/usr/bin/"
cp build/linux/neurodeskapp.desktop "$APPDIR/usr/share/applications/"
cp build/linux/neurodeskapp.desktop "$APPDIR/"
cp build/linux/org.neurodesk.neurodeskapp.metainfo.xml "$APPDIR/usr/share/metainfo/"
cp -r build/linux/icons "$APPDIR/usr/share/"
cp build/linux/icons/hicolor/256x256/apps/neurodeskapp.png "$APPDIR/neurodeskapp.png"
ln -s neurodeskapp.png "$APPDIR/.DirIcon"
cat > "$APPDIR/AppRun" <<'APPRUN'
#!/bin/sh
# The runtime mounts the image and sets APPIMAGE (the updater replaces that file).
here=$(dirname "$(readlink -f "$0")")
exec "$here/usr/bin/neurodeskapp" "$@"
APPRUN
chmod 755 "$APPDIR/AppRun"
mksquashfs "$APPDIR" build/appimage/neurodeskapp.squashfs -root-owned -noappend -comp zstd -quiet >/dev/null
APPIMAGE_FILE="$DIST/neurodeskapp_${VERSION}_linux_amd64.AppImage"
runtime=${APPIMAGE_RUNTIME:-}
if [ -z "$runtime" ]; then
  if [ -n "${RELEASE:-}" ]; then
    echo "error: RELEASE is set but APPIMAGE_RUNTIME is not: the release ships AppImage's own runtime" >&2
    exit 1
  fi
  runtime=build/appimage/runtime
  scripts/appimage-runtime.sh "$runtime"
fi
cat "$runtime" build/appimage/neurodeskapp.squashfs > "$APPIMAGE_FILE"
chmod 755 "$APPIMAGE_FILE"

echo "== Windows exe"
go tool go-winres make --in build/windows/winres/winres.json --out rsrc --arch amd64 \
  --product-version "$NUMERIC.0" --file-version "$NUMERIC.0"
trap 'rm -f rsrc_windows_amd64.syso' EXIT
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -tags desktop,production \
  -ldflags "-H windowsgui $LDFLAGS" -o build/bin/neurodeskapp.exe .
rm -f rsrc_windows_amd64.syso

echo "== Signing"
# WINDOWS_SIGN chooses how the exe and installer are signed:
#   jsign      Azure Trusted Signing (the key stays in Azure's HSM) through jsign:
#              JSIGN (the command, e.g. "java -jar jsign.jar"), AZURE_SIGNING_ENDPOINT,
#              AZURE_SIGNING_ACCOUNT, AZURE_SIGNING_PROFILE, AZURE_ACCESS_TOKEN
#   pkcs11     a key on a PKCS#11 token or cloud HSM, through osslsigncode:
#              PKCS11_MODULE, PKCS11_KEY (a pkcs11: URI), WINDOWS_CERT_CHAIN (PEM)
#   throwaway  (default) a self-signed certificate made here, for tests; its
#              certificate is left in dist/signing/ so signatures can be checked
# A release (RELEASE=1) refuses to sign with a throwaway certificate.
TIMESTAMP_URL=${TIMESTAMP_URL:-http://timestamp.acs.microsoft.com}
case "$WINDOWS_SIGN" in
  jsign)
    : "${JSIGN:?}" "${AZURE_SIGNING_ENDPOINT:?}" "${AZURE_SIGNING_ACCOUNT:?}" "${AZURE_SIGNING_PROFILE:?}" "${AZURE_ACCESS_TOKEN:?}"
    sign() {
      # shellcheck disable=SC2086 # JSIGN is a command with its arguments
      $JSIGN --storetype TRUSTEDSIGNING --keystore "$AZURE_SIGNING_ENDPOINT" --storepass "$AZURE_ACCESS_TOKEN" \
        --alias "$AZURE_SIGNING_ACCOUNT/$AZURE_SIGNING_PROFILE" --tsaurl "$TIMESTAMP_URL" --tsmode RFC3161 \
        --name "Neurodesk" --url "https://neurodesk.org" "$1" >/dev/null
    } ;;
  pkcs11)
    : "${PKCS11_MODULE:?}" "${PKCS11_KEY:?}" "${WINDOWS_CERT_CHAIN:?}"
    sign() {
      osslsigncode sign -pkcs11module "$PKCS11_MODULE" -key "$PKCS11_KEY" -certs "$WINDOWS_CERT_CHAIN" -h sha256 \
        -n "Neurodesk" -i "https://neurodesk.org" -ts "$TIMESTAMP_URL" -in "$1" -out "$1.signed" >/dev/null
      mv "$1.signed" "$1"
    } ;;
  throwaway)
    echo "warning: signing with a throwaway self-signed certificate (set WINDOWS_SIGN for a release)" >&2
    openssl req -x509 -newkey rsa:3072 -sha256 -days 7 -nodes -subj "/CN=Neurodesk throwaway test signing" \
      -addext "extendedKeyUsage=codeSigning" -keyout "$DIST/signing/key.pem" -out "$DIST/signing/cert.pem" 2>/dev/null
    openssl pkcs12 -export -inkey "$DIST/signing/key.pem" -in "$DIST/signing/cert.pem" -out "$DIST/signing/cert.pfx" -passout pass:throwaway
    rm -f "$DIST/signing/key.pem"
    sign() {
      osslsigncode sign -pkcs12 "$DIST/signing/cert.pfx" -pass throwaway -h sha256 \
        -n "Neurodesk" -i "https://neurodesk.org" -in "$1" -out "$1.signed" >/dev/null
      mv "$1.signed" "$1"
    } ;;
  *) echo "error: WINDOWS_SIGN must be jsign, pkcs11 or throwaway, not '$WINDOWS_SIGN'" >&2; exit 1 ;;
esac
# The inner exe first, so the installer carries a signed program.
sign build/bin/neurodeskapp.exe

echo "== Windows installer"
INSTALLER="$DIST/Neurodesk-${VERSION}-windows-amd64-setup.exe"
makensis -V2 -DVERSION="$NUMERIC" -DEXE="$PWD/build/bin/neurodeskapp.exe" -DOUT="$PWD/$INSTALLER" build/windows/installer/project.nsi
sign "$INSTALLER"
(cd build/bin && rm -f "../../$DIST/neurodeskapp_${VERSION}_windows_amd64.zip" && zip -q "../../$DIST/neurodeskapp_${VERSION}_windows_amd64.zip" neurodeskapp.exe)

echo "== Checksums"
(cd "$DIST" && shopt -s nullglob && sha256sum -- *.deb *.rpm *.exe *.tar.gz *.zip *.AppImage > checksums.txt)
if [ -n "${UPDATE_SIGNING_KEY:-}" ]; then
  echo "$UPDATE_SIGNING_KEY" > "$DIST/signing/update.key"
  openssl dgst -sha256 -sign "$DIST/signing/update.key" -out "$DIST/checksums.txt.sig" "$DIST/checksums.txt"
  rm -f "$DIST/signing/update.key"
fi

echo "== Check"
expected=(
  "$DIST/neurodeskapp_${VERSION}_amd64.deb"
  "$DIST/neurodeskapp-${VERSION}-1.x86_64.rpm"
  "$INSTALLER"
  "$DIST/neurodeskapp_${VERSION}_linux_amd64.tar.gz"
  "$DIST/neurodeskapp_${VERSION}_windows_amd64.zip"
  "$APPIMAGE_FILE"
  "$DIST/checksums.txt"
)
[ -n "${UPDATE_SIGNING_KEY:-}" ] && expected+=("$DIST/checksums.txt.sig")
missing=0
for f in "${expected[@]}"; do
  [ -s "$f" ] || { echo "missing: $f" >&2; missing=1; }
done
[ $missing -eq 0 ] || exit 1
rm -f "$DIST/signing/cert.pfx"
ls -la "$DIST"
