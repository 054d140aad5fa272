"""The MCP server: the SDK's low-level ``Server`` over the plugin host's registries.

Tools, resources and prompts are looked up in the host at request time. Both protocol eras are served by
the same server: 2025-11-25 sessions (``initialize``) and 2026-07-28 stateless requests.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import mcp_types as types
from mcp.server import NotificationOptions, Server, ServerRequestContext
from mcp.server.models import InitializationOptions
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.subscriptions import ListenHandler
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from ggen_mcp_core import __version__
from ggen_mcp_core.calls import UnknownTool, call_tool, make_context
from ggen_mcp_core.client_events import ClientEvents, ListKind, SeenConnections
from ggen_mcp_core.completion import completion_result, find_completer, suggested
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.pagination import page
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.prompts import missing_tools, rendered_prompt
from ggen_mcp_core.resources import maybe_await, resource_contents
from ggen_mcp_core.tools import ToolContext

INSTRUCTIONS = (
    "ggen-mcp turns RDF ontologies into code. Load RDF with graph_load, query it with graph_query, "
    "render templates with template_render and whole projects with project_gen; find template packs "
    "with market_search. The resource ggen://plugins lists which tool families are loaded."
)
DYNAMIC_INSTRUCTIONS = (
    " Tools come in toolsets that start disabled: call toolset_list, then toolset_enable with the toolset you need."
)


def request_state_security(host: PluginHost) -> RequestStateSecurity:
    """The key sealing requestState: ``http.request_state_key`` when set (shared by every replica, so a round
    may come back through any of them), else one generated for this process."""
    key = host.settings.http.request_state_key
    if key is None:
        return RequestStateSecurity.ephemeral()
    return RequestStateSecurity(keys=[key.get_secret_value()])


class GgenServer(Server[Any]):
    """The low-level server with ``listChanged`` advertised on the 2025 handshake."""

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        options = notification_options or NotificationOptions(
            tools_changed=True, resources_changed=True, prompts_changed=True
        )
        return super().create_initialization_options(options, experimental_capabilities, extensions)


def request_info(ctx: ServerRequestContext[Any], transport: str) -> RequestInfo:
    """What the host knows of the request: transport, headers (decoded when first read) and client address."""
    request = ctx.request
    if request is not None and hasattr(request, "headers"):
        client = getattr(request, "client", None)
        return RequestInfo(
            transport="http",
            headers=ScopeHeaders(request.scope.get("headers") or ()),
            client_address=client.host if client else None,
            path=str(request.url.path),
            principal=request.scope.get("ggen.principal"),
        )
    return RequestInfo(transport=transport)  # type: ignore[arg-type]


class ScopeHeaders(Mapping[str, str]):
    """An HTTP request's headers by lower-case name (the last of repeated ones), decoded from the ASGI scope
    when first read: most calls never read them (no auth plugin, tracing off)."""

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._decoded: dict[str, str] | None = None

    def _headers(self) -> dict[str, str]:
        if self._decoded is None:
            self._decoded = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self._raw}
        return self._decoded

    def __getitem__(self, name: str) -> str:
        return self._headers()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers())

    def __len__(self) -> int:
        return len(self._headers())

    def __repr__(self) -> str:
        return f"ScopeHeaders({self._headers()!r})"


class Handlers:
    """The request handlers, bound to one plugin host."""

    def __init__(self, host: PluginHost, transport: str, events: ClientEvents) -> None:
        self.host = host
        self.transport = transport
        self.events = events
        self.page_size = host.settings.list_page_size

    async def _principal(self, ctx: ServerRequestContext[Any]) -> Any:
        info = request_info(ctx, self.transport)
        if info.principal is not None:
            return info.principal
        try:
            return await self.host.authenticate(info)
        except Exception as exc:
            raise MCPError(code=types.INVALID_REQUEST, message=f"authentication failed: {type(exc).__name__}") from exc

    async def _plugin_context(self, ctx: ServerRequestContext[Any], plugin: str) -> ToolContext:
        """The context a plugin's reader, prompt or completer gets: the caller's principal, its own settings."""
        principal = await self._principal(ctx)
        return self.host.context_for(plugin, make_context(self.host, principal, session=ctx.session, mcp_context=ctx))

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        principal = await self._principal(ctx)
        visible = [spec for spec in self.host.tools.values() if await self.host.authorize(principal, spec, None)]
        shown, after = page(visible, params, self.page_size)
        return types.ListToolsResult(tools=[spec.to_mcp() for spec in shown], next_cursor=after)

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        try:
            return await call_tool(
                self.host,
                params.name,
                params.arguments,
                request=request_info(ctx, self.transport),
                request_id=str(ctx.request_id) if ctx.request_id is not None else None,
                session=ctx.session,
                mcp_context=ctx,
            )
        except UnknownTool as exc:
            raise MCPError(code=types.INVALID_PARAMS, message=str(exc)) from None

    async def list_resources(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        shown, after = page(list(self.host.resources.values()), params, self.page_size)
        return types.ListResourcesResult(resources=[r.to_mcp() for r in shown], next_cursor=after)

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        shown, after = page(self.host.resource_templates, params, self.page_size)
        return types.ListResourceTemplatesResult(resource_templates=[t.to_mcp() for t in shown], next_cursor=after)

    async def read_resource(
        self, ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        principal = await self._principal(ctx)
        context = make_context(self.host, principal, session=ctx.session, mcp_context=ctx)
        resource = self.host.resources.get(uri)
        try:
            if resource is not None:
                value = await maybe_await(resource.reader(self.host.context_for(resource.plugin, context)))
                return types.ReadResourceResult(contents=resource_contents(uri, value, resource.mime_type))
            found = self.host.find_template(uri)
            if found is not None:
                template, variables = found
                value = await maybe_await(template.reader(self.host.context_for(template.plugin, context), **variables))
                return types.ReadResourceResult(contents=resource_contents(uri, value, template.mime_type))
        except MCPError:
            raise
        except Exception as exc:
            context.log.exception("resource read failed", uri=uri)
            raise MCPError(code=types.INTERNAL_ERROR, message=f"reading {uri} failed: {exc}") from None
        raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource: {uri}", data={"uri": uri})

    async def subscribe(
        self, ctx: ServerRequestContext[Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        uri = str(params.uri)
        if uri not in self.host.resources and self.host.find_template(uri) is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource: {uri}", data={"uri": uri})
        self.events.subscribe(ctx.session, uri)
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        self.events.unsubscribe(ctx.session, str(params.uri))
        return types.EmptyResult()

    async def list_prompts(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        served = [p for p in self.host.prompts.values() if not missing_tools(self.host, p)]
        shown, after = page(served, params, self.page_size)
        return types.ListPromptsResult(prompts=[p.to_mcp() for p in shown], next_cursor=after)

    async def get_prompt(
        self, ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        prompt = self.host.prompts.get(params.name)
        if prompt is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown prompt: {params.name}")
        absent = missing_tools(self.host, prompt)
        if absent:
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"prompt {prompt.name} needs tools this server does not offer now: {', '.join(absent)}",
            )
        arguments = dict(params.arguments or {})
        missing = [a.name for a in prompt.arguments if a.required and a.name not in arguments]
        if missing:
            raise MCPError(code=types.INVALID_PARAMS, message=f"prompt {prompt.name} needs: {', '.join(missing)}")
        context = await self._plugin_context(ctx, prompt.plugin)
        return await rendered_prompt(prompt, arguments, context)

    async def complete(
        self, ctx: ServerRequestContext[Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        found = find_completer(self.host, params)
        if found is None:
            return completion_result([])
        completer, plugin = found
        principal = await self._principal(ctx)
        context = self.host.context_for(
            plugin, make_context(self.host, principal, session=ctx.session, mcp_context=ctx)
        )
        chosen = dict(params.context.arguments or {}) if params.context else {}
        return completion_result(await suggested(completer, params.argument.value, context, chosen))

    async def set_level(self, ctx: ServerRequestContext[Any], params: types.SetLevelRequestParams) -> types.EmptyResult:
        self.host.set_client_log_level(ctx.session, params.level)
        return types.EmptyResult()


async def notify_list_changed(ctx: Any, kind: ListKind = "tools") -> None:
    """Tell clients a list changed: listen streams (2026-07-28) and every legacy connection (2025 era)."""
    events: ClientEvents | None = ctx.host.client_events
    if events is not None:
        await events.list_changed(kind)


def build_server(host: PluginHost, transport: str = "stdio") -> GgenServer:
    """The MCP server for a loaded plugin host."""
    if host.client_events is None:  # one per host: every server built on it (tests build several) shares it
        host.client_events = ClientEvents()
    events = host.client_events
    handlers = Handlers(host, transport, events)
    server = GgenServer(
        "ggen-mcp",
        version=__version__,
        title="ggen-mcp",
        description="Graph-driven code generation over MCP",
        instructions=INSTRUCTIONS + (DYNAMIC_INSTRUCTIONS if host.settings.discovery == "dynamic" else ""),
        get_tool_input_schema=lambda name: host.tools[name].mcp_param_schema() if name in host.tools else None,
        on_list_tools=handlers.list_tools,
        on_call_tool=handlers.call_tool,
        on_list_resources=handlers.list_resources,
        on_list_resource_templates=handlers.list_resource_templates,
        on_read_resource=handlers.read_resource,
        on_subscribe_resource=handlers.subscribe,
        on_unsubscribe_resource=handlers.unsubscribe,
        on_subscriptions_listen=ListenHandler(events.bus),
        on_list_prompts=handlers.list_prompts,
        on_get_prompt=handlers.get_prompt,
        on_completion=handlers.complete,
    )
    # 2026-07-28 multi-round-trip calls (ctx.sample/ctx.elicit): requestState is sealed on the way out and
    # verified on the way back (expiry, request binding, audience), so a client can neither read nor forge it
    server.middleware.append(RequestStateBoundary(request_state_security(host), default_audience="ggen-mcp"))
    with warnings.catch_warnings():
        # logging/setLevel is deprecated on 2026-07-28 and still part of 2025-11-25, which the server speaks
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        server.add_request_handler("logging/setLevel", types.SetLevelRequestParams, handlers.set_level)
    server.middleware.append(SeenConnections(events))
    return server
