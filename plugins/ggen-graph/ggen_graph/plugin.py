"""The ggen-graph plugin: hook implementations only; heavy imports happen inside handlers."""

from __future__ import annotations

from ggen_mcp_core import Settings, ToolSpec, hookimpl

TOOL_PREFIXES = ("graph_",)


@hookimpl
def ggen_register_tools(config: Settings) -> list[ToolSpec]:
    """The graph tools (added with their own issue)."""
    return []
