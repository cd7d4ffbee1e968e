#!/usr/bin/env bash
# Installs what the HTML report's browser test needs (crates/eggsec/tests/it/html_browser.rs):
#   * Chromium from Debian's packages (/usr/bin/chromium), when it is missing;
#   * playwright-core (the Node driver, pinned in package-lock.json) with `npm ci`, cached in
#     target/browser-test/ (or $CARGO_TARGET_DIR/browser-test/), reinstalled only when the
#     lockfile changes.
# Idempotent; called from .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v chromium >/dev/null 2>&1; then
  if [[ -n "${EGGSEC_BROWSER_NO_APT:-}" || "$(id -u)" != 0 ]]; then
    echo "install.sh: chromium is missing: run tests/browser/install.sh as root (apt-get install -y chromium)" >&2
    exit 1
  fi
  echo "install.sh: apt-get install chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null

if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm not found: the browser test needs Node.js >= 18 and npm" >&2
  exit 1
fi
dest="${CARGO_TARGET_DIR:-$root/target}/browser-test"
stamp="$dest/node_modules/.eggsec-install-stamp"
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "install.sh: playwright-core up to date in target/browser-test"
  exit 0
fi
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
echo "install.sh: npm ci (playwright-core) in target/browser-test"
(cd "$dest" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$stamp"
