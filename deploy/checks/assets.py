"""Checks of the non-Kubernetes deployment assets: alert rules, dashboard, compose file, Prometheus
configuration, Dockerfile, the derived locks, and the rule that no committed file names a registry host."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from promql import Exported, check_expression, usage
from settings_env import ALL_INTERFACES, check_env

SEVERITIES = {"critical", "warning", "info"}
COMPOSE_SERVICES = {"ggen-mcp", "oxigraph", "redis", "prometheus", "grafana"}
# Host names a committed file may put in a URL: loopback, documentation names, in-cluster service names.
ALLOWED_URL_HOST = re.compile(
    r"^(localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0|[a-z0-9-]+|([a-z0-9-]+\.)*example\.(com|org|net)"
    r"|[a-z0-9.-]+\.svc(\.cluster\.local)?)(:\d+|:\*)?$"
)
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://([^/\s\"'`<>)\]]+)", re.IGNORECASE)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def recorded_series(rules_doc: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Series the recording rules create, with the labels their aggregation keeps."""
    recorded = {}
    for group in rules_doc.get("groups", []):
        for rule in group.get("rules", []):
            if "record" in rule:
                recorded[rule["record"]] = usage(rule["expr"]).grouping_labels
    return recorded


def check_rules(path: Path, exported: Exported, runbook: Path) -> list[str]:
    """Structure of every rule, its metrics and labels, and a runbook section for every alert."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    recorded = recorded_series(doc)
    anchors = {slug(m) for m in re.findall(r"^#+ (.+)$", runbook.read_text(encoding="utf-8"), re.M)} \
        if runbook.is_file() else set()
    problems: list[str] = []
    groups = doc.get("groups") or []
    if not groups:
        return [f"{path}: no rule groups"]
    names = [g.get("name") for g in groups]
    problems += [f"{path}: group name {n!r} repeats" for n in sorted({n for n in names if names.count(n) > 1})]
    alerts: list[str] = []
    for group in groups:
        for index, rule in enumerate(group.get("rules") or []):
            where = f"{path}: {group.get('name')}[{index}] {rule.get('alert') or rule.get('record')}"
            problems += _check_rule(rule, where, anchors, runbook)
            if "expr" in rule:
                problems += check_expression(str(rule["expr"]), exported, recorded, where)
            if "alert" in rule:
                alerts.append(rule["alert"])
    problems += [f"{path}: alert {a} is defined twice" for a in sorted({a for a in alerts if alerts.count(a) > 1})]
    return problems


def _check_rule(rule: dict[str, Any], where: str, anchors: set[str], runbook: Path) -> list[str]:
    if ("alert" in rule) == ("record" in rule):
        return [f"{where}: a rule has exactly one of 'alert' and 'record'"]
    problems = [] if rule.get("expr") else [f"{where}: no expr"]
    if "record" in rule:
        if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", rule["record"]):
            problems.append(f"{where}: {rule['record']!r} is not a metric name")
        return problems
    if "for" in rule and not re.fullmatch(r"(\d+[smhdwy])+", str(rule["for"])):
        problems.append(f"{where}: 'for: {rule['for']}' is not a duration")
    if rule.get("labels", {}).get("severity") not in SEVERITIES:
        problems.append(f"{where}: labels.severity must be one of {sorted(SEVERITIES)}")
    annotations = rule.get("annotations", {})
    problems += [f"{where}: no {key} annotation" for key in ("summary", "description", "runbook")
                 if not annotations.get(key)]
    anchor = str(annotations.get("runbook", "")).partition("#")[2]
    if anchor and anchor not in anchors:
        problems.append(f"{where}: runbook anchor #{anchor} is not a heading of {runbook}")
    return problems


def check_dashboard(
    path: Path, exported: Exported, recorded: dict[str, frozenset[str]], builder: Path | None = None
) -> list[str]:
    """The Grafana dashboard: valid JSON, unique panel ids, panels on the grid, real metrics in queries, and
    the same as its builder makes."""
    text = path.read_text(encoding="utf-8")
    try:
        dash = json.loads(text)
    except json.JSONDecodeError as exc:
        return [f"{path}: not JSON: {exc}"]
    problems = [f"{path}: no {key}" for key in ("uid", "title", "panels") if not dash.get(key)]
    if builder is not None and _build(builder) != text:
        problems.append(f"{path}: differs from what {builder} builds (run it, or edit the panels there)")
    ids = [p.get("id") for p in dash.get("panels", [])]
    problems += [f"{path}: panel id {i} repeats" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for panel in dash.get("panels", []):
        where = f"{path}: panel {panel.get('id')} {panel.get('title')!r}"
        grid = panel.get("gridPos", {})
        if grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"{where}: wider than the 24-column grid")
        if not panel.get("targets"):
            problems.append(f"{where}: no query")
        for target in panel.get("targets", []):
            problems += check_expression(target.get("expr", ""), exported, recorded, where)
    return problems


def _build(builder: Path) -> str:
    spec = importlib.util.spec_from_file_location("build_dashboard", builder)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered: str = module.render()
    return rendered


def check_grafana_provisioning(root: Path, dashboard: Path) -> list[str]:
    """The provisioned data source has the uid the dashboard's data-source variable defaults to."""
    sources = yaml.safe_load((root / "provisioning/datasources/prometheus.yaml").read_text(encoding="utf-8"))
    uids = {s.get("uid") for s in sources.get("datasources", [])}
    dash = json.loads(dashboard.read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    wanted = variables.get("datasource", {}).get("current", {}).get("value")
    if wanted not in uids:
        return [f"{dashboard}: data-source variable defaults to {wanted!r}, provisioned uids are {sorted(uids)}"]
    provider = yaml.safe_load((root / "provisioning/dashboards/ggen-mcp.yaml").read_text(encoding="utf-8"))
    if not provider.get("providers"):
        return [f"{root}/provisioning/dashboards/ggen-mcp.yaml: no dashboard provider"]
    return []


def image_has_registry_host(image: str) -> bool:
    """True when an image reference starts with a registry host (a first component with '.' or ':')."""
    image = re.sub(r"\$\{[^}]*:-([^}]*)\}", r"\1", image)
    first, sep, _ = image.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def check_compose(path: Path, example_keys: Path) -> list[str]:
    """Services, images without registry hosts, loopback-only ports, files that exist, valid settings."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = doc.get("services", {})
    problems = [f"{path}: no service {s}" for s in sorted(COMPOSE_SERVICES - set(services))]
    for name, service in services.items():
        where = f"{path}: service {name}"
        image = str(service.get("image", ""))
        if image_has_registry_host(image):
            problems.append(f"{where}: image {image!r} names a registry host")
        for port in service.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"{where}: port {port!r} is published beyond 127.0.0.1")
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith(".") and not (path.parent / source).exists():
                problems.append(f"{where}: mounts {source}, which does not exist")
        problems += [f"{where}: depends on unknown service {d}" for d in service.get("depends_on", [])
                     if d not in services]
    build = services.get("ggen-mcp", {}).get("build", {})
    if build and not (path.parent / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file():
        problems.append(f"{path}: ggen-mcp build dockerfile does not exist")
    problems += _check_compose_server(path, services.get("ggen-mcp", {}), doc, example_keys)
    return problems


def _check_compose_server(path: Path, server: dict[str, Any], doc: dict[str, Any], example_keys: Path) -> list[str]:
    env = {k: str(v) for k, v in (server.get("environment") or {}).items()}
    command = [str(c) for c in server.get("command", [])]
    public = "--host" in command and command[command.index("--host") + 1] == ALL_INTERFACES
    files = {}
    for secret in server.get("secrets", []):
        target = secret.get("target") if isinstance(secret, dict) else secret
        files[f"/run/secrets/{target}"] = example_keys
    return check_env(env, f"{path}: ggen-mcp environment", binds_publicly=public, files=files)


def check_prometheus_config(path: Path, compose: Path, rules: Path) -> list[str]:
    """Prometheus loads the rules file compose mounts and scrapes the metrics port ggen-mcp serves."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = yaml.safe_load(compose.read_text(encoding="utf-8"))["services"]
    mounts = {str(v).split(":")[1]: str(v).split(":")[0] for v in services["prometheus"].get("volumes", [])
              if str(v).startswith(".")}
    problems = []
    for rule_file in config.get("rule_files", []):
        source = mounts.get(rule_file)
        if source is None or (compose.parent / source).resolve() != rules.resolve():
            problems.append(f"{path}: rule file {rule_file} is not {rules} as mounted by {compose}")
    command = [str(c) for c in services["ggen-mcp"].get("command", [])]
    port = command[command.index("--metrics-port") + 1] if "--metrics-port" in command else "8000"
    jobs = [job for job in config.get("scrape_configs", []) if job.get("job_name") == "ggen-mcp"]
    targets = [t for job in jobs for s in job.get("static_configs", []) for t in s.get("targets", [])]
    targets += [f"{name}:{d.get('port')}" for job in jobs for d in job.get("dns_sd_configs", [])
                for name in d.get("names", [])]  # every replica of the service (DNS answers each address)
    if f"ggen-mcp:{port}" not in targets:
        problems.append(f"{path}: job ggen-mcp does not scrape ggen-mcp:{port} (has {targets})")
    return problems


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in (j.strip() for j in joined)]


