"""GGEN_MCP_* environment in the deployment files: every name a real setting, every value valid."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from unittest import mock

from pydantic import BaseModel, ValidationError

from ggen_mcp_core.auth import load_api_keys
from ggen_mcp_core.config import ConfigError, Settings, reference_markdown
from ggen_mcp_core.headergate import host_allowed, split_authority

# Sections of the packs, as each declares them (SETTINGS_SECTION = (name, Model) in its plugin module, validated
# by the host at load). Other packs that declare SETTINGS_SECTION are found through it as well.
PACK_SECTIONS = {
    "graph": "ggen_graph.settings:GraphSettings",
    "template": "ggen_template.settings:TemplateSettings",
    "market": "ggen_market.settings:MarketSettings",
    "hooks": "ggen_hook.settings:HookSettings",
}
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - compared with, never bound
# Read by the OpenTelemetry SDK or Python, or set for $(VAR) expansion in the Deployment, not ggen-mcp settings.
OTHER_KNOWN = re.compile(r"^(POD_IP|OTEL_[A-Z_]+|PYTHON[A-Z_]*)$")
# Variables that look meaningful but are ignored, with what to use instead.
IGNORED = {
    "FORWARDED_ALLOW_IPS": "ggen-mcp serve passes uvicorn the proxies of GGEN_MCP_HTTP__TRUSTED_PROXIES instead",
}


def pack_sections() -> dict[str, type[BaseModel]]:
    """Settings model of each pack section."""
    sections: dict[str, type[BaseModel]] = {}
    for name, target in PACK_SECTIONS.items():
        module, _, attr = target.partition(":")
        sections[name] = getattr(importlib.import_module(module), attr)
    return sections


def known_names(sections: Mapping[str, type[BaseModel]]) -> set[str]:
    """Every GGEN_MCP_* variable ggen-mcp reads, from the same table `ggen-mcp config --markdown` prints."""
    table = reference_markdown(dict(sections))
    return set(re.findall(r"\| `(GGEN_MCP_[A-Z0-9_]+)` \|", table))


def check_env(
    env: Mapping[str, str],
    where: str,
    *,
    binds_publicly: bool,
    files: Mapping[str, Path],
    probe_hosts: Sequence[str] = (),
) -> list[str]:
    """Problems with a deployment's environment; ``files`` maps in-container paths to local stand-ins;
    ``probe_hosts`` are Host headers probes and scrapers send, which the allowlist must accept."""
    sections = pack_sections()
    known = known_names(sections)
    problems = [
        f"{where}: {name} is not a ggen-mcp setting (see docs/configuration.md)"
        for name in sorted(env)
        if name.startswith("GGEN_MCP_") and name not in known
    ]
    problems += [f"{where}: {name} is ignored: {IGNORED[name]}" for name in sorted(env) if name in IGNORED]
    problems += [
        f"{where}: {name} is neither a ggen-mcp setting nor a variable OpenTelemetry/Python read"
        for name in sorted(env)
        if not name.startswith("GGEN_MCP_") and not OTHER_KNOWN.match(name) and name not in IGNORED
    ]
    if problems:
        return problems
    with mock.patch.dict(os.environ, {k: v for k, v in env.items()}, clear=True):
        try:
            settings = Settings.load()
            for name, model in sections.items():
                settings.section(name, model)
        except ConfigError as exc:
            return [f"{where}: {exc}"]
    if binds_publicly and settings.auth.mode == "none" and not settings.http.insecure_no_auth:
        problems.append(f"{where}: binds 0.0.0.0 with auth.mode = none: ggen-mcp refuses to start that way")
    if settings.auth.mode == "api_key":
        problems += _check_keys_file(settings, where, files)
    problems += _check_hosts(settings, where)
    problems += [
        f"{where}: probes/scrapes send Host {host!r}, which http.allowed_hosts {settings.http.allowed_hosts} "
        'refuses (421): allow the pod address, e.g. "$(POD_IP):*"'
        for host in probe_hosts
        if settings.http.dns_rebinding_protection and not host_allowed(host, settings.http.allowed_hosts)
    ]
    return problems


def _check_keys_file(settings: Settings, where: str, files: Mapping[str, Path]) -> list[str]:
    path = settings.auth.api_keys_file
    if path is None and not settings.auth.api_keys:
        return [f"{where}: auth.mode = api_key without auth.api_keys or auth.api_keys_file"]
    if path is None:
        return []
    local = files.get(str(path))
    if local is None:
        return [f"{where}: auth.api_keys_file {path} is not provided by the deployment (secret/volume)"]
    try:
        keys = load_api_keys([], local)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return [f"{where}: the file mounted as {path} is not a valid keys file: {reasons}"]
    except (OSError, ValueError) as exc:
        return [f"{where}: the file mounted as {path} is not a valid keys file: {exc}"]
    return [] if keys else [f"{where}: {local} holds no keys"]


def _check_hosts(settings: Settings, where: str) -> list[str]:
    problems = []
    for pattern in settings.http.allowed_hosts:
        if split_authority(pattern, wildcard=True) is None:
            problems.append(f"{where}: http.allowed_hosts entry {pattern!r} is not host[:port] or host:*")
    if settings.http.dns_rebinding_protection is False:
        problems.append(f"{where}: DNS-rebinding protection is off")
    return problems
