#!/usr/bin/env bash
# Validate the deployment assets without Docker, kubectl, kustomize or promtool (none exist on CI machines):
#   1. yamllint --strict on every YAML file under deploy/ and .github/ (deploy/yamllint.yaml);
#   2. kubernetes-validate --strict (offline JSON schemas shipped in the PyPI package) on every resource the
#      kustomization lists, against the oldest and the newest Kubernetes version it knows;
#   3. every JSON file under deploy/ parses; shellcheck on the deploy and supply-chain scripts when installed;
#   4. deploy/checks/check_deploy.py: alert rules and dashboard queries use only metrics and labels the code
#      exports, every alert has a runbook section in docs/operations.md; compose and ConfigMap settings are
#      real GGEN_MCP_* settings with valid values; Deployment probes, limits, non-root, read-only root;
#      selectors agree; Dockerfile stages, hashes, user, HEALTHCHECK; deploy/*.lock agree with
#      requirements.lock; no registry host or download URL in these files;
#   5. self-tests: each of those checks is shown to fail on a deliberately broken copy.
# Usage: bash scripts/validate-deploy.sh [--no-self-test]     (exit 1 when anything fails)
#        LOCK=other.lock bash scripts/validate-deploy.sh       (compare deploy/*.lock with another full lock)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BIN="${BIN:-.venv/bin}"
PY="$BIN/python"
K8S_VERSIONS="${K8S_VERSIONS:-1.29.0 1.37.0}"
LOCK="${LOCK:-requirements.lock}"
status=0
fail() { echo "validate-deploy: $*" >&2; status=1; }

echo "== yamllint"
mapfile -t yaml_files < <(find deploy .github -type f \( -name '*.yaml' -o -name '*.yml' \) 2>/dev/null | sort)
if "$BIN/yamllint" --strict -c deploy/yamllint.yaml "${yaml_files[@]}"; then
  echo "ok   ${#yaml_files[@]} YAML files"
else
  fail "yamllint found problems"
fi

echo "== kubernetes-validate (strict schemas, offline)"
mapfile -t resources < <("$PY" -c 'import yaml; print("\n".join(yaml.safe_load(open("deploy/k8s/kustomization.yaml"))["resources"]))')
mapfile -t dependencies < <("$PY" -c 'import yaml; print("\n".join(yaml.safe_load(open("deploy/k8s/dependencies/kustomization.yaml"))["resources"]))')
for version in $K8S_VERSIONS; do
  if "$BIN/kubernetes-validate" --strict --quiet -k "$version" "${resources[@]/#/deploy/k8s/}" \
      "${dependencies[@]/#/deploy/k8s/dependencies/}"; then
    echo "ok   $((${#resources[@]} + ${#dependencies[@]})) resources against Kubernetes $version"
  else
    fail "kubernetes-validate failed against Kubernetes $version"
  fi
done

echo "== JSON"
while IFS= read -r file; do
  "$PY" -m json.tool "$file" >/dev/null || fail "$file is not valid JSON"
done < <(find deploy -type f -name '*.json' | sort)
echo "ok   $(find deploy -type f -name '*.json' | wc -l) JSON files parse"

echo "== shellcheck (when installed: Debian package shellcheck)"
if command -v shellcheck >/dev/null 2>&1; then
  if shellcheck deploy/*.sh scripts/validate-deploy.sh scripts/audit-deps.sh scripts/sbom.sh; then
    echo "ok   deploy and supply-chain scripts"
  else
    fail "shellcheck found problems"
  fi
else
  echo "skip shellcheck is not installed"
fi

echo "== semantic checks (deploy/checks/check_deploy.py)"
"$PY" deploy/checks/check_deploy.py --lock "$LOCK" || fail "semantic checks failed"

if [ "${1:-}" != "--no-self-test" ]; then
  echo "== self-tests: every check must fail on a broken copy"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  printf 'a:\n    b: 1\n  c: 2\n' > "$tmp/bad.yaml"
  if "$BIN/yamllint" --strict -c deploy/yamllint.yaml "$tmp/bad.yaml" >/dev/null 2>&1; then
    fail "self-test: yamllint accepted a badly indented file"
  else
    echo "ok   self-test: yamllint rejects a badly indented file"
  fi
  sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/' deploy/k8s/deployment.yaml > "$tmp/deployment.yaml"
  if "$BIN/kubernetes-validate" --strict --quiet "$tmp/deployment.yaml" >/dev/null 2>&1; then
    fail "self-test: kubernetes-validate accepted a misspelt field"
  else
    echo "ok   self-test: kubernetes-validate rejects a misspelt field"
  fi
  printf '{"panels": [}' > "$tmp/bad.json"
  if "$PY" -m json.tool "$tmp/bad.json" >/dev/null 2>&1; then
    fail "self-test: the JSON check accepted broken JSON"
  else
    echo "ok   self-test: the JSON check rejects broken JSON"
  fi
  "$PY" deploy/checks/check_deploy.py --self-test --lock "$LOCK" || fail "a semantic check did not catch its broken copy"
fi

if [ "$status" = 0 ]; then echo "validate-deploy: all checks passed"; fi
exit "$status"