def check_dockerfile(path: Path, root: Path) -> list[str]:
    """Multi-stage, hash-pinned installs, non-root, HEALTHCHECK on /healthz, the expected command."""
    steps = dockerfile_instructions(path)
    args = {a.split("=", 1)[0]: a.split("=", 1)[1] for i, a in steps if i == "ARG" and "=" in a}
    problems = []
    stages = [a for i, a in steps if i == "FROM"]
    if len(stages) < 2:
        problems.append(f"{path}: not multi-stage")
    for stage in stages:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), stage.split()[0])
        if image_has_registry_host(image):
            problems.append(f"{path}: base image {image!r} names a registry host")
    final = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM"):]
    runs = " ".join(a for i, a in steps if i == "RUN")
    for needle, why in (("--require-hashes", "installs without --require-hashes"),
                        ("requirements.runtime.lock", "does not install deploy/requirements.runtime.lock"),
                        ("--no-deps", "installs the wheels with dependency resolution (want --no-deps)")):
        if needle not in runs:
            problems.append(f"{path}: {why}")
    if not any(i == "COPY" and a.startswith("--from=") for i, a in final):
        problems.append(f"{path}: the final stage copies nothing from the build stage")
    users = [a for i, a in final if i == "USER"]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append(f"{path}: the final stage must end with a non-root USER")
    health = [a for i, a in final if i == "HEALTHCHECK"]
    if not health or "/healthz" not in health[-1]:
        problems.append(f"{path}: no HEALTHCHECK on /healthz")
    env = " ".join(a for i, a in final if i == "ENV")
    if "GGEN_MCP_HTTP__STATELESS=true" not in env:
        problems.append(f"{path}: GGEN_MCP_HTTP__STATELESS=true is not set")
    entry = [json.loads(a) for i, a in final if i == "ENTRYPOINT"][-1:] or [[]]
    cmd = [json.loads(a) for i, a in final if i == "CMD"][-1:] or [[]]
    want = ["ggen-mcp", "serve", "--transport", "http", "--host", ALL_INTERFACES, "--port", "8000"]
    if entry[0] + cmd[0] != want:
        problems.append(f"{path}: runs {entry[0] + cmd[0]}, want {shlex.join(want)}")
    for instruction, arguments in steps:
        if instruction == "COPY" and not arguments.startswith("--from="):
            for source in arguments.split()[:-1]:
                if not source.startswith("--") and not (root / source).exists():
                    problems.append(f"{path}: COPY source {source} does not exist")
    return problems


