#!/usr/bin/env bash
# make package: the Linux .deb and .rpm, the Windows amd64 exe and its NSIS
# installer (both signed), the archives the in-app updater downloads, and
# checksums.txt (signed when UPDATE_SIGNING_KEY is set). Fails if any
# expected file is missing.
#
# Windows signing uses WINDOWS_CERT_PFX_BASE64 and WINDOWS_CERT_PASSWORD when
# set (a release); otherwise a throwaway self-signed certificate made here,
# whose certificate is left in dist/signing/ so the signatures can be checked.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:?VERSION is required}
LDFLAGS=${LDFLAGS:-}
DIST=dist
rm -rf "$DIST"
mkdir -p "$DIST" "$DIST/signing"
# NSIS and Windows version resources want four numbers.
NUMERIC=$(echo "$VERSION" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/')

echo "== Linux packages"
make --no-print-directory build
# The newest glibc symbol the binary uses: the oldest glibc it runs on.
GLIBC=$(objdump -T build/bin/neurodeskapp | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
[ -n "$GLIBC" ] || { echo "could not read the glibc the binary needs" >&2; exit 1; }
echo "needs glibc $GLIBC"
for fmt in deb rpm; do
  GLIBC="$GLIBC" VERSION="$VERSION" ARCH=amd64 go tool nfpm package --config build/linux/nfpm.yaml --packager "$fmt" --target "$DIST/"
done
tar -C build/bin -czf "$DIST/neurodeskapp_${VERSION}_linux_amd64.tar.gz" neurodeskapp

echo "== Windows exe"
go tool go-winres make --in build/windows/winres/winres.json --out rsrc --arch amd64 \
  --product-version "$NUMERIC.0" --file-version "$NUMERIC.0"
trap 'rm -f rsrc_windows_amd64.syso' EXIT
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -tags desktop,production \
  -ldflags "-H windowsgui $LDFLAGS" -o build/bin/neurodeskapp.exe .
rm -f rsrc_windows_amd64.syso

echo "== Signing"
if [ -n "${WINDOWS_CERT_PFX_BASE64:-}" ]; then
  echo "$WINDOWS_CERT_PFX_BASE64" | base64 -d > "$DIST/signing/cert.pfx"
  PFX_PASS=${WINDOWS_CERT_PASSWORD:?WINDOWS_CERT_PASSWORD is required with WINDOWS_CERT_PFX_BASE64}
  TIMESTAMP=(-ts http://timestamp.digicert.com)
else
  echo "warning: no WINDOWS_CERT_PFX_BASE64; signing with a throwaway self-signed certificate" >&2
  openssl req -x509 -newkey rsa:3072 -sha256 -days 7 -nodes -subj "/CN=Neurodesk throwaway test signing" \
    -addext "extendedKeyUsage=codeSigning" -keyout "$DIST/signing/key.pem" -out "$DIST/signing/cert.pem" 2>/dev/null
  PFX_PASS=throwaway
  openssl pkcs12 -export -inkey "$DIST/signing/key.pem" -in "$DIST/signing/cert.pem" -out "$DIST/signing/cert.pfx" -passout "pass:$PFX_PASS"
  rm -f "$DIST/signing/key.pem"
  TIMESTAMP=()
fi
sign() {
  osslsigncode sign -pkcs12 "$DIST/signing/cert.pfx" -pass "$PFX_PASS" -h sha256 \
    -n "Neurodesk" -i "https://neurodesk.org" "${TIMESTAMP[@]}" -in "$1" -out "$1.signed" >/dev/null
  mv "$1.signed" "$1"
}
# The inner exe first, so the installer carries a signed program.
sign build/bin/neurodeskapp.exe

echo "== Windows installer"
INSTALLER="$DIST/Neurodesk-${VERSION}-windows-amd64-setup.exe"
makensis -V2 -DVERSION="$NUMERIC" -DEXE="$PWD/build/bin/neurodeskapp.exe" -DOUT="$PWD/$INSTALLER" build/windows/installer/project.nsi
sign "$INSTALLER"
(cd build/bin && rm -f "../../$DIST/neurodeskapp_${VERSION}_windows_amd64.zip" && zip -q "../../$DIST/neurodeskapp_${VERSION}_windows_amd64.zip" neurodeskapp.exe)

echo "== Checksums"
(cd "$DIST" && sha256sum -- *.deb *.rpm *.exe *.tar.gz *.zip > checksums.txt)
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
