#!/usr/bin/env bash
# npm/pack.sh OUT — builds this machine's eggsec binary (release) and writes into OUT every npm
# tarball this platform needs: the `eggsec` launcher and this platform's binary package.
#
#   npm/pack.sh target/npm && (cd my-egg-app && npm install --no-save ../target/npm/*.tgz && npx eggsec audit)
#
# EGGSEC_BINARY=path skips the build and packs that binary instead. The release workflow stages
# every platform with `node npm/stage.js --binaries DIR` instead.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: npm/pack.sh OUT" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")"
if [ -z "$version" ]; then
  echo "npm/pack.sh: no [workspace.package] version in Cargo.toml" >&2
  exit 2
fi

binary="${EGGSEC_BINARY:-}"
if [ -z "$binary" ]; then
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  cargo build --release --locked -p eggsec --manifest-path "$root/Cargo.toml" >&2
  binary="$target_dir/release/eggsec"
  [ -x "$binary" ] || binary="$binary.exe"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
rm -f "$out"/eggsec-*.tgz "$out"/eggsec-cli-*.tgz
node "$root/npm/stage.js" --version "$version" --out "$stage" --binary "$binary" | while read -r dir; do
  (cd "$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
done
ls "$out"/*.tgz
