"""Plain data the host hands to observer and lifecycle hooks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ggen_mcp_core.principal import Principal

Outcome = Literal["ok", "error", "invalid", "denied", "timeout", "cancelled", "rate_limited", "busy", "input_required"]
LifecycleName = Literal["pre_gen", "post_gen", "pre_apply", "post_apply"]
LIFECYCLE_EVENTS: tuple[LifecycleName, ...] = ("pre_gen", "post_gen", "pre_apply", "post_apply")


@dataclass(frozen=True)
class RequestInfo:
    """What the host knows about an incoming request before it knows who sent it."""

    transport: Literal["stdio", "http", "memory", "cli"]
    headers: Mapping[str, str] = field(default_factory=dict)
    client_address: str | None = None
    path: str | None = None
    principal: Principal | None = None  # set when the HTTP layer already authenticated the request


@dataclass(frozen=True)
class ToolCallEvent:
    """One finished tool call, as ``ggen_on_tool_call`` sees it."""

    tool: str
    plugin: str
    principal: Principal
    duration: float
    outcome: Outcome
    error_type: str | None = None
    request_id: str | None = None
    arguments_digest: str | None = None
    call_id: str | None = None  # made by the server, unique per call (the JSON-RPC id is unique per session)
    parent_call_id: str | None = None  # the call that made this one through ctx.call_tool
    alias: str | None = None  # the old name the client called the tool by (ToolSpec.aliases)


@dataclass(frozen=True)
class LifecycleEvent:
    """A generation lifecycle event: ``pre_gen``, ``post_gen``, ``pre_apply`` or ``post_apply``."""

    name: LifecycleName
    template: str | None = None
    files: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
