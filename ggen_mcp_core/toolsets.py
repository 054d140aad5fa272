"""Toolsets: each loaded pack's tools, served all at once or, with ``discovery = "dynamic"``, enabled on request.

A toolset is a pack (its plugin name: ``graph``, ``template``, ``market``, ``hook``...). ``--toolsets`` limits
which exist at all; ``--read-only`` hides the writers of every toolset. With ``discovery = "dynamic"`` the server
starts with only ``toolset_list`` and ``toolset_enable`` (the ``core-discovery`` built-in); enabling a toolset puts
its tools into ``tools/list`` and sends ``notifications/tools/list_changed`` (and the prompts list, whose workflows
may need those tools). Enabling is server-wide: on a shared HTTP server every client sees the change, told by
the same notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ggen_mcp_core.errors import ToolError

if TYPE_CHECKING:
    from ggen_mcp_core.plugins import PluginHost
    from ggen_mcp_core.tools import ToolSpec

DISCOVERY_PLUGIN = "core-discovery"


def dormant_reason(plugin: str) -> str:
    return f"toolset {plugin!r} is not enabled (discovery = dynamic): call toolset_enable"


@dataclass(frozen=True)
class Toolset:
    name: str
    description: str
    tools: tuple[str, ...]
    enabled: bool


def toolsets(host: PluginHost) -> list[Toolset]:
    """Every toolset with a tool this server may serve, by name."""
    members: dict[str, list[ToolSpec]] = {}
    for spec in [*host.tools.values(), *host.dormant_tools.values()]:
        if spec.plugin != DISCOVERY_PLUGIN:
            members.setdefault(spec.plugin, []).append(spec)
    return [
        Toolset(
            name=name,
            description=_summary(host, name),
            tools=tuple(sorted(spec.name for spec in specs)),
            enabled=any(spec.name in host.tools for spec in specs),
        )
        for name, specs in sorted(members.items())
    ]


def _summary(host: PluginHost, plugin: str) -> str:
    """The pack's distribution summary (its pyproject ``description``), else its module's first doc line."""
    import importlib_metadata

    record = host.record(plugin)
    if record is not None and record.distribution:
        try:
            summary = importlib_metadata.metadata(record.distribution).get("Summary")
        except importlib_metadata.PackageNotFoundError:
            summary = None
        if summary:
            return str(summary)
    return ""


def enable(host: PluginHost, name: str) -> list[str]:
    """Serve toolset ``name``'s tools; the names newly served (empty when it already was).

    :raises ToolError: naming the known toolsets when ``name`` is not one.
    """
    known = [t.name for t in toolsets(host)]
    if name not in known:
        raise ToolError(f"name: no toolset {name!r}; toolsets: {', '.join(known) or 'none'}")
    woken = [tool for tool, spec in host.dormant_tools.items() if spec.plugin == name]
    for tool in woken:
        host.tools[tool] = host.dormant_tools.pop(tool)
        host.hidden_tools.pop(tool, None)
    return woken
