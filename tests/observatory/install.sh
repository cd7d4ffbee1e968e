#!/usr/bin/env bash
# Installs the real Mozilla HTTP Observatory scanner (`@mdn/mdn-http-observatory`, pinned in
# package-lock.json) and the test certificates that the differential test
# (crates/eggsec_probe/tests/differential.rs) needs, into target/observatory/.
# Idempotent: nothing is redone while the lockfile and this script are unchanged.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${EGGSEC_OBSERVATORY_DIR:-${CARGO_TARGET_DIR:-$root/target}/observatory}"

for tool in npm node openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "observatory/install.sh: $tool not found (needed for the differential test)" >&2
    exit 1
  fi
done

want="$(cat "$here/package.json" "$here/package-lock.json" "$0" | sha256sum | cut -d' ' -f1)"
stamp="$dest/.eggsec-install-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "observatory/install.sh: $dest up to date"
  exit 0
fi

mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
# --ignore-scripts: the package's postinstall downloads the HSTS preload list and the IANA TLD
# list from the internet; the scanner needs only the first, written below (empty: no host of
# the test is preloaded, and eggsec does not bundle the list either).
(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
echo '{}' > "$dest/node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json"

# A private CA and a certificate for 127.0.0.1/localhost signed by it (trusted by both sides
# of the test), and a self-signed certificate nobody trusts (the --insecure pages).
certs="$dest/certs"
rm -rf "$certs" && mkdir -p "$certs"
cd "$certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=eggsec test CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
  -extfile ext.cnf -out server.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
  -keyout untrusted.key -out untrusted.pem -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
rm -f server.csr ext.cnf ca.srl

echo "$want" > "$stamp"
echo "observatory/install.sh: installed into $dest"
