#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance) against ggen-mcp's
# Streamable HTTP server, three times:
#   (a) stateful, with the test-only fixture plugin: every scenario of the active suite must pass, and
#       so must the pending scenario json-schema-2020-12;
#   (b) stateless (--stateless), with the fixture: only the back-channel scenarios may fail;
#   (c) stateful, the real server WITHOUT the fixture: the generic scenarios must pass.
# Each run's baseline is conformance/expected-failures-*.yml; the harness exits non-zero on a failure that
# is not listed, or on a listed scenario that passes. Results: conformance-results/<run>/ (checks.json per
# scenario, harness.log, server.log). Needs .venv (made by `make test`) and npm; installs Node 22 from the
# npm package node@22 into .node/ on first use. Exit status: 0 when all runs match their baselines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="@modelcontextprotocol/conformance@0.1.16"
NODE_PACKAGE="node@22"
NODE_MAJOR=22
NODE_DIR="$ROOT/.node"
NODE_BIN="$NODE_DIR/node_modules/node/bin"
VENV_BIN="$ROOT/.venv/bin"
FIXTURE_DIST="$ROOT/tests/fixture_dists/ggen_conformance_fixture"
BASELINES="$ROOT/conformance"
RESULTS="${CONFORMANCE_RESULTS:-$ROOT/conformance-results}"
READY_TIMEOUT=60
STOP_TIMEOUT=10

SERVER_PID=""
WORKDIR=""
FAILED_RUNS=()
SUMMARY=()

log() { printf '%s\n' "conformance [${SECONDS}s]: $*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
  stop_server
  if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then rm -rf "$WORKDIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [[ ! -x "$NODE_BIN/node" || "$(node_major "$NODE_BIN/node")" -lt "$NODE_MAJOR" ]]; then
    command -v npm >/dev/null || die "npm is needed once to install $NODE_PACKAGE into .node/"
    log "installing $NODE_PACKAGE into .node/ (once)"
    npm install --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$NODE_DIR" "$NODE_PACKAGE" >&2
  fi
  [[ -x "$NODE_BIN/node" ]] || die "$NODE_PACKAGE did not provide $NODE_BIN/node"
  export PATH="$NODE_BIN:$PATH"
  local major
  major="$(node_major node)"
  [[ "$major" -ge "$NODE_MAJOR" ]] || die "node $major on PATH; the harness needs Node >= $NODE_MAJOR"
  command -v npx >/dev/null || die "npx not found (it comes with npm)"
  log "node $(node --version); fetching $HARNESS"
  npx --yes "$HARNESS" --version >/dev/null
}

