"""Semantic checks of deploy/ (the part yamllint and kubernetes-validate cannot see).

    python deploy/checks/check_deploy.py [--root DIR] [--lock FILE]   # every check; exit 1 on a problem
    python deploy/checks/check_deploy.py --self-test                  # each check fails on a broken copy

scripts/validate-deploy.sh runs both after yamllint, kubernetes-validate and the JSON parse.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assets import (
    check_compose,
    check_dashboard,
    check_dockerfile,
    check_grafana_provisioning,
    check_locks,
    check_no_registry_urls,
    check_prometheus_config,
    check_rules,
    recorded_series,
)
from k8s import check_base
from promql import exported_metrics

OWNED_TEXT = [
    "deploy/**/*", ".github/**/*", "scripts/validate-deploy.sh", "scripts/audit-deps.sh", "scripts/sbom.sh",
    "docs/deployment.md", "docs/operations.md", "docs/migration.md", "CHANGELOG.md",
]


def run_checks(root: Path, lock: Path) -> dict[str, list[str]]:
    """Problems by check name."""
    deploy = root / "deploy"
    exported = exported_metrics([root / "ggen_mcp_core", *sorted((root / "plugins").glob("*/ggen_*"))])
    rules = deploy / "prometheus/alerts.yaml"
    recorded = recorded_series(yaml.safe_load(rules.read_text(encoding="utf-8")))
    dashboard = deploy / "grafana/dashboards/ggen-mcp.json"
    example_keys = deploy / "secrets/api-keys.example.toml"
    owned = sorted({p for pattern in OWNED_TEXT for p in root.glob(pattern) if p.is_file() and _is_text(p)})
    return {
        "alert rules": check_rules(rules, exported, root / "docs/operations.md"),
        "grafana dashboard": check_dashboard(dashboard, exported, recorded, deploy / "grafana/build_dashboard.py")
        + check_grafana_provisioning(deploy / "grafana", dashboard),
        "compose": check_compose(deploy / "compose.yaml", example_keys),
        "prometheus config": check_prometheus_config(deploy / "prometheus/prometheus.yml", deploy / "compose.yaml",
                                                     rules),
        "kubernetes base": check_base(deploy / "k8s"),
        "dockerfile": check_dockerfile(deploy / "Dockerfile", root),
        "derived locks": check_locks(root, lock),
        "no registry hosts or download URLs": check_no_registry_urls(owned),
    }


def _is_text(path: Path) -> bool:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return False
    return True


def report(results: dict[str, list[str]], root: Path) -> int:
    """Print each check's verdict; 1 when any failed."""
    failed = 0
    for name, problems in results.items():
        print(f"{'FAIL' if problems else 'ok  '} {name}")
        for problem in problems:
            print(f"     {problem.replace(str(root) + '/', '')}")
        failed += bool(problems)
    return 1 if failed else 0


@dataclass(frozen=True)
class Mutation:
    """One deliberate break: replace ``old`` by ``new`` in ``files``; ``check`` must then report ``expect``."""

    check: str
    files: tuple[str, ...]
    old: str
    new: str
    expect: str


ALERTS, DASHBOARD, BUILDER = "deploy/prometheus/alerts.yaml", "deploy/grafana/dashboards/ggen-mcp.json", \
    "deploy/grafana/build_dashboard.py"
