"""The plugin contract: every hook a ggen-mcp plugin may implement.

Each hook's docstring says what to return, when the host calls it, what happens when it fails, and
gives an example. ``docs/plugins.md`` documents each one again with a runnable example; the test
suite fails when a hook here is undocumented there or untested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterable, Mapping
    from pathlib import Path

    import click

    from ggen_mcp_core.config import Settings
    from ggen_mcp_core.events import LifecycleEvent, RequestInfo, ToolCallEvent
    from ggen_mcp_core.principal import Principal
    from ggen_mcp_core.resources import PromptSpec, ResourceSpec, ResourceTemplateSpec
    from ggen_mcp_core.tool_refs import ToolRef
    from ggen_mcp_core.tools import ToolContext, ToolSpec

PROJECT_NAME = "ggen_mcp"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def ggen_register_tools(config: Settings, settings: Any) -> Iterable[ToolSpec | ToolRef] | None:
    """Return the tools this plugin adds.

    :param config: the server's settings.
    :param settings: this plugin's own settings (its ``SETTINGS_SECTION`` model, validated by the host; None
        when it declares none).
    :returns: a list of :class:`ToolSpec` or :class:`ToolRef` (``ToolRef("demo_echo", "demo.tools.echo:spec")``:
        the module is imported on the tool's first use once its listing is kept, docs/plugins.md); every name
        starts with a prefix the plugin owns, never a first-party one (``graph_``, ``template_``, ``project_``,
        ``market_``, ``hook_``, ``ai_``) unless the plugin is that distribution; every handler is ``async def``.

    Called once per plugin at start-up, alone for that plugin. Failure policy: an exception, or any
    invalid tool (bad name, empty description, duplicate, invalid schema, sync handler, a first-party
    prefix) unloads that plugin whole with status ``failed_register`` and a ``PluginRegistrationError``
    naming the tool (and both owners for a conflict); the other plugins load.

    Example::

        @hookimpl
        def ggen_register_tools(config):
            return [ToolSpec(name="demo_echo", description="Echo text.", input_model=EchoIn,
                             output_model=EchoOut, handler=echo, read_only=True)]
    """


@hookspec
def ggen_register_resources(config: Settings, settings: Any) -> Iterable[ResourceSpec | ResourceTemplateSpec] | None:
    """Return the resources and resource templates this plugin serves.

    :param config: the server's settings.
    :param settings: this plugin's own settings (its ``SETTINGS_SECTION`` model, validated by the host; None
        when it declares none).
    :returns: a list of :class:`ResourceSpec` (fixed URI) and :class:`ResourceTemplateSpec` (RFC 6570).

    Called once per plugin at start-up. Failure policy: as ``ggen_register_tools`` (the plugin is unloaded).

    Example::

        @hookimpl
        def ggen_register_resources(config):
            return [ResourceSpec(uri="demo://hello", name="hello", description="A greeting.",
                                 mime_type="text/plain", reader=lambda ctx: "hello")]
    """


@hookspec
def ggen_register_prompts(config: Settings, settings: Any) -> Iterable[PromptSpec] | None:
    """Return the prompts this plugin offers.

    :param config: the server's settings.
    :param settings: this plugin's own settings (its ``SETTINGS_SECTION`` model, validated by the host; None
        when it declares none).
    :returns: a list of :class:`PromptSpec`.

    Called once per plugin at start-up. Failure policy: as ``ggen_register_tools`` (the plugin is unloaded).

    Example::

        @hookimpl
        def ggen_register_prompts(config):
            return [PromptSpec(name="demo_explain", description="Explain a file.",
                               arguments=[PromptArgument(name="path", required=True)],
                               render=lambda args: f"Explain {args['path']}")]
    """


@hookspec
def ggen_validate_input(
    tool: ToolSpec, arguments: Mapping[str, Any], context: ToolContext
) -> Iterable[str] | Awaitable[Iterable[str] | None] | None:
    """Return problems with a call's arguments, or None when there are none.

    :param tool: the tool being called.
    :param arguments: the arguments, already valid against the tool's input model (as a dict).
    :param context: the call's context (principal, workspace); ``context.settings`` is this plugin's own.
    :returns: a list of human-readable problems; any problem refuses the call with ``isError``.

    Called for every tool call after the host's own schema validation, before the handler.
    Failure policy: fails closed (an exception in a validator refuses the call).

    Example::

        @hookimpl
        def ggen_validate_input(tool, arguments, context):
            if tool.name == "graph_query" and "DROP" in arguments.get("sparql", ""):
                return ["graph_query is read-only"]
    """


@hookspec
def ggen_authenticate(request: RequestInfo) -> Principal | Awaitable[Principal | None] | None:
    """Return the principal who made this request, or None when this plugin cannot tell.

    :param request: transport, headers and client address of the incoming request.
    :returns: a :class:`Principal`, None, or an awaitable of either.

    Called once per tool call (and per HTTP request when auth is on). The first non-None result wins;
    when all return None the caller is anonymous. Failure policy: fails closed (an exception refuses
    the request).

    Example::

        @hookimpl
        def ggen_authenticate(request):
            if request.headers.get("x-demo-user"):
                return Principal(name=request.headers["x-demo-user"], scopes=frozenset({"demo:read"}))
    """


@hookspec
def ggen_authorize(
    principal: Principal, tool: ToolSpec, arguments: Mapping[str, Any] | None
) -> bool | Awaitable[bool | None] | None:
    """Return False to deny, True to allow, or None to abstain for this principal and tool.

    :param principal: who is calling (``Principal.anonymous()`` without auth).
    :param tool: the tool being called or listed.
    :param arguments: the call's arguments, or None when the host asks for ``tools/list`` filtering.
    :returns: True, False, None or an awaitable of one.

    Called for every call and every ``tools/list`` entry. Any False denies; otherwise any True allows;
    otherwise the configured default applies. Failure policy: fails closed (an exception denies).

    Example::

        @hookimpl
        def ggen_authorize(principal, tool, arguments):
            if tool.destructive and not principal.has_scopes(("admin",)):
                return False
    """


@hookspec
def ggen_on_tool_call(event: ToolCallEvent) -> None:
    """Observe a finished tool call (metrics, audit, tracing); return nothing.

    :param event: tool, plugin, principal, duration, outcome and error type of the call; ``call_id`` (made
        by the server, unique per call), ``request_id`` (the client's JSON-RPC id, unique only per session)
        and ``parent_call_id`` (the calling tool's call id when a handler called it through
        ``ctx.call_tool``, else None).

    Called after every tool call, successful or not, nested calls included (each its own event).
    Failure policy: fails open (an exception is logged and ignored; the call's result is unchanged).

    Example::

        @hookimpl
        def ggen_on_tool_call(event):
            SLOW_CALLS.append(event.tool) if event.duration > 1.0 else None
    """


@hookspec
def ggen_lifecycle(event: LifecycleEvent, context: ToolContext) -> Awaitable[None] | None:
    """React to a generation lifecycle event; raise to abort the generation.

    :param event: ``event.name`` is ``pre_gen``, ``post_gen``, ``pre_apply`` or ``post_apply``;
        ``event.template``, ``event.files`` and ``event.data`` carry the details.
    :param context: the context of the tool call that is generating (principal, workspace);
        ``context.settings`` is this plugin's own settings, not the generating tool's.

    Emitted by the template pack through ``context.hook(...)``; the hook pack listens. Failure policy:
    an exception aborts the generation and the tool returns ``isError`` naming the hook.

    Example::

        @hookimpl
        def ggen_lifecycle(event, context):
            if event.name == "pre_apply" and any(f.endswith(".secret") for f in event.files):
                raise ToolError("refusing to write .secret files")
    """


@hookspec(firstresult=True)
def ggen_resolve_template(ref: str, workspace: Path) -> Path | None:
    """Return the local path of a template reference such as ``pack-id:path``, or None.

    :param ref: the reference the user gave.
    :param workspace: the workspace root.
    :returns: an absolute path inside the workspace, or None when this plugin does not know the ref.

    Called by the template pack for references it cannot resolve as workspace paths. The first
    non-None result wins. Failure policy: an exception is logged and treated as None.

    Example::

        @hookimpl
        def ggen_resolve_template(ref, workspace):
            pack, _, path = ref.partition(":")
            candidate = workspace / ".ggen" / "packs" / pack / "current" / path
            return candidate if candidate.is_file() else None
    """


@hookspec
def ggen_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``ggen-mcp`` command line.

    :param cli: the root ``click`` group; add commands or groups to it.

    Called when the command line starts. Failure policy: a failure drops that plugin's commands only
    and prints one line to stderr. A command that would replace a built-in command (``serve``, ``config``,
    ...) or another plugin's command is refused, the one already there stays, and one stderr line (and
    ``command_errors`` in ``ggen-mcp plugins --json``) names both owners.

    Example::

        @hookimpl
        def ggen_register_commands(cli):
            @cli.command(name="demo-hello")
            def hello():
                click.echo("hello")
    """


@hookspec
def ggen_readiness(config: Settings, settings: Any) -> str | Awaitable[str | None] | None:
    """Return why this plugin cannot serve yet (e.g. "graph store did not open"), or None when it can.

    :param config: the server's settings.
    :param settings: this plugin's own settings (its ``SETTINGS_SECTION`` model, validated by the host; None
        when it declares none).
    :returns: a short reason, None, or an awaitable of either.

    Called by ``/readyz``, bounded to 2 s (no answer by then counts as not ready) and cached for a second
    with the other probes. Gate on what every call of the plugin needs (the graph pack: its store, embedded
    or remote), never on a remote dependency whose absence only degrades some tools. Failure policy: an
    exception counts as not ready, with its type.

    Example::

        @hookimpl
        async def ggen_readiness(config):
            if not await store_is_open(config):
                return "graph store is not open"
    """


@hookspec
def ggen_shutdown(config: Settings, settings: Any) -> Awaitable[None] | None:
    """Release what this plugin holds (worker processes, connections, files) as the server stops.

    :param config: the server's settings.
    :param settings: this plugin's own settings (its ``SETTINGS_SECTION`` model, validated by the host; None
        when it declares none).

    Called once when the HTTP server finishes draining, when a stdio session ends, and after ``ggen-mcp
    call``. A plain function runs in a worker thread (it may block), a coroutine on the event loop.
    Failure policy: an exception is logged and the other plugins still shut down.

    Example::

        @hookimpl
        def ggen_shutdown(config):
            WORKERS.close_all()
    """
