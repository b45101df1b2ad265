#!/usr/bin/env bash
# Compiles the TypeScript into the git-ignored dist/ (tsconfig.build.json, incremental), so the
# `psa-connector` bin runs JavaScript and starts fast. Skipped when dist/ is newer than every
# source (client/bin/build-state.js decides, as the bin does). Run by setup, `npm start` and
# `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."

if reason=$(node client/bin/build-state.js check); then
  echo "✓ build: dist/ (up to date)"
  exit 0
fi
echo "▶ build: compiling TypeScript into dist/ — $reason…"
start=$(date +%s)
node client/bin/build-state.js begin
if ! node node_modules/typescript/bin/tsc -p tsconfig.build.json; then
  echo "✗ build: tsc failed — fix the errors above, then retry with: npm run build" >&2
  echo "  (until then \`npx psa-connector\` runs from the TypeScript sources, slower)" >&2
  exit 1
fi
node client/bin/build-state.js finish
echo "✓ build: dist/ ($(( $(date +%s) - start ))s)"
