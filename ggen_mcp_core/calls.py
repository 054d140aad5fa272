"""The one path every tool call takes: authenticate, authorize, validate, run with a deadline, observe.

The MCP server and the ``ggen-mcp call`` command both come through here, so a script sees exactly what a
client sees.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import Any

import anyio
import mcp.types as types
import structlog
from opentelemetry import propagate, trace

from ggen_mcp_core.errors import ToolError
from ggen_mcp_core.events import Outcome, RequestInfo, ToolCallEvent
from ggen_mcp_core.observability import RATE_LIMITED, TOOL_IN_FLIGHT
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.principal import Principal
from ggen_mcp_core.ratelimit import retry_after_seconds
from ggen_mcp_core.tools import ToolContext, ToolSpec, error_result, shape_result, validate_arguments

log = structlog.get_logger("ggen_mcp.calls")
TRACER = trace.get_tracer("ggen_mcp")


class UnknownTool(LookupError):
    """The client named a tool the server does not have (a protocol error, not a tool error)."""

    def __init__(self, name: str, host: PluginHost) -> None:
        hidden = host.hidden_tools.get(name)
        detail = f" (hidden: {hidden})" if hidden else ""
        super().__init__(f"Unknown tool: {name}{detail}")


class PluginShares:
    """Each plugin's share of one host's call slots (``limits.max_concurrent_per_plugin``): a CapacityLimiter
    per plugin, made on the plugin's first call, taken before the server-wide ``host.call_limiter``. So calls
    of one plugin stuck on a dead dependency hold at most ``share`` slots and the other plugins keep the rest.
    """

    def __init__(self, share: int | None, pool: int) -> None:
        self.share = share
        self.pool = pool
        self.limiters: dict[str, anyio.CapacityLimiter] = {}

    def limiter(self, plugin: str) -> anyio.CapacityLimiter | None:
        """The limiter of ``plugin``'s share; None when there is no share (one pool for all)."""
        if self.share is None:
            return None
        limiter = self.limiters.get(plugin)
        if limiter is None:
            limiter = self.limiters[plugin] = anyio.CapacityLimiter(self.share)
        return limiter

    def in_flight(self) -> dict[str, int]:
        """Calls holding a slot of their plugin's share right now, by plugin."""
        return {plugin: int(limiter.borrowed_tokens) for plugin, limiter in self.limiters.items()}


_SHARES: weakref.WeakKeyDictionary[PluginHost, PluginShares] = weakref.WeakKeyDictionary()


def plugin_shares(host: PluginHost) -> PluginShares:
    """The per-plugin shares of ``host``'s call slots (made on its first call, from its settings)."""
    shares = _SHARES.get(host)
    if shares is None:
        pool = host.settings.max_concurrent_calls
        shares = _SHARES[host] = PluginShares(host.settings.limits.plugin_share(pool), pool)
    return shares