K8S, COMPOSE = "deploy/k8s/", "deploy/compose.yaml"
MUTATIONS = [
    Mutation("alert rules", (ALERTS,), "ggen_mcp_rate_limited_total[5m]", "ggen_mcp_rate_limitted_total[5m]",
             "'ggen_mcp_rate_limitted_total' is not exported"),
    Mutation("alert rules", (ALERTS,), 'total{outcome="busy"}', 'total{result="busy"}', "has no label 'result'"),
    Mutation("alert rules", (ALERTS,), "sum by (job, reason)", "sum by (job, cause)", "groups by 'cause'"),
    Mutation("alert rules", (ALERTS,), "severity: critical", "severity: page", "labels.severity must be"),
    Mutation("alert rules", ("docs/operations.md",), "### GgenMcpRateLimitStorm", "### Rate-limit storms",
             "#ggenmcpratelimitstorm is not a heading"),
    Mutation("grafana dashboard", (DASHBOARD, BUILDER), "ggen_mcp_tool_calls_in_flight{", "ggen_mcp_inflight{",
             "'ggen_mcp_inflight' is not exported"),
    Mutation("grafana dashboard", (DASHBOARD,), '"refresh": "30s"', '"refresh": "1m"', "differs from what"),
    Mutation("grafana dashboard", ("deploy/grafana/provisioning/datasources/prometheus.yaml",), "uid: prometheus",
             "uid: prom", "data-source variable defaults"),
    Mutation("compose", (COMPOSE,), "oxigraph/oxigraph:", "quay.example.io/oxigraph:", "names a registry host"),
    Mutation("compose", (COMPOSE,), '"127.0.0.1:8000-8001:8000"', '"8000-8001:8000"', "published beyond 127.0.0.1"),
    Mutation("compose", (COMPOSE,), "GGEN_MCP_AUTH__MODE: api_key", "GGEN_MCP_AUTH__MODE: none",
             "ggen-mcp refuses to start that way"),
    Mutation("compose", (COMPOSE,), "GGEN_MCP_GRAPH__STORE: sparql", "GGEN_MCP_GRAPH__STORE: remote",
             "invalid setting graph.store"),
    Mutation("compose", (COMPOSE,), "./prometheus/alerts.yaml:", "./prometheus/rules.yaml:", "does not exist"),
    Mutation("prometheus config", ("deploy/prometheus/prometheus.yml",), "port: 9100", "port: 9000",
             "does not scrape ggen-mcp:9100"),
    Mutation("kubernetes base", (K8S + "deployment.yaml",), "path: /readyz", "path: /healthz",
             "readinessProbe must GET /readyz"),
    Mutation("kubernetes base", (K8S + "deployment.yaml",), "readOnlyRootFilesystem: true",
             "readOnlyRootFilesystem: false", "readOnlyRootFilesystem must be true"),
    Mutation("kubernetes base", (K8S + "deployment.yaml",), "memory: 1Gi", "memory: 2Gi", "cpu 500m / memory 1Gi"),
    Mutation("kubernetes base", (K8S + "deployment.yaml",), "runAsUser: 10001", "runAsUser: 0", "non-zero uid"),
    Mutation("kubernetes base", (K8S + "deployment.yaml",), "mountPath: /tmp", "mountPath: /scratch",
             "must be an emptyDir mount"),
    Mutation("kubernetes base", (K8S + "workspace-pvc.yaml",), '["ReadWriteMany"]', '["ReadWriteOnce"]',
             "must be ReadWriteMany"),
    Mutation("kubernetes base", (K8S + "service.yaml",), "component: server", "component: api",
             "does not select the Deployment's pods"),
    Mutation("kubernetes base", (K8S + "configmap.yaml",), "GGEN_MCP_HTTP__STATELESS", "GGEN_MCP_HTTP__STATELES",
             "GGEN_MCP_HTTP__STATELES is not a ggen-mcp setting"),
    Mutation("kubernetes base", (K8S + "configmap.yaml",), 'GGEN_MCP_MAX_CONCURRENT_CALLS: "32"',
             'GGEN_MCP_MAX_CONCURRENT_CALLS: "many"', "invalid setting max_concurrent_calls"),
    Mutation("kubernetes base", (K8S + "deployment.yaml",), ', "$(POD_IP):*"]', "]",
             "which http.allowed_hosts"),
    Mutation("kubernetes base", (K8S + "configmap.yaml",), "GGEN_MCP_HTTP__TRUSTED_PROXIES:", "FORWARDED_ALLOW_IPS:",
             "FORWARDED_ALLOW_IPS is ignored"),
    Mutation("kubernetes base", (K8S + "secret.example.yaml",), 'sha256 = "0000', 'sha256 = "zz00',
             "not a valid keys file"),
    Mutation("kubernetes base", (K8S + "kustomization.yaml",), "  - pdb.yaml\n", "",
             "pdb.yaml is not listed"),
    Mutation("kubernetes base", (K8S + "ingress.yaml",), "path: /mcp", "path: /metrics", "exposes ['/metrics']"),
    Mutation("kubernetes base", (K8S + "ingress.yaml",), "  tls:\n", "  tlsx:\n", "no tls section"),
    Mutation("dockerfile", ("deploy/Dockerfile",), "USER 10001:10001", "USER root", "non-root USER"),
    Mutation("dockerfile", ("deploy/Dockerfile",), "--require-hashes", "", "without --require-hashes"),
    Mutation("dockerfile", ("deploy/Dockerfile",), "/healthz", "/", "no HEALTHCHECK on /healthz"),
    Mutation("dockerfile", ("deploy/Dockerfile",), "GGEN_MCP_HTTP__STATELESS=true", "GGEN_MCP_HTTP__STATELESS=false",
             "STATELESS=true is not set"),
    Mutation("derived locks", ("deploy/requirements.runtime.lock",), "jinja2==3.1.6", "jinja2==3.1.5",
             "jinja2==3.1.5, but"),
    Mutation("no registry hosts or download URLs", ("docs/deployment.md",), "## Local",
             "Get it from " + "https:" + "//downloads.example.dev/ggen.tar.gz\n\n## Local",
             "names the host 'downloads.example.dev'"),
]


