"""ToolSpec, ToolContext, the tool registry, argument validation and result shaping."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import pydantic_core
from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar as DefaultedTypeVar

from ggen_mcp_core.errors import ToolError
from ggen_mcp_core.events import LifecycleEvent, LifecycleName
from ggen_mcp_core.result_budget import ResultRefused, json_floor
from ggen_mcp_core.schema_verdicts import SchemaVerdicts

if TYPE_CHECKING:
    import mcp_types as types
    import structlog

    from ggen_mcp_core.client_requests import Elicited, Exchange, Sampled
    from ggen_mcp_core.events import RequestInfo
    from ggen_mcp_core.plugins import PluginHost
    from ggen_mcp_core.principal import Principal
    from ggen_mcp_core.tool_schema_cache import ToolSchemaCache
    from ggen_mcp_core.workspace import Workspace

T = TypeVar("T")
SettingsT = DefaultedTypeVar("SettingsT", default=Any)
TOOL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
Handler = Callable[[Any, "ToolContext"], Awaitable[Any]]


@dataclass(frozen=True)
class ToolResult:
    """A handler result with explicit content blocks (images, audio, embedded resources, links).

    Return a pydantic model for ordinary structured results; return this when the content itself matters.
    """

    content: Sequence[types.ContentBlock]
    structured: dict[str, Any] | None = None
    is_error: bool = False

    def to_mcp(self) -> types.CallToolResult:
        """The MCP result with these blocks."""
        import mcp_types as types

        return types.CallToolResult(
            content=list(self.content), structured_content=self.structured, is_error=self.is_error
        )


@dataclass(frozen=True)
class ToolSpec:
    """One tool a plugin registers.

    :param name: unique, starting with a prefix the plugin owns (``graph_``...), MCP tool-name rules.
    :param description: what the tool does, for the model choosing it; must not be empty.
    :param input_model: pydantic model of the arguments; its JSON Schema is the ``inputSchema``.
    :param handler: ``async def handler(args: InputModel, ctx: ToolContext) -> OutputModel``.
    :param output_model: pydantic model of the result, published as ``outputSchema``.
    :param read_only: the tool changes nothing (``readOnlyHint``); every other tool counts as writing.
    :param destructive: the tool may delete or overwrite (``destructiveHint``).
    :param idempotent: calling twice with the same arguments has no further effect.
    :param open_world: the tool reaches outside the workspace (network, registry).
    :param timeout: seconds before the call ends with ``isError`` (default: ``tool_timeout``).
    :param scopes: scopes a principal needs, e.g. ``("graph:read",)``.
    :param aliases: old names still answered, each with fixed arguments merged over the call's (a renamed or
        merged tool: ``{"market_offline_search": {"offline": True}}``); never listed in ``tools/list``.
    """

    name: str
    description: str
    input_model: type[BaseModel]
    handler: Handler
    output_model: type[BaseModel] | None = None
    title: str | None = None
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = False
    timeout: float | None = None
    scopes: tuple[str, ...] = ()
    plugin: str = ""
    meta: Mapping[str, Any] | None = None
    aliases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def with_plugin(self, plugin: str) -> ToolSpec:
        """A copy stamped with the plugin that registered it."""
        return replace(self, plugin=plugin)

    @property
    def deferred(self) -> bool:
        """Listed from a kept listing, its module not imported yet (:mod:`ggen_mcp_core.tool_refs`)."""
        return False

    def loaded(self) -> ToolSpec:
        """The spec with its models and handler imported (itself; a deferred spec imports its module)."""
        return self

    def argument_names(self) -> set[str]:
        """The input model's field names."""
        return set(self.input_model.model_fields) if isinstance(self.input_model, type) else set()

    def kept_schemas(self) -> tuple[tuple[str, dict[str, Any]], ...] | None:
        """A deferred spec's kept input and output schemas (None: generate them from the models)."""
        return None

    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the arguments, compacted for the model (:mod:`ggen_mcp_core.compact_schema`)."""
        return copy.deepcopy(_compact_input_schema(self.input_model))

    def mcp_param_schema(self) -> Mapping[str, Any] | None:
        """What the SDK's per-request Mcp-Param header check (2026-07-28) reads: the cached input schema when
        it declares an ``x-mcp-header`` anywhere, else None. A schema without one has no header to check, so
        the answer is the same, without the SDK walking the whole schema on every call (a tenth of the
        host's part of a call)."""
        return _header_schema(self.input_model)

    def output_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of the structured result, when the tool has one."""
        return _schema(self.output_model) if self.output_model is not None else None

    def annotations(self) -> types.ToolAnnotations:
        """The MCP annotations, derived honestly from the flags."""
        import mcp_types as types

        return types.ToolAnnotations(
            title=self.title,
            read_only_hint=self.read_only,
            destructive_hint=False if self.read_only else self.destructive,
            idempotent_hint=self.idempotent or self.read_only,
            open_world_hint=self.open_world,
        )

    def to_mcp(self) -> types.Tool:
        """The ``tools/list`` entry."""
        import mcp_types as types

        extra: dict[str, Any] = {"_meta": dict(self.meta)} if self.meta else {}
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_schema(),
            output_schema=self.output_schema(),
            annotations=self.annotations(),
            **extra,
        )


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema as an object schema: generated once per model class (tools/list and the
    2026-07-28 per-call Mcp-Param check ask for it on every request), a private copy for each caller."""
    return copy.deepcopy(_generated_schema(model))


_GENERATED: dict[type[BaseModel], dict[str, Any]] = {}


def _generated_schema(model: type[BaseModel], kept: ToolSchemaCache | None = None) -> dict[str, Any]:
    """Generated once per model class and process; ``kept``: the schemas of earlier starts (the host's
    cache directory), looked up before generating and given what is generated."""
    schema = _GENERATED.get(model)
    if schema is None:
        schema = kept.get(model) if kept is not None else None
        if schema is None:
            from ggen_mcp_core.schema_titles import without_generated_titles

            schema = without_generated_titles(model.model_json_schema(), model.__name__)
            schema.setdefault("type", "object")
            if kept is not None:
                kept.put(model, schema)
        schema = _GENERATED.setdefault(model, schema)
    return schema


def _writes_its_own_schema(model: type[BaseModel]) -> bool:
    """The model overrides ``model_json_schema``: its schema is the author's contract, not pydantic's output."""
    from pydantic import BaseModel

    own = getattr(model.model_json_schema, "__func__", None)
    return own is not None and own is not getattr(BaseModel.model_json_schema, "__func__", None)


@functools.cache
def _compact_input_schema(model: type[BaseModel]) -> dict[str, Any]:
    from ggen_mcp_core.compact_schema import compact_schema

    schema = copy.deepcopy(_generated_schema(model))
    if _writes_its_own_schema(model):
        return schema  # an author-written schema (e.g. JSON Schema 2020-12 keywords) is published as written
    compact_schema(schema)
    for definition in (schema.get("$defs") or {}).values():
        if isinstance(definition, dict):
            compact_schema(definition)
    return schema


@functools.cache
def _header_schema(model: type[BaseModel]) -> Mapping[str, Any] | None:
    schema = _compact_input_schema(model)
    return schema if _names_key(schema, X_MCP_HEADER) else None


X_MCP_HEADER = "x-mcp-header"
"""The JSON Schema keyword of a 2026-07-28 tool argument mirrored in an ``Mcp-Param-*`` header."""


def _names_key(value: Any, key: str) -> bool:
    """Whether ``key`` is a key of any object anywhere in a JSON value (a conservative test: the SDK's own
    check decides what an annotation found this way means)."""
    if isinstance(value, dict):
        return key in value or any(_names_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(_names_key(item, key) for item in value)
    return False


def check_tool(
    spec: ToolSpec,
    prefixes: Sequence[str],
    verdicts: SchemaVerdicts | None = None,
    kept: ToolSchemaCache | None = None,
) -> list[str]:
    """Problems that keep a tool from being registered (empty when it is fine); ``verdicts``: the schemas
    already known valid (the host's, kept in its cache directory), else this process's; ``kept``: the
    schemas generated by earlier starts (the host's cache directory)."""
    problems = []
    if not TOOL_NAME.match(spec.name):
        problems.append(f"tool name {spec.name!r} breaks the MCP tool-name rules (1-128 of A-Z a-z 0-9 _ - .)")
    if prefixes and not any(spec.name.startswith(p) for p in prefixes):
        problems.append(f"tool {spec.name!r} does not start with a prefix the plugin owns ({', '.join(prefixes)})")
    if not spec.description.strip():
        problems.append(f"tool {spec.name!r} has an empty description")
    kept_schemas = spec.kept_schemas()
    if kept_schemas is not None:  # a deferred spec: its kept schemas, its models and handler checked when kept
        for label, schema in kept_schemas:
            found = _object_schema_problems(schema, verdicts or _PROCESS_VERDICTS)
            problems += [f"tool {spec.name!r}: {label} {problem}" for problem in found]
    else:
        not_a_model = _model_type_problem(spec)
        if not_a_model:
            return [*problems, not_a_model]
        problems += _model_problems(spec, verdicts, kept)
    if spec.timeout is not None and spec.timeout <= 0:
        problems.append(f"tool {spec.name!r}: timeout must be positive")
    return problems + alias_problems(spec, prefixes)


def _model_type_problem(spec: ToolSpec) -> str | None:
    if not (isinstance(spec.input_model, type) and issubclass(spec.input_model, BaseModel)):
        return f"tool {spec.name!r}: input_model must be a pydantic model class"
    if spec.output_model is not None and not issubclass(spec.output_model, BaseModel):
        return f"tool {spec.name!r}: output_model must be a pydantic model class"
    return None


def _model_problems(spec: ToolSpec, verdicts: SchemaVerdicts | None, kept: ToolSchemaCache | None) -> list[str]:
    """Problems of a spec's handler and models (their schemas against the metaschema)."""
    problems = []
    if not callable(spec.handler):
        problems.append(f"tool {spec.name!r}: handler is not callable")
    for label, model in (("input", spec.input_model), ("output", spec.output_model)):
        if model is not None:
            found = _schema_problems(model, verdicts or _PROCESS_VERDICTS, kept)
            problems += [f"tool {spec.name!r}: {label} {problem}" for problem in found]
    return problems


def alias_problems(spec: ToolSpec, prefixes: Sequence[str]) -> list[str]:
    """Problems of a tool's aliases on their own: name rules, the plugin's prefixes, fixed arguments that are
    fields of the input model (collisions with other names are the host's check)."""
    problems = []
    fields = spec.argument_names()
    for alias, fixed in spec.aliases.items():
        if not TOOL_NAME.match(alias):
            problems.append(f"alias {alias!r} of tool {spec.name!r} breaks the MCP tool-name rules")
        if prefixes and not any(alias.startswith(p) for p in prefixes):
            problems.append(
                f"alias {alias!r} of tool {spec.name!r} does not start with a prefix the plugin owns "
                f"({', '.join(prefixes)})"
            )
        if alias == spec.name:
            problems.append(f"alias {alias!r} of tool {spec.name!r} is the tool's own name")
        unknown = sorted(set(fixed) - fields)
        if unknown:
            problems.append(
                f"alias {alias!r} of tool {spec.name!r} fixes arguments the tool does not take: {', '.join(unknown)}"
            )
    return problems


_PROCESS_VERDICTS = SchemaVerdicts()  # without a host's file: remembered for this process only


def _schema_problems(
    model: type[BaseModel], verdicts: SchemaVerdicts, kept: ToolSchemaCache | None = None
) -> tuple[str, ...]:
    """Whether a model's JSON Schema is a valid object schema (the metaschema check remembered by digest)."""
    return _object_schema_problems(_generated_schema(model, kept), verdicts)


def _object_schema_problems(schema: dict[str, Any], verdicts: SchemaVerdicts) -> tuple[str, ...]:
    problems = verdicts.problems(schema)
    if schema.get("type") != "object":
        problems += ("schema must describe an object",)
    return problems


def validate_arguments(spec: ToolSpec, arguments: Mapping[str, Any] | None) -> BaseModel:
    """Parse arguments into the input model, or raise ``ToolError`` naming each bad field."""
    try:
        return spec.input_model.model_validate(dict(arguments or {}))
    except ValidationError as exc:
        raise ToolError(f"invalid arguments for {spec.name}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """One readable line per field: ``'limit': Input should be less than or equal to 1000``."""
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(p) for p in error["loc"]) or "(arguments)"
        parts.append(f"{location!r}: {error['msg']}")
    return "; ".join(parts)


def shape_result(
    spec: ToolSpec, value: Any, max_bytes: int | None = None, log: structlog.typing.FilteringBoundLogger | None = None
) -> types.CallToolResult:
    """Turn what a handler returned into the MCP result (structured content plus the same JSON, compact, as
    a text block).

    The value must be JSON data (see :mod:`ggen_mcp_core.result_budget`): anything else, a result that does
    not match the tool's output model, or one pydantic cannot write, is an ``isError`` result naming the tool,
    the type and where it is, logged (on ``log``, bound to the call) for the pack's author.
    With ``max_bytes`` (``limits.max_result_bytes``) the size is bounded while the result is encoded: a value
    whose JSON would pass the cap is refused before it is written out, a value within it is dumped once;
    plain text over the cap is cut to it, flagged as truncated.
    """
    try:
        return _shaped(spec, value, max_bytes)
    except ResultRefused as exc:
        message = _refusal(spec, exc, max_bytes)
        if exc.size is None and log is not None:
            log.error("tool result refused", reason=message, returned=type(value).__name__)
        return error_result(message)


def _shaped(spec: ToolSpec, value: Any, max_bytes: int | None) -> types.CallToolResult:
    import mcp_types as types

    if isinstance(value, types.CallToolResult | ToolResult):
        result = value if isinstance(value, types.CallToolResult) else value.to_mcp()
        if result.structured_content is not None:
            _bound(result.structured_content, max_bytes, model_input=False)
        return cap_result(spec, result, max_bytes) if max_bytes is not None else result
    if isinstance(value, str):
        result = types.CallToolResult(content=[types.TextContent(type="text", text=value)])
        return cap_result(spec, result, max_bytes) if max_bytes is not None else result
    _bound(value, max_bytes, model_input=spec.output_model is not None)
    data = _dumped(spec, value)
    text = _json_text(data, max_bytes)
    structured = data if spec.output_model is not None else None
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)


def _bound(value: Any, max_bytes: int | None, *, model_input: bool) -> None:
    """Bound the size and check the value is JSON data, in one walk (``max_bytes`` None: no size cap)."""
    json_floor(value, _NO_CAP if max_bytes is None else max_bytes, strict=True, model_input=model_input)


_NO_CAP = 2**63 - 1


def _dumped(spec: ToolSpec, value: Any) -> Any:
    """The value as JSON-ready data: through the output model when the tool has one."""
    model: BaseModel | None = value if isinstance(value, BaseModel) else None
    if spec.output_model is not None and not isinstance(value, spec.output_model):
        try:
            model = spec.output_model.model_validate(value)
        except ValidationError as exc:
            name = spec.output_model.__name__
            raise ResultRefused(f"does not match its output model {name}: {describe_validation_error(exc)}") from None
    if model is None:
        return value
    try:
        return model.model_dump(mode="json", by_alias=True)
    except pydantic_core.PydanticSerializationError as exc:
        raise ResultRefused(f"cannot be written as JSON ({exc})") from None


def _json_text(data: Any, max_bytes: int | None) -> str:
    """Compact JSON (as ``json.dumps(separators=(",", ":"), ensure_ascii=False)`` writes it: the fewest bytes
    and tokens for the client's model), encoded once in pydantic's Rust serializer with no fallback (nothing
    is written as its ``str()``); its byte length is checked against the cap on the bytes themselves."""
    try:
        raw = pydantic_core.to_json(data)
    except (pydantic_core.PydanticSerializationError, ValueError) as exc:
        raise ResultRefused(f"cannot be written as JSON ({exc})") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise ResultRefused("over the cap", size=len(raw), exact=True)
    return raw.decode()


def _refusal(spec: ToolSpec, exc: ResultRefused, max_bytes: int | None) -> str:
    if exc.size is None:
        return f"the result of {spec.name} {exc}"
    return (
        f"the result of {spec.name} is {'' if exc.exact else 'at least '}{exc.size} bytes, over the "
        f"{max_bytes}-byte cap (limits.max_result_bytes); ask for less (a smaller limit, a narrower query, "
        "or an output file)"
    )


def cap_result(spec: ToolSpec, result: types.CallToolResult, max_bytes: int) -> types.CallToolResult:
    """Refuse a structured result over ``max_bytes``; cut text-only results to it, flagged as truncated."""
    size = sum(len((getattr(block, "text", "") or "").encode()) for block in result.content)
    if size <= max_bytes:
        return result
    if result.structured_content is not None:
        return error_result(
            f"the result of {spec.name} is {size} bytes, over the {max_bytes}-byte cap (limits.max_result_bytes); "
            "ask for less (a smaller limit, a narrower query, or an output file)"
        )
    import mcp_types as types

    kept, remaining = [], max_bytes
    for block in result.content:
        text = getattr(block, "text", None)
        if text is None:
            kept.append(block)
            continue
        data = text.encode()
        kept.append(types.TextContent(type="text", text=data[: max(0, remaining)].decode(errors="ignore")))
        remaining -= len(data)
    kept.append(types.TextContent(type="text", text=f"[truncated: {size - max_bytes} bytes over the cap]"))
    flag: dict[str, Any] = {"_meta": {"truncated": True}}
    return types.CallToolResult(content=kept, is_error=result.is_error, **flag)


def error_result(message: str) -> types.CallToolResult:
    """An ``isError`` result carrying a message a person can act on."""
    import mcp_types as types

    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


@dataclass
class ToolContext(Generic[SettingsT]):
    """What a handler gets besides its arguments.

    ``workspace`` (sandboxed paths, atomic writes), ``settings`` (the validated ``SETTINGS_SECTION`` model of
    the pack whose code runs; None when it declares none; annotate ``ctx: ToolContext[MySettings]``; the
    server's own settings are ``host.settings``), ``principal``, ``log`` (structlog bound to the call: tool,
    plugin, call id, request id, principal), ``progress()``, ``client_log()``, ``hook()`` for lifecycle events,
    ``run_sync()`` for blocking work, ``call_tool()`` to call another tool through the host's call pipeline,
    ``sample()`` (the client's model) and ``elicit()`` (ask the user) in both protocol eras, and ``session``
    (the MCP session; None outside MCP).

    ``call_id`` is the server-made id of this call (every log and audit line of the call carries it);
    ``request_id`` the client's JSON-RPC id, which is unique only within one session; ``parent`` the context
    of the call that made this one through ``call_tool`` (None for a client's call).
    """

    host: PluginHost
    settings: SettingsT
    workspace: Workspace
    principal: Principal
    log: structlog.typing.FilteringBoundLogger
    tool: ToolSpec | None = None
    request_id: str | None = None
    session: Any = None
    mcp_context: Any = None
    call_id: str | None = None
    parent: ToolContext | None = field(default=None, repr=False)
    request: RequestInfo | None = field(default=None, repr=False)
    _held_shares: frozenset[str] = field(default=frozenset(), repr=False)  # plugins whose share slot the chain holds
    _abandoned: list[str] = field(default_factory=list, repr=False)  # run_sync work a timeout left running
    _exchange: Exchange | None = field(default=None, repr=False)  # 2026-07-28 answers of earlier rounds

    @property
    def parent_call_id(self) -> str | None:
        """The call id of the call that made this one through ``call_tool``; None for a client's call."""
        return self.parent.call_id if self.parent is not None else None

    @property
    def depth(self) -> int:
        """0 for a client's call, 1 for a tool it called through ``call_tool``, and so on."""
        return 0 if self.parent is None else self.parent.depth + 1

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress to the client (a no-op when it asked for none)."""
        if self.session is not None:
            await self.session.report_progress(progress, total, message)

    async def client_log(self, level: LogLevel, data: Any, logger: str | None = None) -> None:
        """Send a log message to the client (2025-era sessions; opt-in per request on 2026-07-28)."""
        if self.session is None or not self.host.client_log_enabled(level, self.session):
            return
        import warnings

        from mcp.shared.exceptions import MCPDeprecationWarning

        with warnings.catch_warnings():
            # logging is deprecated on 2026-07-28 and still part of 2025-11-25, where client_log_enabled lets it through
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await self.session.send_log_message(
                level=level,
                data=data,
                logger=logger or (self.tool.plugin if self.tool else None),
                related_request_id=self.request_id,
            )

    async def hook(
        self,
        name: LifecycleName,
        *,
        template: str | None = None,
        files: Sequence[str] = (),
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Emit a lifecycle event to every ``ggen_lifecycle`` listener; a listener's exception aborts."""
        event = LifecycleEvent(name=name, template=template, files=tuple(files), data=dict(data or {}))
        await self.host.emit_lifecycle(event, self)

    async def notify_list_changed(self, kind: Literal["tools", "resources", "prompts"] = "tools") -> None:
        """Tell connected clients that the tools (or resources, prompts) list changed."""
        from ggen_mcp_core.server import notify_list_changed

        await notify_list_changed(self, kind)

    async def resource_changed(self, *uris: str) -> None:
        """Tell clients subscribed to these resource URIs that they changed (``notifications/resources/updated``;
        2025-11-25 ``resources/subscribe`` and 2026-07-28 ``subscriptions/listen``). Call it after a write
        succeeded, with every URI whose content it changed; a no-op when no server runs."""
        events = self.host.client_events
        if events is not None:
            await events.resource_changed(*uris)

    async def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None) -> dict[str, Any] | str:
        """Call another tool through the host's one call pipeline, as this call's principal.

        The nested call is authorized for the same principal and scopes, counts against its rate limit,
        takes a slot of the callee's plugin share (never one this call already holds: it runs in its
        caller's server-wide slot), runs under the callee's timeout inside the caller's, gets its own trace
        span, result cap, call id (``parent_call_id`` = this call's), audit line, metrics and
        ``ggen_on_tool_call`` event. Nesting deeper than :data:`ggen_mcp_core.calls.MAX_CALL_DEPTH` is refused.

        :returns: the callee's structured result (a dict) when it has an output model, else its text.
        :raises ToolError: with the callee's error text when its result is ``isError`` (refused, invalid,
            timed out, failed) or when the tool does not exist.
        """
        from ggen_mcp_core.calls import nested_call

        result = await nested_call(self, name, arguments)
        text = "\n".join(getattr(block, "text", "") or "" for block in result.content)
        if result.is_error:
            raise ToolError(f"{name} failed: {text}")
        if result.structured_content is not None:
            return dict(result.structured_content)
        return text

    async def run_sync(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking work (RDF, rendering, archives) in a worker thread, off the event loop.

        When the call times out or is cancelled while ``func`` runs, the call ends and gives back its call
        slot, but a thread cannot be stopped from outside: ``func`` keeps running in it until it returns
        (its open files, memory and any write it is about to make stay live). The call's timeout message
        says so, the thread is counted in ``ggen_mcp_abandoned_worker_threads`` until it returns, and the log
        has a warning when it is abandoned and a line when it finishes. Pass work that checks a deadline or
        a flag of its own when that matters.
        """
        from ggen_mcp_core.worker_threads import run_abandonable

        return await run_abandonable(self, func, *args)

    def exchange(self) -> Exchange:
        """This client call's conversation with the client across 2026-07-28 rounds (one per call chain)."""
        from ggen_mcp_core.client_requests import Exchange

        root: ToolContext = self
        while root.parent is not None:
            root = root.parent
        if root._exchange is None:
            root._exchange = Exchange.from_params(getattr(root.mcp_context, "params", None))
        return root._exchange

    @property
    def started_at(self) -> float:
        """Wall-clock time (epoch seconds) the client's call began; on 2026-07-28, its first round."""
        return self.exchange().started

    async def sample(
        self,
        prompt: str | Sequence[types.SamplingMessage],
        *,
        max_tokens: int,
        system_prompt: str | None = None,
        temperature: float | None = None,
        model_hints: Sequence[str] = (),
        wait_seconds: float | None = None,
        max_chars: int | None = None,
    ) -> Sampled:
        """Ask the client's model (MCP sampling) and return its text answer.

        2025-11-25: a ``sampling/createMessage`` request during the call, waiting at most ``wait_seconds``.
        2026-07-28: the call ends with an ``InputRequiredResult``; the client answers and retries, and the
        handler runs again from the start, getting this answer from the state (code before a ``sample`` must
        be safe to run again). :raises ClientCapabilityMissing: the client did not declare ``sampling`` (a
        ``ToolError`` naming it). :raises ToolError: ``max_tokens`` outside 1..32000, no answer within
        ``wait_seconds`` (2025-11-25; default 120), or an answer longer than ``max_chars`` characters (256 KiB).
        """
        import mcp_types as types

        from ggen_mcp_core import client_requests as cr

        tool = self.tool.name if self.tool else "this call"
        if not 1 <= max_tokens <= cr.MAX_SAMPLE_TOKENS:
            raise ToolError(f"{tool} asked for {max_tokens} tokens; a sampling request takes 1-{cr.MAX_SAMPLE_TOKENS}")
        cr.require_back_channel(self.session, tool, "sampling")
        cr.require_sampling(self.session, tool)
        preferences = (
            types.ModelPreferences(hints=[types.ModelHint(name=n) for n in model_hints]) if model_hints else None
        )
        params = types.CreateMessageRequestParams(
            messages=cr.sampling_messages(prompt if isinstance(prompt, str) else list(prompt)),
            max_tokens=max_tokens,
            system_prompt=system_prompt,
            temperature=temperature,
            model_preferences=preferences,
        )
        limit = max_chars or cr.DEFAULT_MAX_RESPONSE_CHARS
        if cr.uses_input_required(self.session):
            data = self.exchange().answer(types.CreateMessageRequest(params=params))
            result = cr.parse_answer(types.CreateMessageResult, data, tool, "sampling")
        else:
            result = await cr.sample_via_session(
                self.session,
                params,
                related_request_id=self.request_id,
                wait_seconds=wait_seconds or cr.DEFAULT_TIMEOUT,
                tool=tool,
            )
        return cr.sampled_from(result, limit, tool)

    async def elicit(
        self,
        message: str,
        schema: type[BaseModel] | Mapping[str, Any],
        *,
        wait_seconds: float | None = None,
        max_chars: int | None = None,
    ) -> Elicited:
        """Ask the user to fill a form (MCP form elicitation); ``schema`` is a flat pydantic model or a JSON
        Schema of primitive properties. Both eras as :meth:`sample`; returns the action (accept, decline,
        cancel) and, when accepted, the content. :raises ClientCapabilityMissing: no ``elicitation``."""
        import mcp_types as types

        from ggen_mcp_core import client_requests as cr

        tool = self.tool.name if self.tool else "this call"
        cr.require_back_channel(self.session, tool, "elicitation")
        cr.require_elicitation(self.session, tool)
        requested = dict(schema) if isinstance(schema, Mapping) else _elicitation_schema(schema)
        limit = max_chars or cr.DEFAULT_MAX_RESPONSE_CHARS
        if cr.uses_input_required(self.session):
            request = types.ElicitRequest(
                params=types.ElicitRequestFormParams(message=message, requested_schema=requested)
            )
            result = cr.parse_answer(types.ElicitResult, self.exchange().answer(request), tool, "elicitation")
        else:
            result = await cr.elicit_via_session(
                self.session,
                message,
                requested,
                related_request_id=self.request_id,
                wait_seconds=wait_seconds or cr.DEFAULT_TIMEOUT,
                tool=tool,
            )
        return cr.elicited_from(result, limit, tool)


def _elicitation_schema(model: type[BaseModel]) -> dict[str, Any]:
    from mcp.server.elicitation import render_elicitation_schema

    return dict(render_elicitation_schema(model))