free_port() {
  "$VENV_BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server RUN PORT WITH_FIXTURE(yes|no) [serve flags...]
start_server() {
  local run="$1" port="$2" fixture="$3"
  shift 3
  local workspace="$WORKDIR/$run"
  mkdir -p "$workspace"
  local -a env_vars=()
  if [[ "$fixture" == yes ]]; then
    env_vars+=("PYTHONPATH=$FIXTURE_DIST${PYTHONPATH:+:$PYTHONPATH}" "GGEN_MCP_REQUIRED_PLUGINS=conformance")
  else
    env_vars+=("GGEN_MCP_DISABLE_PLUGINS=conformance")
  fi
  env "${env_vars[@]}" "$VENV_BIN/ggen-mcp" --workspace "$workspace" \
    serve --transport http --host 127.0.0.1 --port "$port" "$@" >"$RESULTS/$run/server.log" 2>&1 &
  SERVER_PID=$!
}

# stop_server: SIGTERM (uvicorn shuts down gracefully), SIGKILL after STOP_TIMEOUT seconds.
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$SERVER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# wait_ready PORT WITH_FIXTURE: /readyz answers 200 and the fixture plugin is loaded (yes) or absent (no).
wait_ready() {
  local port="$1" fixture="$2" deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    if "$VENV_BIN/python" - "$port" "$fixture" <<'PY' 2>/dev/null; then return 0; fi
import json, sys, urllib.request
port, fixture = sys.argv[1], sys.argv[2] == "yes"
with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
    body = json.load(response)
loaded = any(p["name"] == "conformance" and p["status"] == "loaded" for p in body["plugins"])
if not body["ready"] or loaded != fixture:
    raise SystemExit(f"ready={body['ready']} fixture loaded={loaded}")
PY
    sleep 0.5
  done
  return 1
}

# run_harness RUN BASELINE PORT OUTPUT_DIR [harness options...]: one harness invocation, summarised.
run_harness() {
  local run="$1" baseline="$2" port="$3" out="$4" rc=0
  shift 4
  mkdir -p "$out"
  npx --yes "$HARNESS" server --url "http://127.0.0.1:$port/mcp" --expected-failures "$baseline" \
    -o "$out" "$@" >"$out/harness.log" 2>&1 || rc=$?
  sed -n '/=== SUMMARY ===\|^Test Results:/,$p' "$out/harness.log" | sed 's/\x1b\[[0-9;]*m//g'
  local total
  total="$(grep -E '^(Total|Passed):' "$out/harness.log" | tail -n 1 || true)"
  if ((rc != 0)); then
    FAILED_RUNS+=("$run")
    SUMMARY+=("$run: REGRESSION (exit $rc) ${total:-no summary}; see ${out#"$ROOT"/}/harness.log")
  else
    SUMMARY+=("$run: as expected, ${total:-no total}")
  fi
}

# run_suite RUN STATE(stateful|stateless) WITH_FIXTURE(yes|no) BASELINE [pending scenario...]
# Runs the active suite, then each named pending scenario, against one server.
run_suite() {
  local run="$1" state="$2" fixture="$3" baseline="$BASELINES/$4"
  shift 4
  local port
  port="$(free_port)"
  mkdir -p "$RESULTS/$run"
  local -a serve_flags=()
  [[ "$state" == stateless ]] && serve_flags+=(--stateless)
  log "run $run: $state, fixture=$fixture, port $port, baseline ${baseline#"$ROOT"/}"
  start_server "$run" "$port" "$fixture" "${serve_flags[@]}"
  if ! wait_ready "$port" "$fixture"; then
    log "run $run: the server did not become ready; last lines of its log:"
    tail -n 20 "$RESULTS/$run/server.log" >&2
    stop_server
    FAILED_RUNS+=("$run")
    SUMMARY+=("$run: server not ready")
    return 0
  fi
  run_harness "$run" "$baseline" "$port" "$RESULTS/$run"
  local scenario
  for scenario in "$@"; do
    log "run $run: pending scenario $scenario"
    run_harness "$run/$scenario" "$baseline" "$port" "$RESULTS/$run/$scenario" --scenario "$scenario"
  done
  stop_server
}

main() {
  [[ -x "$VENV_BIN/ggen-mcp" ]] || die "$VENV_BIN/ggen-mcp not found: run \`make test\` first to create .venv"
  [[ -d "$FIXTURE_DIST" ]] || die "fixture distribution missing: $FIXTURE_DIST"
  # Reproducible runs: settings from the caller's environment do not leak into the servers.
  local name
  for name in $(compgen -e | grep '^GGEN_MCP_' || true); do unset "$name"; done
  ensure_node
  rm -rf "$RESULTS"
  mkdir -p "$RESULTS"
  WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/ggen-conformance.XXXXXX")"

  run_suite stateful stateful yes expected-failures-stateful.yml json-schema-2020-12
  run_suite stateless stateless yes expected-failures-stateless.yml
  run_suite no-fixture stateful no expected-failures-no-fixture.yml

  printf '\n=== ggen-mcp conformance (%s) ===\n' "$HARNESS"
  printf '  %s\n' "${SUMMARY[@]}"
  printf 'details: %s\n' "$RESULTS"
  if ((${#FAILED_RUNS[@]})); then
    log "regressions in: ${FAILED_RUNS[*]}"
    exit 1
  fi
}

main "$@"
