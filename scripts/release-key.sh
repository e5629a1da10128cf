#!/usr/bin/env bash
# Makes the ECDSA P-256 key pair that signs checksums.txt for in-app updates.
# The private key goes into the repository secret UPDATE_SIGNING_KEY (never
# into the repository); the public key replaces app/update/release-signing.pub.pem.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
key=$(mktemp)
openssl ecparam -name prime256v1 -genkey -noout -out "$key"
openssl ec -in "$key" -pubout -out app/update/release-signing.pub.pem 2>/dev/null
echo "Public key written to app/update/release-signing.pub.pem; commit it."
echo "Store this private key as the repository secret UPDATE_SIGNING_KEY, then delete it:"
cat "$key"
rm -f "$key"
