"""Prometheus metrics for every tool call."""

from __future__ import annotations

from ggen_mcp_core.events import ToolCallEvent
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.observability import TOOL_ALIAS_CALLS, TOOL_CALLS, TOOL_DURATION


@hookimpl
def ggen_on_tool_call(event: ToolCallEvent) -> None:
    """Count the call by outcome and record its duration."""
    TOOL_CALLS.labels(tool=event.tool, plugin=event.plugin, outcome=event.outcome).inc()
    TOOL_DURATION.labels(tool=event.tool, plugin=event.plugin).observe(event.duration)
    if event.alias:
        TOOL_ALIAS_CALLS.labels(alias=event.alias, tool=event.tool).inc()
