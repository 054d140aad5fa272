"""Prometheus metrics for every tool call."""

from __future__ import annotations

import functools

from prometheus_client import Counter, Histogram

from ggen_mcp_core.events import Outcome, ToolCallEvent
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.observability import TOOL_ALIAS_CALLS, TOOL_CALLS, TOOL_DURATION


@hookimpl
def ggen_on_tool_call(event: ToolCallEvent) -> None:
    """Count the call by outcome and record its duration."""
    calls(event.tool, event.plugin, event.outcome).inc()
    duration(event.tool, event.plugin).observe(event.duration)
    if event.alias:
        TOOL_ALIAS_CALLS.labels(alias=event.alias, tool=event.tool).inc()


@functools.cache
def calls(tool: str, plugin: str, outcome: Outcome) -> Counter:
    """The call counter of one tool and outcome (looked up once: its labels are checked on every lookup)."""
    return TOOL_CALLS.labels(tool=tool, plugin=plugin, outcome=outcome)


@functools.cache
def duration(tool: str, plugin: str) -> Histogram:
    """The duration histogram of one tool."""
    return TOOL_DURATION.labels(tool=tool, plugin=plugin)
