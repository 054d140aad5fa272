#!/usr/bin/env bash
# Regenerate the generated parts of the docs from the live code: the settings table in
# docs/configuration.md and the tool reference in docs/tools.md (tests fail when either is stale).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
for name in $(env | grep -o '^GGEN_MCP_[A-Z_0-9]*' || true); do unset "$name"; done  # the defaults, not this shell's
replace_reference() {  # FILE: keep everything up to "## Reference", then the generated text from stdin
  local file="$1" head
  head="$(sed '/^## Reference$/q' "$file")"
  { printf '%s\n\n' "$head"; cat; } > "$file.tmp" && mv "$file.tmp" "$file"
}
"$BIN/ggen-mcp" config --markdown | replace_reference docs/configuration.md
"$BIN/ggen-mcp" tools --markdown | replace_reference docs/tools.md
echo "regenerated docs/configuration.md and docs/tools.md"
