#!/usr/bin/env bash
# Installs two Compose implementations into .tools/ (git-ignored), from package registries only,
# so `docker-compose.yml` is checked with `config` by both file-format readers MSPs run:
#   1. Compose v1 (docker-compose 1.29.2, Python) — PyPI, in its own venv .tools/compose-v1
#   2. Compose v2 (docker/compose v2, Go)          — built from the Go module proxy
# The machines have no Docker engine; `config` needs none. Each step is skipped when its tool
# is there at the pinned version. Used by test/deploy/docker-compose.test.ts (and by hand:
# `bash scripts/install-compose.sh`, then `.tools/bin/docker-compose-v1 config`).
set -uo pipefail
cd "$(dirname "$0")/.."
STEP_LABEL=compose STEP_TOTAL=2 STEP_RETRY="bash scripts/install-compose.sh"
# shellcheck source=tool-steps.sh
source scripts/tool-steps.sh

# 1. Compose v1. Its PyYAML (<6) has no wheel for Python ≥ 3.10 and its sdist does not build
# with Cython 3, so PyYAML is built first without build isolation against Cython < 3.
v1_ok() { [ -x "$TOOLS/bin/docker-compose-v1" ] && "$TOOLS/bin/docker-compose-v1" version --short 2>/dev/null | grep -qx "$COMPOSE_V1_VERSION"; }
v1_install() {
  local venv=$TOOLS/compose-v1
  # A venv moved or copied from another folder keeps dead shebangs: rebuild it when its pip cannot run.
  "$venv/bin/pip" --version >/dev/null 2>&1 || { rm -rf "$venv" && python3 -m venv "$venv"; } || return 1
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q 'cython<3' 'setuptools<70' wheel || return 1
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q --no-build-isolation 'PyYAML==5.4.1' || return 1
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q "docker-compose==$COMPOSE_V1_VERSION" || return 1
  ln -sf ../compose-v1/bin/docker-compose "$TOOLS/bin/docker-compose-v1"
}

# 2. Compose v2. Its module has exclude directives, so `go install …@version` refuses it; our
# module scripts/compose-v2 requires it as a tool (same excludes) and builds its command.
v2_stamp() { cat scripts/compose-v2/go.mod scripts/compose-v2/go.sum | sha256sum | cut -c1-16; }
v2_ok() { [ -x "$TOOLS/bin/docker-compose-v2" ] && [ "$(cat "$TOOLS/bin/.docker-compose-v2-stamp" 2>/dev/null)" = "$(v2_stamp)" ]; }
v2_install() {
  (cd scripts/compose-v2 && go build -trimpath -o "$TOOLS/bin/docker-compose-v2" github.com/docker/compose/v2/cmd) &&
    v2_stamp >"$TOOLS/bin/.docker-compose-v2-stamp"
}

run_step "docker-compose $COMPOSE_V1_VERSION (v1, PyPI)" v1_ok v1_install
run_step "docker compose $COMPOSE_V2_VERSION (v2, go build, first time several minutes)" v2_ok v2_install
