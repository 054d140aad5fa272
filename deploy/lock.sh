#!/usr/bin/env bash
# Compile deploy/requirements.runtime.lock (what the image installs) and deploy/requirements.build.lock (the
# wheel build backend) with hashes, every version constrained by ../requirements.lock, so the image runs
# exactly the versions the test suite ran. Run it after `make lock`; scripts/validate-deploy.sh fails when a
# pin here differs from requirements.lock or when a runtime dependency is missing from it.
#   LOCK=requirements.lock bash deploy/lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK="${LOCK:-requirements.lock}"
if command -v uv >/dev/null 2>&1; then UV=(uv); else UV=(python3 -m uv); fi
common=(pip compile -q --universal --generate-hashes --python-version 3.11 --no-header -c "$LOCK")
local_packages=(ggen-mcp ggen-graph ggen-template ggen-market ggen-hook ggen-ai)
# pip and setuptools: `llm` (the ai pack) declares them for its `llm install` command, which the image does
# not offer (llm plugins are baked in at build time); leaving them out keeps the runtime environment pip-less.
no_tools=(pip setuptools)
"${UV[@]}" "${common[@]}" "${local_packages[@]/#/--no-emit-package=}" "${no_tools[@]/#/--no-emit-package=}" \
  deploy/requirements.runtime.in -o deploy/requirements.runtime.lock
"${UV[@]}" "${common[@]}" deploy/requirements.build.in -o deploy/requirements.build.lock
if grep -nE 'https?://|file:' deploy/requirements.runtime.lock deploy/requirements.build.lock; then
  echo "deploy/lock.sh: a lock names a URL" >&2
  exit 1
fi
echo "deploy/lock.sh: wrote deploy/requirements.runtime.lock and deploy/requirements.build.lock from $LOCK" >&2
