# Shared by the tool installers (install-tools.sh, install-compose.sh), sourced after `cd` to the
# project root: the .tools/ layout and Go settings, and `run_step`, which skips a step whose
# check passes, else installs it with its output in .tools/logs/<install-fn>.log and stops the
# script with the log's last lines when it fails.
# Set STEP_LABEL ("tools"), STEP_TOTAL (3) and STEP_RETRY (the command to run again) first.
ROOT=$PWD
# shellcheck source=tools.env
source scripts/tools.env
TOOLS=$ROOT/.tools
LOGS=$TOOLS/logs
mkdir -p "$TOOLS/bin" "$LOGS"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOMODCACHE=$TOOLS/gomod GOFLAGS=-modcacherw GOCACHE=$TOOLS/gocache

step_no=0
run_step() { # name, check-fn, install-fn
  local name=$1 check=$2 install=$3
  step_no=$((step_no + 1))
  local tag="$STEP_LABEL [$step_no/$STEP_TOTAL]"
  if $check; then echo "✓ $tag $name (installed)"; return 0; fi
  echo "▶ $tag $name: installing (log: .tools/logs/$install.log)…"
  local start; start=$(date +%s)
  if $install >"$LOGS/$install.log" 2>&1 && $check; then
    echo "✓ $tag $name ($(( $(date +%s) - start ))s)"
  else
    echo "✗ $tag $name failed. Last lines of .tools/logs/$install.log:" >&2
    tail -n 15 "$LOGS/$install.log" >&2
    echo "  Retry with: $STEP_RETRY" >&2
    exit 1
  fi
}