def parse_lock(path: Path) -> dict[str, dict[str, set[str]]]:
    """name -> version -> hashes of a pip-compile/uv lock."""
    pins: dict[str, dict[str, set[str]]] = {}
    current: set[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            current = pins.setdefault(name, {}).setdefault(match.group(2), set())
        elif current is not None and "--hash=" in line:
            current.add(line.split("--hash=", 1)[1].strip(" \\"))
    return pins


def check_locks(root: Path, lock: Path) -> list[str]:
    """deploy/*.lock pin exactly what requirements.lock pins, with a subset of its hashes, and no URL."""
    full = parse_lock(lock)
    problems = []
    for derived in sorted((root / "deploy").glob("requirements.*.lock")):
        text = derived.read_text(encoding="utf-8")
        if re.search(r"https?://|file:", text):
            problems.append(f"{derived}: names a URL")
        for name, versions in sorted(parse_lock(derived).items()):
            for version, hashes in versions.items():
                if name not in full:
                    problems.append(f"{derived}: {name} is not in {lock.name} (run `make lock`, then deploy/lock.sh)")
                elif version not in full[name]:
                    problems.append(f"{derived}: {name}=={version}, but {lock.name} pins {sorted(full[name])}")
                elif not hashes or not hashes <= full[name][version]:
                    problems.append(f"{derived}: hashes of {name}=={version} differ from {lock.name}")
    return problems


def check_no_registry_urls(paths: list[Path]) -> list[str]:
    """No URL with a public host name (a registry or a download) in the files this change owns."""
    problems = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in URL.finditer(line):
                host = match.group(1).split("@")[-1].lower().rstrip(".,;:")
                if not ALLOWED_URL_HOST.match(host):
                    problems.append(f"{path}:{number}: names the host {host!r}")
    return problems
