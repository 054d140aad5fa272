#!/usr/bin/env bash
# Audit the hash-pinned lock for known vulnerabilities with pip-audit (no resolution, no pip: the lock is
# read as it is, every platform's pins included).
#   bash scripts/audit-deps.sh [LOCK]                default LOCK: requirements.lock
#   bash scripts/audit-deps.sh --from-report FILE    judge a report made elsewhere by `pip-audit -f json`
# Environment: AUDIT_SERVICE=pypi|osv (pip-audit's vulnerability service, default pypi),
#              AUDIT_IGNORE="GHSA-... PYSEC-..." (accepted findings, each with its reason in CHANGELOG.md).
# Exit status:
#   0  no known vulnerability; or the vulnerability service could not be reached, which is printed plainly
#      ("NOT audited") because a silent pass would be a lie;
#   1  vulnerabilities found (each listed with the versions that fix it);
#   2  pip-audit could not read the lock (malformed lock, missing hashes, pip-audit not installed).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BIN="${BIN:-.venv/bin}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = "--from-report" ]; then
  report="${2:?usage: audit-deps.sh --from-report FILE}"
  source_label="$report"
  : >"$tmp/stderr"
else
  lock="${1:-requirements.lock}"
  source_label="$lock"
  report="$tmp/report.json"
  ignore=()
  for id in ${AUDIT_IGNORE:-}; do ignore+=(--ignore-vuln "$id"); done
  if [ ! -x "$BIN/pip-audit" ]; then
    echo "audit-deps: $BIN/pip-audit is missing (it is in requirements-dev.in: make install)" >&2
    exit 2
  fi
  "$BIN/pip-audit" -r "$lock" --require-hashes --disable-pip --progress-spinner off \
    --vulnerability-service "${AUDIT_SERVICE:-pypi}" --timeout 20 "${ignore[@]}" \
    -f json -o "$report" 2>"$tmp/stderr" >/dev/null
fi

"${BIN}/python" - "$report" "$tmp/stderr" "$source_label" <<'PY'
import json
import re
import sys
from pathlib import Path

report_path, stderr_path, label = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|Failed to establish|timed out|ReadTimeout|"
    r"ConnectTimeout|ServiceError|SSLError|ProxyError|Temporary failure in name resolution"
)


def unreachable(detail: str) -> None:
    print(f"audit-deps: the vulnerability service could not be reached ({detail}); "
          f"{label} was NOT audited for known vulnerabilities.")
    sys.exit(0)


if not report_path.is_file() or not report_path.read_text(encoding="utf-8").strip():
    last = [line for line in stderr.splitlines() if line.strip()][-1:] or ["no output"]
    if UNREACHABLE.search(stderr):
        unreachable(last[0].strip()[:200])
    print(f"audit-deps: pip-audit failed on {label}: {last[0].strip()}", file=sys.stderr)
    sys.exit(2)

dependencies = json.loads(report_path.read_text(encoding="utf-8")).get("dependencies", [])
skipped = [d for d in dependencies if "skip_reason" in d]
audited = [d for d in dependencies if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
if vulnerable:
    count = sum(len(d["vulns"]) for d in vulnerable)
    print(f"audit-deps: {count} known vulnerabilit{'y' if count == 1 else 'ies'} in {len(vulnerable)} of "
          f"{len(audited)} audited dependencies of {label}:")
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            aliases = f" ({', '.join(vuln['aliases'])})" if vuln.get("aliases") else ""
            print(f"  {dep['name']} {dep['version']}: {vuln['id']}{aliases}; fixed in: {fixes}")
    sys.exit(1)
if skipped and not audited:
    unreachable(f"no answer for any of {len(skipped)} dependencies, e.g. {skipped[0]['skip_reason']}")
print(f"audit-deps: no known vulnerabilities in the {len(audited)} audited dependencies of {label}.")
if skipped:
    names = ", ".join(d["name"] for d in skipped)
    print(f"audit-deps: {len(skipped)} dependencies were NOT audited (no answer for them): {names}")
PY
