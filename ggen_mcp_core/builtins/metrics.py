"""Prometheus metrics for every tool call."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ggen_mcp_core import observability  # its metrics are made on first use
from ggen_mcp_core.events import Outcome, ToolCallEvent
from ggen_mcp_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram


@hookimpl
def ggen_on_tool_call(event: ToolCallEvent) -> None:
    """Count the call by outcome and record its duration."""
    calls(event.tool, event.plugin, event.outcome).inc()
    duration(event.tool, event.plugin).observe(event.duration)
    if event.alias:
        observability.TOOL_ALIAS_CALLS.labels(alias=event.alias, tool=event.tool).inc()


@functools.cache
def calls(tool: str, plugin: str, outcome: Outcome) -> Counter:
    """The call counter of one tool and outcome (looked up once: its labels are checked on every lookup)."""
    return observability.TOOL_CALLS.labels(tool=tool, plugin=plugin, outcome=outcome)


@functools.cache
def duration(tool: str, plugin: str) -> Histogram:
    """The duration histogram of one tool."""
    return observability.TOOL_DURATION.labels(tool=tool, plugin=plugin)
