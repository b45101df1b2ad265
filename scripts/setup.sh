#!/usr/bin/env bash
# Installs whatever is missing for `npm start` / `npm test`: npm dependencies exactly as locked,
# the pinned tools (scripts/install-tools.sh), then the compiled CLI (scripts/build.sh).
# Idempotent: a second run finishes in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm writes node_modules/.package-lock.json after every install, so a lock newer than it means
# the dependencies changed (a pull, a branch switch) and node_modules must follow.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "▶ setup: npm dependencies (npm ci, exactly as package-lock.json)…"
  start=$(date +%s)
  # `npm ci` installs the lock as committed and never rewrites it, so a fresh clone's working
  # tree stays clean. The lock lists every platform's optional packages (e.g. @swc/core's
  # native builds); npm picks this platform's.
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    echo "✗ setup: 'npm ci' failed — fix the error above, then retry with: npm run setup" >&2
    echo "  (if it says package.json and package-lock.json are out of sync, run 'npm install' and commit the updated lock)" >&2
    exit 1
  fi
  echo "✓ setup: npm dependencies ($(( $(date +%s) - start ))s)"
else
  echo "✓ setup: npm dependencies (up to date)"
fi
bash scripts/install-tools.sh
exec bash scripts/build.sh
