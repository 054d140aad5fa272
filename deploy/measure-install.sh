#!/usr/bin/env bash
# Repeat deploy/Dockerfile's install steps outside Docker (this machine has no container engine) and report
# the size of the resulting /opt/ggen-mcp equivalent: the part of the image ggen-mcp adds to the base.
#   bash deploy/measure-install.sh [DIR]      (DIR defaults to a temporary directory, removed afterwards)
# It prints the `du -sh` of the environment and its largest distributions, then smoke-tests the installed
# server: the four packs load, the image's HEALTHCHECK command passes against it, SIGTERM exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
keep=1
work="${1:-}"
if [ -z "$work" ]; then work="$(mktemp -d)"; keep=0; fi
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
# pip's complaints about local index folders this machine's pip configuration names are noise here.
exec 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)

# Dockerfile step 1: the hash-pinned build backend in a throwaway environment.
"$PYTHON" -m venv "$work/build"
"$work/build/bin/pip" install -q --require-hashes --only-binary=:all: -r deploy/requirements.build.lock
# Step 2: the hash-pinned runtime dependencies into an environment without pip.
"$PYTHON" -m venv --without-pip "$work/ggen-mcp"
"$work/build/bin/pip" --python "$work/ggen-mcp/bin/python" install -q --require-hashes --only-binary=:all: --no-deps \
  -r deploy/requirements.runtime.lock
# Step 3: the six wheels, without dependencies.
"$work/build/bin/pip" wheel -q --no-deps --no-build-isolation --wheel-dir "$work/wheels" \
  . plugins/ggen-graph plugins/ggen-template plugins/ggen-market plugins/ggen-hook plugins/ggen-ai
"$work/build/bin/pip" --python "$work/ggen-mcp/bin/python" install -q --no-deps --no-index "$work"/wheels/*.whl

echo "== installed environment (the image's /opt/ggen-mcp)"
du -sh "$work/ggen-mcp"
echo "== of which compiled bytecode (__pycache__)"
find "$work/ggen-mcp" -name __pycache__ -type d -print0 | du -csh --files0-from=- | tail -1
echo "== largest distributions in site-packages"
du -s "$work"/ggen-mcp/lib/python3*/site-packages/* | sort -rn | head -12 | awk '{printf "%6.1f MB  %s\n", $1/1024, $2}' \
  | sed "s#$work/ggen-mcp/lib/##"
echo "== smoke test: the installed server loads its packs"
plugins="$(env -i HOME="$work" PATH=/usr/bin:/bin "$work/ggen-mcp/bin/ggen-mcp" --workspace "$work" plugins)"
echo "$plugins"
for pack in graph template market hook ai; do
  if ! grep -qE "^$pack +loaded" <<<"$plugins"; then echo "measure-install: pack $pack did not load" >&2; exit 1; fi
done

echo "== smoke test: the image's HEALTHCHECK command against the installed server, then SIGTERM"
port="$("$work/ggen-mcp/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env -i HOME="$work" PATH=/usr/bin:/bin GGEN_MCP_HTTP__STATELESS=true \
  "$work/ggen-mcp/bin/ggen-mcp" --workspace "$work" serve --transport http --host 127.0.0.1 --port "$port" \
  2>"$work/serve.log" &
server=$!
healthcheck="$(sed -n 's/^  CMD \["python", "-c", "\(.*\)"\]$/\1/p' deploy/Dockerfile | sed "s/:8000/:$port/")"
for _ in $(seq 1 50); do
  if "$work/ggen-mcp/bin/python" -c "$healthcheck" 2>/dev/null; then break; fi
  sleep 0.2
done
"$work/ggen-mcp/bin/python" -c "$healthcheck" && echo "HEALTHCHECK passed on 127.0.0.1:$port"
kill -TERM "$server"
status=0; wait "$server" || status=$?
echo "server exited with status $status after SIGTERM"
if [ "$status" != 0 ]; then cat "$work/serve.log" >&2; exit 1; fi