def arguments_digest(arguments: Mapping[str, Any] | None) -> str:
    """sha256 of the canonical JSON of the arguments: what the audit log keeps instead of the values."""
    canonical = json.dumps(arguments or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def tool_span(spec: ToolSpec, request: RequestInfo, request_id: str) -> trace.Span:
    """An OpenTelemetry span for the call: a child of the current span (the SDK's per-message span), or of
    the trace context in the HTTP headers (``traceparent``). A no-op unless an SDK is configured."""
    parent = None
    if not trace.get_current_span().get_span_context().is_valid and request.headers:
        parent = propagate.extract(dict(request.headers))
    return TRACER.start_span(
        f"ggen.tool {spec.name}",
        context=parent,
        kind=trace.SpanKind.INTERNAL,
        attributes={
            "ggen.tool": spec.name,
            "ggen.plugin": spec.plugin,
            "ggen.request_id": request_id,
            "ggen.transport": request.transport,
        },
    )


def make_context(
    host: PluginHost,
    principal: Principal,
    *,
    tool: ToolSpec | None = None,
    request_id: str | None = None,
    session: Any = None,
    mcp_context: Any = None,
) -> ToolContext:
    """A ToolContext for a tool call or a resource read."""
    bound = log.bind(
        tool=tool.name if tool else None,
        plugin=tool.plugin if tool else None,
        request_id=request_id,
        principal=principal.name,
    )
    return ToolContext(
        host=host,
        settings=host.settings,
        workspace=host.workspace,
        principal=principal,
        log=bound,
        tool=tool,
        request_id=request_id,
        session=session,
        mcp_context=mcp_context,
    )


async def call_tool(
    host: PluginHost,
    name: str,
    arguments: Mapping[str, Any] | None,
    *,
    request: RequestInfo,
    request_id: str | None = None,
    session: Any = None,
    mcp_context: Any = None,
) -> types.CallToolResult:
    """Run one tool call and return its MCP result; raise ``UnknownTool`` for a name we do not serve."""
    spec = host.tools.get(name)
    if spec is None:
        raise UnknownTool(name, host)
    request_id = request_id or uuid.uuid4().hex
    started = time.perf_counter()
    principal = Principal.anonymous(request.client_address)
    outcome: Outcome = "ok"
    error_type: str | None = None
    timeout = spec.timeout or host.settings.tool_timeout
    span = tool_span(spec, request, request_id)
    try:
        principal = request.principal or await host.authenticate(request)
        ctx = make_context(host, principal, tool=spec, request_id=request_id, session=session, mcp_context=mcp_context)
        with trace.use_span(span, end_on_exit=False):
            result, outcome = await _checked_call(host, spec, arguments, ctx, deadline=timeout)
        return result
    except ToolError as exc:
        outcome, error_type = "error", type(exc).__name__
        return error_result(str(exc))
    except anyio.get_cancelled_exc_class():
        outcome = "cancelled"
        raise
    except Exception as exc:
        outcome, error_type = "error", type(exc).__name__
        log.exception("tool failed", tool=name, plugin=spec.plugin, request_id=request_id)
        return error_result(
            f"{name} failed with an internal error ({type(exc).__name__}); "
            f"the server log has the details under request id {request_id}"
        )
    finally:
        span.set_attribute("ggen.outcome", outcome)
        span.set_attribute("ggen.principal", principal.name)
        if error_type:
            span.set_status(trace.StatusCode.ERROR, error_type)
        span.end()
        host.notify_tool_call(
            ToolCallEvent(
                tool=name,
                plugin=spec.plugin,
                principal=principal,
                duration=time.perf_counter() - started,
                outcome=outcome,
                error_type=error_type,
                request_id=request_id,
                arguments_digest=arguments_digest(arguments),
            )
        )


async def _checked_call(
    host: PluginHost, spec: ToolSpec, arguments: Mapping[str, Any] | None, ctx: ToolContext, *, deadline: float
) -> tuple[types.CallToolResult, Outcome]:
    if not await host.authorize(ctx.principal, spec, arguments):
        needed = f" (needs scopes: {', '.join(spec.scopes)})" if spec.scopes else ""
        return error_result(f"{ctx.principal.name} is not allowed to call {spec.name}{needed}"), "denied"
    try:
        parsed = validate_arguments(spec, arguments)
    except ToolError as exc:
        return error_result(str(exc)), "invalid"
    problems = await host.validate_input(spec, parsed.model_dump(mode="json"), ctx)
    if problems:
        return error_result(f"invalid arguments for {spec.name}: " + "; ".join(problems)), "invalid"
    if host.rate_limiter is not None:
        decision = await host.rate_limiter.check(ctx.principal)
        if not decision.allowed:
            RATE_LIMITED.labels(tool=spec.name).inc()
            wait = retry_after_seconds(decision)
            why = "rate-limit storage unavailable" if decision.degraded else f"rate limit {decision.limit} reached"
            return error_result(f"{why} for {ctx.principal.name}; retry after {wait} s"), "rate_limited"
    share = plugin_shares(host).limiter(spec.plugin)
    busy = await _take_slots(host, spec, share)
    if busy is not None:
        return error_result(busy), "busy"
    try:
        TOOL_IN_FLIGHT.inc()
        with anyio.move_on_after(deadline) as scope:
            value = await spec.handler(parsed, ctx)
    finally:
        TOOL_IN_FLIGHT.dec()
        host.call_limiter.release()
        if share is not None:
            share.release()
    if scope.cancelled_caught:
        return (
            error_result(
                f"{spec.name} timed out after {deadline:g} s and was stopped; narrow the request or raise tool_timeout"
            ),
            "timeout",
        )
    result = shape_result(spec, value, host.settings.limits.max_result_bytes)
    return result, "error" if result.is_error else "ok"


async def _take_slots(host: PluginHost, spec: ToolSpec, share: anyio.CapacityLimiter | None) -> str | None:
    """Take a slot of the plugin's share, then one of the server-wide pool, waiting at most
    ``limits.queue_timeout`` in all. None when both are held; else the 'server busy' message, holding neither."""
    pool = host.call_limiter
    held: anyio.CapacityLimiter | None = None
    try:
        with anyio.move_on_after(host.settings.limits.queue_timeout):
            if share is not None:
                await share.acquire()
                held = share
            await pool.acquire()
            return None
    except BaseException:
        if held is not None:
            held.release()
        raise
    if share is not None and held is None:
        shares = plugin_shares(host)
        return (
            f"server busy: {int(share.borrowed_tokens)} calls of plugin '{spec.plugin}' running "
            f"(its share: {shares.share} of {shares.pool} slots); retry {spec.name} shortly"
        )
    if held is not None:
        held.release()
    return f"server busy: {pool.borrowed_tokens} calls running; retry {spec.name} shortly"
