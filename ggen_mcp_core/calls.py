"""The one path every tool call takes: authenticate, authorize, validate, run with a deadline, observe.

The MCP server, the ``ggen-mcp call`` command and a tool calling another tool (``ctx.call_tool``) all come
through here, so a script, a client and a pack see exactly the same checks, limits and audit line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import anyio.to_thread
import mcp_types as types
import structlog
from opentelemetry import propagate, trace

from ggen_mcp_core import observability  # its metrics are made on first use
from ggen_mcp_core.client_requests import InputRequired
from ggen_mcp_core.errors import ToolError
from ggen_mcp_core.events import Outcome, RequestInfo, ToolCallEvent
from ggen_mcp_core.loop_monitor import running_call
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.principal import Principal
from ggen_mcp_core.ratelimit import retry_after_seconds
from ggen_mcp_core.startup_heap import freeze_new_imports
from ggen_mcp_core.tools import ToolContext, ToolSpec, error_result, shape_result, validate_arguments
from ggen_mcp_core.worker_threads import timeout_message

log = structlog.get_logger("ggen_mcp.calls")
TRACER = trace.get_tracer("ggen_mcp")


class UnknownTool(LookupError):
    """The client named a tool the server does not have (a protocol error, not a tool error)."""

    def __init__(self, name: str, host: PluginHost) -> None:
        hidden = host.hidden_tools.get(host.alias_target(name))
        detail = f" (hidden: {hidden})" if hidden else ""
        super().__init__(f"Unknown tool: {name}{detail}")


@dataclass(frozen=True)
class Resolved:
    """What a called name stands for: the tool (None when not served), its arguments, the alias used."""

    spec: ToolSpec | None
    arguments: Mapping[str, Any] | None
    alias: str | None = None


def resolve(host: PluginHost, name: str, arguments: Mapping[str, Any] | None) -> Resolved:
    """A tool by its name, or by an alias (``ToolSpec.aliases``): the alias's fixed arguments win over the
    call's. An alias of a hidden or dormant tool resolves like the tool's own name would: to nothing."""
    target = host.alias_target(name)
    if target == name:
        return Resolved(host.tools.get(name), arguments)
    fixed = host.aliases[name][1]
    return Resolved(host.tools.get(target), {**(arguments or {}), **fixed}, alias=name)


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


MAX_CALL_DEPTH = 8
"""How deep ``ctx.call_tool`` may nest (a tool calling a tool calling ...): a loop of calls ends here."""


def new_call_id() -> str:
    """A server-made call id: 32 hex digits of 16 random bytes, unique across sessions (JSON-RPC ids are not)."""
    return os.urandom(16).hex()


def tool_span(spec: ToolSpec, request: RequestInfo, request_id: str | None, call_id: str) -> trace.Span:
    """An OpenTelemetry span for the call: a child of the current span (the SDK's per-message span, or the
    calling tool's span for a nested call), or of the trace context in the HTTP headers (``traceparent``).
    Without an SDK (no tracer provider set, the module's tracer not replaced) every span would be a
    non-recording one, so none is made: ``trace.INVALID_SPAN`` stands for it."""
    if type(TRACER) is trace.ProxyTracer and type(trace.get_tracer_provider()) is trace.ProxyTracerProvider:
        return trace.INVALID_SPAN
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
            "ggen.call_id": call_id,
            "ggen.request_id": request_id or "",
            "ggen.transport": request.transport,
        },
    )


class LazyBoundLog:
    """A call's structlog logger, bound to the call's fields when first used: most calls never log, and
    binding makes a logger from the configuration each time."""

    __slots__ = ("_bound", "_fields")

    def __init__(self, **fields: Any) -> None:
        self._fields = fields
        self._bound: Any = None

    def __getattr__(self, name: str) -> Any:
        bound = self._bound
        if bound is None:
            bound = self._bound = log.bind(**self._fields)
        return getattr(bound, name)


def make_context(
    host: PluginHost,
    principal: Principal,
    *,
    tool: ToolSpec | None = None,
    request_id: str | None = None,
    session: Any = None,
    mcp_context: Any = None,
    call_id: str | None = None,
    parent: ToolContext | None = None,
    request: RequestInfo | None = None,
) -> ToolContext:
    """A ToolContext for a tool call (``call_id`` set, ``parent`` for a nested call) or a resource read."""
    bound = LazyBoundLog(
        tool=tool.name if tool else None,
        plugin=tool.plugin if tool else None,
        call_id=call_id,
        parent_call_id=parent.call_id if parent is not None else None,
        request_id=request_id,
        principal=principal.name,
    )
    return ToolContext(
        host=host,
        settings=host.own_settings(tool.plugin) if tool is not None else host.settings,
        workspace=host.workspace,
        principal=principal,
        log=cast("structlog.typing.FilteringBoundLogger", bound),
        tool=tool,
        request_id=request_id,
        session=session,
        mcp_context=mcp_context,
        call_id=call_id,
        parent=parent,
        request=request,
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
) -> types.CallToolResult | types.InputRequiredResult:
    """Run a client's tool call and return its MCP result (on 2026-07-28, an ``InputRequiredResult`` when the
    tool asked the client something through ``ctx.sample``/``ctx.elicit``); raise ``UnknownTool`` for a name
    we do not serve."""
    resolved = resolve(host, name, arguments)
    if resolved.spec is None:
        raise UnknownTool(name, host)
    origin = _Origin(
        request=request, request_id=request_id, session=session, mcp_context=mcp_context, alias=resolved.alias
    )
    return await _pipeline(host, resolved.spec, resolved.arguments, origin)


async def nested_call(parent: ToolContext, name: str, arguments: Mapping[str, Any] | None) -> types.CallToolResult:
    """Run a tool a handler calls through ``ctx.call_tool``: the same pipeline, as the caller's principal.

    :raises ToolError: when there is no such tool, or the calls nest deeper than :data:`MAX_CALL_DEPTH`.
    """
    caller = parent.tool.name if parent.tool else "a resource"
    resolved = resolve(parent.host, name, arguments)
    spec = resolved.spec
    if spec is None:
        hidden = parent.host.hidden_tools.get(parent.host.alias_target(name))
        why = f"it is hidden: {hidden}" if hidden else "no loaded pack offers it (see `ggen-mcp plugins`)"
        raise ToolError(f"{caller} called {name}, which this server does not offer: {why}")
    if parent.depth + 1 > MAX_CALL_DEPTH:
        depth = MAX_CALL_DEPTH + 1
        raise ToolError(f"{caller} called {name} {depth} calls deep; nested calls stop at {MAX_CALL_DEPTH}")
    origin = _Origin(
        request=parent.request or RequestInfo(transport="cli"),
        request_id=parent.request_id,
        session=parent.session,
        mcp_context=parent.mcp_context,
        parent=parent,
        alias=resolved.alias,
    )
    result = await _pipeline(parent.host, spec, resolved.arguments, origin)
    assert isinstance(result, types.CallToolResult)  # a nested call raises InputRequired instead
    return result


@dataclass(frozen=True)
class _Origin:
    """Where a call comes from: the client's request, or (``parent``) the tool call that made it."""

    request: RequestInfo
    request_id: str | None = None
    session: Any = None
    mcp_context: Any = None
    parent: ToolContext | None = None
    alias: str | None = None  # the old name the call used (ToolSpec.aliases)


async def _pipeline(
    host: PluginHost, spec: ToolSpec, arguments: Mapping[str, Any] | None, origin: _Origin
) -> types.CallToolResult | types.InputRequiredResult:
    """Authenticate (a nested call keeps its caller's principal), then :func:`_checked_call`, observed."""
    name, parent = spec.name, origin.parent
    call_id = new_call_id()
    started = time.perf_counter()
    principal = parent.principal if parent is not None else Principal.anonymous(origin.request.client_address)
    outcome: Outcome = "ok"
    error_type: str | None = None
    timeout = spec.timeout or host.settings.tool_timeout
    span = tool_span(spec, origin.request, origin.request_id, call_id)
    try:
        if parent is None:
            principal = origin.request.principal or await host.authenticate(origin.request)
        ctx = make_context(
            host,
            principal,
            tool=spec,
            request_id=origin.request_id,
            session=origin.session,
            mcp_context=origin.mcp_context,
            call_id=call_id,
            parent=parent,
            request=origin.request,
        )
        with _current(span), running_call(ctx):
            result, outcome = await _checked_call(host, spec, arguments, ctx, deadline=timeout)
        return result
    except InputRequired as exc:
        outcome = "input_required"
        if parent is not None:
            raise  # a nested call's question is its client call's question: the caller's pipeline answers it
        return exc.result
    except ToolError as exc:
        outcome, error_type = "error", type(exc).__name__
        return error_result(str(exc))
    except anyio.get_cancelled_exc_class():
        outcome = "cancelled"
        raise
    except Exception as exc:
        outcome, error_type = "error", type(exc).__name__
        log.exception("tool failed", tool=name, plugin=spec.plugin, call_id=call_id, request_id=origin.request_id)
        return error_result(
            f"{name} failed with an internal error ({type(exc).__name__}); "
            f"the server log has the details under call id {call_id}"
        )
    finally:
        if span is not trace.INVALID_SPAN:
            _end_span(span, outcome, principal, parent, error_type, origin.alias)
        host.notify_tool_call(
            ToolCallEvent(
                tool=name,
                plugin=spec.plugin,
                principal=principal,
                duration=time.perf_counter() - started,
                outcome=outcome,
                error_type=error_type,
                request_id=origin.request_id,
                arguments_digest=arguments_digest(arguments),
                call_id=call_id,
                parent_call_id=parent.call_id if parent is not None else None,
                alias=origin.alias,
            )
        )
        if parent is None:
            freeze_new_imports()  # what this call's first use imported leaves the collector's view (startup_heap)


def _current(span: trace.Span) -> contextlib.AbstractContextManager[Any]:
    """``span`` as the current span while the call runs (nothing to set when tracing is off)."""
    if span is trace.INVALID_SPAN:
        return contextlib.nullcontext()
    return trace.use_span(span, end_on_exit=False)


def _end_span(
    span: trace.Span,
    outcome: Outcome,
    principal: Principal,
    parent: ToolContext | None,
    error_type: str | None,
    alias: str | None,
) -> None:
    span.set_attribute("ggen.outcome", outcome)
    span.set_attribute("ggen.principal", principal.name)
    if parent is not None and parent.call_id:
        span.set_attribute("ggen.parent_call_id", parent.call_id)
    if alias:
        span.set_attribute("ggen.alias", alias)
    if error_type:
        span.set_status(trace.StatusCode.ERROR, error_type)
    span.end()


async def _loaded(spec: ToolSpec) -> ToolSpec:
    """The spec with its models and handler imported. A tool listed from a kept listing imports its module on
    its first call, in a worker thread: an import can take tens of milliseconds (a template engine, an HTTP
    client), and the event loop keeps serving the other calls meanwhile."""
    if not spec.deferred or getattr(spec, "is_loaded", True):
        return spec.loaded()
    return await anyio.to_thread.run_sync(spec.loaded)


async def _checked_call(
    host: PluginHost, spec: ToolSpec, arguments: Mapping[str, Any] | None, ctx: ToolContext, *, deadline: float
) -> tuple[types.CallToolResult, Outcome]:
    if not await host.authorize(ctx.principal, spec, arguments):
        needed = f" (needs scopes: {', '.join(spec.scopes)})" if spec.scopes else ""
        return error_result(f"{ctx.principal.name} is not allowed to call {spec.name}{needed}"), "denied"
    try:
        spec = await _loaded(spec)  # a tool registered by reference imports its module on its first call
    except ToolError as exc:
        log.warning("tool not loaded", tool=spec.name, plugin=spec.plugin, error=str(exc))
        return error_result(str(exc)), "error"
    try:
        parsed = validate_arguments(spec, arguments)
    except ToolError as exc:
        return error_result(str(exc)), "invalid"
    problems = await host.validate_input(spec, parsed.model_dump(mode="json"), ctx) if host.validates_input() else []
    if problems:
        return error_result(f"invalid arguments for {spec.name}: " + "; ".join(problems)), "invalid"
    if host.rate_limiter is not None:
        decision = await host.rate_limiter.check(ctx.principal)
        if not decision.allowed:
            observability.RATE_LIMITED.labels(tool=spec.name).inc()
            wait = retry_after_seconds(decision)
            why = "rate-limit storage unavailable" if decision.degraded else f"rate limit {decision.limit} reached"
            return error_result(f"{why} for {ctx.principal.name}; retry after {wait} s"), "rate_limited"
    slots = _slots_for(host, spec, ctx)
    busy = await slots.take(host, spec)
    if busy is not None:
        return error_result(busy), "busy"
    ctx._held_shares = slots.inherited
    if slots.share is not None:
        ctx._held_shares |= {spec.plugin}
    try:
        observability.TOOL_IN_FLIGHT.inc()
        with anyio.move_on_after(deadline) as scope:
            value = await spec.handler(parsed, ctx)
    finally:
        observability.TOOL_IN_FLIGHT.dec()
        slots.release()
    if scope.cancelled_caught:
        return error_result(timeout_message(ctx, spec.name, deadline)), "timeout"
    result = shape_result(spec, value, host.settings.limits.max_result_bytes, log=ctx.log)
    return result, "error" if result.is_error else "ok"


@dataclass
class _Slots:
    """The call slots one call takes: a slot of its plugin's share (unless its caller chain already holds
    one of that share) and a server-wide slot (unless it is a nested call, which runs in its caller's)."""

    share: anyio.CapacityLimiter | None
    pool: anyio.CapacityLimiter | None
    inherited: frozenset[str] = frozenset()  # plugins whose share slot the caller chain holds
    held: list[anyio.CapacityLimiter] = field(default_factory=list)

    async def take(self, host: PluginHost, spec: ToolSpec) -> str | None:
        """Take the share's slot, then the pool's, waiting at most ``limits.queue_timeout`` in all. None when
        all are held; else the 'server busy' message, holding none. A free slot is taken at once, without a
        cancel scope (the common case: a scope and a checkpoint per slot cost more than the rest of the take)."""
        waiting = self._take_free()
        if not waiting:
            return None
        try:
            with anyio.move_on_after(host.settings.limits.queue_timeout):
                for limiter in waiting:
                    await limiter.acquire()
                    self.held.append(limiter)
                return None
        except BaseException:
            self.release()
            raise
        waited_for_share = self.share is not None and not self.held
        self.release()
        if waited_for_share and self.share is not None:
            shares = plugin_shares(host)
            return (
                f"server busy: {int(self.share.borrowed_tokens)} calls of plugin '{spec.plugin}' running "
                f"(its share: {shares.share} of {shares.pool} slots); retry {spec.name} shortly"
            )
        pool = host.call_limiter
        return f"server busy: {pool.borrowed_tokens} calls running; retry {spec.name} shortly"

    def _take_free(self) -> list[anyio.CapacityLimiter]:
        """Take the slots, in order, while one is free and nobody waits for it; the limiters still to take."""
        wanted = [limiter for limiter in (self.share, self.pool) if limiter is not None]
        while wanted:
            try:
                wanted[0].acquire_nowait()
            except anyio.WouldBlock:
                break
            self.held.append(wanted.pop(0))
        return wanted

    def release(self) -> None:
        while self.held:
            self.held.pop().release()


def _slots_for(host: PluginHost, spec: ToolSpec, ctx: ToolContext) -> _Slots:
    """A client's call takes its plugin's share and a pool slot. A nested call never waits for a slot its
    caller chain holds (that would deadlock once every slot is held by a caller waiting for its callee): it
    runs in the chain's pool slot and, when an ancestor holds a slot of the callee's plugin share, in that."""
    share = plugin_shares(host).limiter(spec.plugin)
    if ctx.parent is None or ctx.parent.call_id is None:  # a client's call, or one made by a resource reader
        return _Slots(share=share, pool=host.call_limiter)
    inherited = ctx.parent._held_shares
    return _Slots(share=None if spec.plugin in inherited else share, pool=None, inherited=inherited)
