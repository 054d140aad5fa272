#!/usr/bin/env bash
# `make proof`: generate code from every bundled template pack with the real server and prove it with the
# real toolchains (proof/test_*.py). This script finds or installs the toolchains, then runs pytest on proof/.
#
#   TypeScript  tsc --strict from the npm package `typescript`, on Node 22 (the npm package node@22 in .node/,
#               installed the way scripts/conformance.sh installs it); typescript goes into .cache/proof/npm.
#   Rust        cargo with serde and serde_json compiled OFFLINE from Debian's packaged crates
#               (cargo, librust-serde-dev, librust-serde-derive-dev, librust-serde-json-dev): a cargo source
#               replacement points crates-io at /usr/share/cargo/registry. Target dir: .cache/proof/cargo.
#   PostgreSQL  initdb/pg_ctl/psql of the Debian `postgresql` package (/usr/lib/postgresql/*/bin), started
#               by the proof on a private unix socket in a temporary directory, no TCP.
#   Python      mypy --strict from .venv (the locked dev tools).
#
# A toolchain that is missing fails the proof (it is never skipped). Extra pytest arguments pass through.
# Exit status: pytest's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PROOF_CACHE:-$ROOT/.cache/proof}"
NODE_PACKAGE="node@22"
NODE_MAJOR=22
NODE_DIR="$ROOT/.node"
NODE_BIN="$NODE_DIR/node_modules/node/bin"
TYPESCRIPT_PACKAGE="typescript@5"
DEBIAN_REGISTRY="${PROOF_CARGO_REGISTRY:-/usr/share/cargo/registry}"

log() { printf '%s\n' "proof [${SECONDS}s]: $*" >&2; }
die() { log "$*"; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [[ ! -x "$NODE_BIN/node" || "$(node_major "$NODE_BIN/node")" -lt "$NODE_MAJOR" ]]; then
    command -v npm >/dev/null || die "npm is needed once to install $NODE_PACKAGE into .node/"
    log "installing $NODE_PACKAGE into .node/ (once)"
    npm install --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$NODE_DIR" "$NODE_PACKAGE" >&2
  fi
  [[ "$(node_major "$NODE_BIN/node")" -ge "$NODE_MAJOR" ]] || die "$NODE_PACKAGE did not provide Node $NODE_MAJOR"
  export PATH="$NODE_BIN:$PATH"
}

ensure_typescript() {
  local tsc="$CACHE/npm/node_modules/typescript/bin/tsc"
  if [[ ! -f "$tsc" ]]; then
    log "installing $TYPESCRIPT_PACKAGE into .cache/proof/npm (once)"
    mkdir -p "$CACHE/npm"
    npm install --no-package-lock --no-save --no-audit --no-fund --loglevel=error --prefix "$CACHE/npm" \
      "$TYPESCRIPT_PACKAGE" >&2
  fi
  [[ -f "$tsc" ]] || die "$TYPESCRIPT_PACKAGE did not provide $tsc"
  export PROOF_NODE="$NODE_BIN/node" PROOF_TSC="$tsc"
}

ensure_cargo() {
  local cargo
  # Debian's cargo and rustc first (the packaged crates are built for them), then whatever is on PATH.
  if [[ -x /usr/bin/cargo ]]; then cargo=/usr/bin/cargo; else cargo="$(command -v cargo || true)"; fi
  [[ -n "$cargo" ]] || die "cargo is missing: apt-get install cargo librust-serde-dev librust-serde-derive-dev librust-serde-json-dev"
  for crate in serde serde_derive serde_json; do
    compgen -G "$DEBIAN_REGISTRY/$crate-1.*" >/dev/null ||
      die "crate $crate is not in $DEBIAN_REGISTRY: apt-get install librust-serde-dev librust-serde-derive-dev librust-serde-json-dev"
  done
  export PROOF_CARGO="$cargo" PROOF_CARGO_REGISTRY="$DEBIAN_REGISTRY"
  if [[ -x /usr/bin/rustc && "$cargo" == /usr/bin/cargo ]]; then export RUSTC=/usr/bin/rustc; fi
}

ensure_postgres() {
  local bin=""
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/pg_ctl" && -x "$dir/initdb" ]] && bin="$dir"
  done
  [[ -n "$bin" ]] || die "PostgreSQL is missing: apt-get install postgresql (initdb and pg_ctl under /usr/lib/postgresql/*/bin)"
  export PROOF_PG_BIN="$bin"
}

ensure_node
ensure_typescript
ensure_cargo
ensure_postgres
export PROOF_CACHE="$CACHE"
log "node $("$PROOF_NODE" --version), tsc $("$PROOF_NODE" "$PROOF_TSC" --version | cut -d' ' -f2)," \
  "$("$PROOF_CARGO" --version), $("$PROOF_PG_BIN/postgres" --version)"
cd "$ROOT"
# The whole proof/ folder unless test paths under proof/ are given.
has_path=no
for arg in "$@"; do [[ "$arg" == proof* ]] && has_path=yes; done
[[ "$has_path" == yes ]] || set -- proof "$@"
exec "$ROOT/.venv/bin/python" -m pytest -p no:cacheprovider -o addopts="" -rs "$@"
