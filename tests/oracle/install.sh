#!/usr/bin/env bash
# Installs the real egg 1/2/3/4/4.1 used by the oracle tests (tests/oracle/egg{1,2,3,4,41}/node_modules,
# egg2plugins: egg 2 with plugins whose boot code registers routes, egg3plugins: egg 3 with
# plugins whose boot code changes the middleware chain and the jianghu-like framework, and
# egg226: egg 2.26 for version skew; egg2skew: egg 2.37 with an app-own egg-multipart 1.x and
# egg-validate 1.x, for version skew of plugins; midway1: midway 1.x on egg 2, whose apps live under src/)
# from the committed package-lock.json files with `npm ci`. Idempotent: a directory whose lockfile
# (and the local frameworks/ it installs) did not change since its last install is skipped.
# `install.sh plugins` installs the generator-only project (the third-party plugins for
# gen-plugin-knowledge.js) instead; CI does not need it.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null; then
  echo "install.sh: npm not found: the oracle tests need Node.js >= 18 and npm" >&2
  exit 1
fi

dirs=("$@")
if [[ ${#dirs[@]} -eq 0 ]]; then
  dirs=(egg1 egg2 egg3 egg4 egg41 egg2plugins egg3plugins egg226 egg2skew midway1)
fi
for dir in "${dirs[@]}"; do
  stamp="$dir/node_modules/.eggsec-install-stamp"
  # the local frameworks this project installs (`file:../frameworks/<name>`), not the others
  fws=$(grep -o 'file:\.\./frameworks/[A-Za-z0-9._-]*' "$dir/package.json" | sed 's|file:\.\./||' | sort -u || true)
  want="$(cat "$dir/package-lock.json" "$dir/package.json" $(for fw in $fws; do find "$fw" -type f; done | sort) | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "install.sh: $dir up to date"
    continue
  fi
  echo "install.sh: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
done
