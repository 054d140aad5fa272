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
from collections.abc import Callable
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


# Each mutation breaks one thing in a copy of the repository; the named check must then fail.
Mutation = tuple[str, str, Callable[[str], str]]
MUTATIONS: list[Mutation] = [
    ("alert rules", "deploy/prometheus/alerts.yaml",
     lambda t: t.replace("ggen_mcp_rate_limited_total[5m]", "ggen_mcp_rate_limitted_total[5m]")),
    ("alert rules", "deploy/prometheus/alerts.yaml",
     lambda t: t.replace('total{outcome="busy"}', 'total{result="busy"}')),
    ("alert rules", "deploy/prometheus/alerts.yaml", lambda t: t.replace("severity: critical", "severity: page", 1)),
    ("alert rules", "docs/operations.md", lambda t: t.replace("GgenMcpRateLimitStorm", "RateLimitStorm")),
    ("grafana dashboard", "deploy/grafana/dashboards/ggen-mcp.json",
     lambda t: t.replace("ggen_mcp_tool_calls_in_flight", "ggen_mcp_inflight")),
    ("grafana dashboard", "deploy/grafana/dashboards/ggen-mcp.json",
     lambda t: t.replace('"id": 2,', '"id": 1,', 1)),
    ("grafana dashboard", "deploy/grafana/build_dashboard.py",
     lambda t: t.replace('"refresh": "30s"', '"refresh": "1m"')),
    ("compose", "deploy/compose.yaml", lambda t: t.replace("oxigraph/oxigraph:", "quay.example.io/oxigraph:")),
    ("compose", "deploy/compose.yaml", lambda t: t.replace('"127.0.0.1:8000:8000"', '"8000:8000"')),
    ("compose", "deploy/compose.yaml",
     lambda t: t.replace("GGEN_MCP_AUTH__MODE: api_key", "GGEN_MCP_AUTH__MODE: none")),
    ("compose", "deploy/compose.yaml",
     lambda t: t.replace("GGEN_MCP_GRAPH__STORE: sparql", "GGEN_MCP_GRAPH__STORE: remote")),
    ("prometheus config", "deploy/prometheus/prometheus.yml",
     lambda t: t.replace("ggen-mcp:9100", "ggen-mcp:9000")),
    ("kubernetes base", "deploy/k8s/deployment.yaml", lambda t: t.replace("path: /readyz", "path: /healthz")),
    ("kubernetes base", "deploy/k8s/deployment.yaml",
     lambda t: t.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")),
    ("kubernetes base", "deploy/k8s/deployment.yaml", lambda t: t.replace("memory: 1Gi", "memory: 2Gi")),
    ("kubernetes base", "deploy/k8s/deployment.yaml", lambda t: t.replace("mountPath: /tmp", "mountPath: /scratch")),
    ("kubernetes base", "deploy/k8s/service.yaml", lambda t: t.replace("component: server", "component: api")),
    ("kubernetes base", "deploy/k8s/configmap.yaml",
     lambda t: t.replace("GGEN_MCP_HTTP__STATELESS", "GGEN_MCP_HTTP__STATELES")),
    ("kubernetes base", "deploy/k8s/configmap.yaml",
     lambda t: t.replace('GGEN_MCP_MAX_CONCURRENT_CALLS: "32"', 'GGEN_MCP_MAX_CONCURRENT_CALLS: "many"')),
    ("kubernetes base", "deploy/k8s/kustomization.yaml", lambda t: t.replace("  - pdb.yaml\n", "")),
    ("kubernetes base", "deploy/k8s/ingress.yaml", lambda t: t.replace("path: /mcp", "path: /metrics")),
    ("dockerfile", "deploy/Dockerfile", lambda t: t.replace("USER 10001:10001", "USER root")),
    ("dockerfile", "deploy/Dockerfile", lambda t: t.replace("--require-hashes", "")),
    ("dockerfile", "deploy/Dockerfile", lambda t: t.replace("/healthz", "/")),
    ("derived locks", "deploy/requirements.runtime.lock", lambda t: t.replace("jinja2==3.1.6", "jinja2==3.1.5")),
    ("no registry hosts or download URLs", "docs/deployment.md",
     lambda t: t + "\nGet it from " + "https:" + "//downloads.example.dev/ggen.tar.gz\n"),
]


def self_test(root: Path, lock: Path) -> int:
    """Apply each mutation to a fresh copy; its check must report a problem the unbroken copy does not have."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        copied_lock = copy / lock.relative_to(root) if lock.is_relative_to(root) else lock
        _copy_tree(root, copy)
        baseline = run_checks(copy, copied_lock)
        for check, relative, mutate in MUTATIONS:
            target = copy / relative
            before = target.read_text(encoding="utf-8")
            after = mutate(before)
            if after == before:
                print(f"FAIL self-test: the mutation of {relative} changed nothing (update MUTATIONS)")
                failures += 1
                continue
            target.write_text(after, encoding="utf-8")
            try:
                new = [p for p in run_checks(copy, copied_lock)[check] if p not in baseline[check]]
            finally:
                target.write_text(before, encoding="utf-8")
            shown = new[0].replace(str(copy) + "/", "") if new else "nothing new reported"
            print(f"{'ok  ' if new else 'FAIL'} self-test: {check} catches a broken {relative}: {shown}")
            failures += not new
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