def self_test(root: Path, lock: Path) -> int:
    """Apply each mutation to a copy; its check must report the expected problem, which the unbroken copy
    does not have."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        copied_lock = copy / lock.relative_to(root) if lock.is_relative_to(root) else lock
        _copy_tree(root, copy)
        baseline = run_checks(copy, copied_lock)
        for mutation in MUTATIONS:
            originals = {name: (copy / name).read_text(encoding="utf-8") for name in mutation.files}
            stale = [name for name, text in originals.items() if mutation.old not in text]
            if stale:
                print(f"FAIL self-test: {mutation.old!r} is not in {stale} (update MUTATIONS)")
                failures += 1
                continue
            for name, text in originals.items():
                (copy / name).write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")
            try:
                new = [p for p in run_checks(copy, copied_lock)[mutation.check] if p not in baseline[mutation.check]]
            finally:
                for name, text in originals.items():
                    (copy / name).write_text(text, encoding="utf-8")
            caught = [p for p in new if mutation.expect in p]
            shown = (caught or new or ["nothing new reported"])[0].replace(str(copy) + "/", "")
            print(f"{'ok  ' if caught else 'FAIL'} self-test: {mutation.check} catches {mutation.files[0]} "
                  f"with {mutation.new.strip()[:40]!r}: {shown}")
            failures += not caught
    return 1 if failures else 0


def _copy_tree(root: Path, dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", ".venv", "node_modules", ".node", "__pycache__", "*.pyc", ".mypy_cache",
                                    ".ruff_cache", "conformance-results", "dist", "build", ".ggen")
    dest.mkdir(parents=True)
    for name in ("deploy", "docs", "ggen_mcp_core", "plugins", ".github", "scripts"):
        if (root / name).exists():
            shutil.copytree(root / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "requirements.lock", "CHANGELOG.md"):
        if (root / name).exists():
            shutil.copy2(root / name, dest / name)


def main() -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--lock", type=Path, help="the full lock (default: ROOT/requirements.lock)")
    parser.add_argument("--self-test", action="store_true", help="prove each check fails on a broken copy")
    parser.add_argument("--json", action="store_true", help="print the problems as JSON")
    options = parser.parse_args()
    root = options.root.resolve()
    lock = (options.lock or root / "requirements.lock").resolve()
    if options.self_test:
        return self_test(root, lock)
    results = run_checks(root, lock)
    if options.json:
        print(json.dumps(results, indent=2))
        return 1 if any(results.values()) else 0
    return report(results, root)


if __name__ == "__main__":
    sys.exit(main())
