#!/usr/bin/env bash
# Installs whatever is missing for `npm start` / `npm test`: npm dependencies, then the pinned
# tools (scripts/install-tools.sh). Idempotent: a second run finishes in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "▶ setup: npm dependencies (npm install, from package-lock.json)…"
  start=$(date +%s)
  # Not `npm ci`: the registries these machines reach carry @swc/core's native package for this
  # platform only, so the lock cannot list the other platforms' optional packages and `npm ci`
  # refuses it as out of sync. `npm install` installs exactly the locked versions all the same.
  if ! npm install --no-audit --no-fund --loglevel=error; then
    echo "✗ setup: 'npm install' failed — fix the error above, then retry with: npm run setup" >&2
    exit 1
  fi
  echo "✓ setup: npm dependencies ($(( $(date +%s) - start ))s)"
else
  echo "✓ setup: npm dependencies (up to date)"
fi
exec bash scripts/install-tools.sh
