#!/usr/bin/env bash
# Write a CycloneDX 1.6 SBOM (JSON) of what the container image ships to dist/sbom.cdx.json.
#   bash scripts/sbom.sh              the image's environment: installed exactly as deploy/Dockerfile installs it
#                                     (deploy/measure-install.sh into dist/image-env, ~3 minutes), then read by
#                                     `cyclonedx-py environment`: the host, the four packs and every dependency
#                                     that is really installed, with the dependency graph
#   bash scripts/sbom.sh --from-lock  quicker, without installing: the pins of deploy/requirements.runtime.lock
#                                     (every platform's, e.g. Windows-only pywin32 too) under the ggen-mcp root
# Timestamps follow SOURCE_DATE_EPOCH (default: the last commit's time), so the same tree gives the same SBOM.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
OUT="${OUT:-dist/sbom.cdx.json}"
mkdir -p "$(dirname "$OUT")"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH
# cyclonedx-bom runs in uv's throwaway tool environment, not the project's: it pulls jsonschema's format
# extras, whose grammar compilation adds seconds to every `import jsonschema` in the test environment.
if command -v uv >/dev/null 2>&1; then uv=(uv); else uv=(python3 -m uv); fi
cyclonedx=("${uv[@]}" tool run --quiet --from "cyclonedx-bom>=7,<8" cyclonedx-py)
common=(--pyproject pyproject.toml --mc-type application --sv 1.6 --output-reproducible --of JSON -o "$OUT")

case "${1:-}" in
  --from-lock)
    "${cyclonedx[@]}" requirements "${common[@]}" deploy/requirements.runtime.lock 2>/dev/null
    ;;
  "")
    env_dir="dist/image-env"
    rm -rf "$env_dir"
    echo "sbom: installing the image's environment into $env_dir (deploy/measure-install.sh)" >&2
    bash deploy/measure-install.sh "$env_dir" >"dist/image-env.log" 2>&1 \
      || { cat dist/image-env.log >&2; echo "sbom: the install failed" >&2; exit 1; }
    "${cyclonedx[@]}" environment "${common[@]}" "$env_dir/ggen-mcp/bin/python" 2>/dev/null
    ;;
  *)
    echo "usage: bash scripts/sbom.sh [--from-lock]" >&2
    exit 2
    ;;
esac

"$BIN/python" - "$OUT" "${1:-environment}" <<'PY'
import json
import sys

path, mode = sys.argv[1], sys.argv[2]
bom = json.load(open(path, encoding="utf-8"))
root = bom["metadata"]["component"]
names = {c["name"].lower().replace("_", "-") for c in bom.get("components", [])}
missing = [] if mode == "--from-lock" else [p for p in ("ggen-graph", "ggen-template", "ggen-market", "ggen-hook")
                                            if p not in names]
if bom.get("bomFormat") != "CycloneDX" or root.get("name") != "ggen-mcp" or missing:
    sys.exit(f"sbom: {path} is not the expected SBOM (root {root.get('name')!r}, missing packs {missing})")
print(f"sbom: wrote {path}: CycloneDX {bom['specVersion']}, root {root['name']} {root.get('version')}, "
      f"{len(bom['components'])} components ({mode.lstrip('-')})")
PY
