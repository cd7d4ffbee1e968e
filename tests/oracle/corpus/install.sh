#!/usr/bin/env bash
# The corpus oracle's installs: copies every app of shared/corpus (apps.txt) into
# $EGGSEC_CORPUS_ORACLE_DIR/apps/<app> (default target/corpus-oracle) and installs its production
# dependencies from the npm registry with npm, so that real egg can load the app the way it runs
# (tests/oracle/corpus/dump.js). Not part of .ci/run: it takes minutes per app.
#
#   bash tests/oracle/corpus/install.sh [app ...]      (apps as listed in apps.txt; default: all)
#
# - The corpus is $EGGSEC_CORPUS, else the first `shared/corpus` with an apps.txt above the repo.
# - npm install --omit=dev --ignore-scripts --legacy-peer-deps: no install scripts run (nothing is
#   built or downloaded besides registry tarballs); an app's yarn.lock or package-lock.json guides
#   the versions, as npm does by itself.
# - substitutions.json beside this script rewrites dependency ranges the registry cannot satisfy
#   (each with its reason) in the copy's package.json before installing.
# - Idempotent: an app whose package.json, lockfiles and substitutions did not change since its
#   last successful install is skipped. A failed install is reported and the next app goes on;
#   the exit status is 1 if any app failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${EGGSEC_CORPUS_ORACLE_DIR:-$repo/target/corpus-oracle}"

corpus="${EGGSEC_CORPUS:-}"
if [[ -z "$corpus" ]]; then
  d="$repo"
  while [[ "$d" != "/" ]]; do
    d="$(dirname "$d")"
    if [[ -f "$d/shared/corpus/apps.txt" ]]; then corpus="$d/shared/corpus"; break; fi
  done
fi
if [[ -z "$corpus" || ! -f "$corpus/apps.txt" ]]; then
  echo "corpus/install.sh: no shared/corpus/apps.txt above $repo (set EGGSEC_CORPUS)" >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "corpus/install.sh: npm not found (Node.js >= 18 and npm are needed)" >&2
  exit 1
fi

apps=("$@")
if [[ ${#apps[@]} -eq 0 ]]; then
  mapfile -t apps < <(grep -v '^\s*$' "$corpus/apps.txt")
fi
mkdir -p "$out/apps" "$out/npm-cache" "$out/logs"
failed=0
for app in "${apps[@]}"; do
  src="$corpus/$app"
  dst="$out/apps/$app"
  log="$out/logs/$(echo "$app" | tr '/' '_').log"
  if [[ ! -f "$src/package.json" ]]; then
    echo "corpus/install.sh: $app: $src/package.json is missing" >&2
    failed=1
    continue
  fi
  want="$( (cd "$src" && cat package.json $(ls package-lock.json yarn.lock npm-shrinkwrap.json 2>/dev/null)); \
           node "$here/substitute.js" --print "$app" "$here/substitutions.json"; \
           echo "omit-dev ignore-scripts legacy-peer-deps" ) | sha256sum | cut -d' ' -f1)"
  stamp="$dst/node_modules/.eggsec-corpus-stamp"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "corpus/install.sh: $app up to date"
    # keep the app's own files in step with the corpus (they may change without the manifest)
    cp -a "$src/." "$dst/" && rm -f "$dst/pnpm-lock.yaml"
    node "$here/substitute.js" "$app" "$here/substitutions.json" "$dst/package.json"
    continue
  fi
  echo "corpus/install.sh: $app: npm install (log: $log)"
  rm -rf "$dst"
  mkdir -p "$dst"
  cp -a "$src/." "$dst/"
  rm -rf "$dst/node_modules" "$dst/pnpm-lock.yaml"
  node "$here/substitute.js" "$app" "$here/substitutions.json" "$dst/package.json"
  start=$SECONDS
  if (cd "$dst" && npm install --omit=dev --ignore-scripts --legacy-peer-deps --no-audit --no-fund \
        --loglevel=error --cache "$out/npm-cache") >"$log" 2>&1; then
    echo "$want" > "$stamp"
    echo "corpus/install.sh: $app: installed in $((SECONDS - start)) s"
  else
    echo "corpus/install.sh: $app: npm install FAILED after $((SECONDS - start)) s; last lines of $log:" >&2
    tail -n 15 "$log" >&2
    failed=1
  fi
done
exit $failed
