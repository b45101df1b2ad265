#!/usr/bin/env bash
# The browser of the console's end-to-end tests (test/console): Debian's `chromium`, driven by
# playwright-core. Installed with apt-get when missing (CI runs as root on a brand-new machine);
# never a browser build downloaded by a tool. Idempotent: a second run only checks.
#   CHROMIUM_PATH   use this browser instead (then nothing is installed)
set -euo pipefail

want=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$want" ] && "$want" --version >/dev/null 2>&1; then
  echo "✓ setup: browser for the console tests ($("$want" --version 2>/dev/null | head -n 1))"
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "✗ setup: CHROMIUM_PATH=$CHROMIUM_PATH is not a runnable browser" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "✗ setup: chromium is missing and this machine has no apt-get; install Chromium and set CHROMIUM_PATH (the console's browser tests need it)" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo -n); else
    echo "✗ setup: chromium is missing; install it as root: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
fi

mkdir -p .tools/logs
log=.tools/logs/install-chromium.log
echo "▶ setup: browser for the console tests: apt-get install chromium (log: $log)…"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo_cmd[@]}" apt-get update && "${sudo_cmd[@]}" apt-get install -y --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  echo "✗ setup: installing chromium failed. Last lines of $log:" >&2
  tail -n 15 "$log" >&2
  echo "  Retry with: bash scripts/install-chromium.sh" >&2
  exit 1
fi
if ! "$want" --version >/dev/null 2>&1; then
  echo "✗ setup: chromium was installed but $want --version fails; see $log" >&2
  exit 1
fi
echo "✓ setup: browser for the console tests ($("$want" --version 2>/dev/null | head -n 1), $(( $(date +%s) - start ))s)"
