"""The ``ggen-mcp`` command line: serve, plugins, tools, call, and whatever plugins add."""

from __future__ import annotations

# isort: off
import ggen_mcp_core.lean_start  # noqa: F401 - first of all: structlog without rich (issue 16)

# isort: on
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import anyio
import click
import structlog
from pydantic import BaseModel

from ggen_mcp_core import __version__
from ggen_mcp_core.config import ConfigError, HttpSettings, Settings
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.hardening import Hardening, make_non_dumpable
from ggen_mcp_core.launcher import end_startup
from ggen_mcp_core.observability import configure_logging, configure_tracing
from ggen_mcp_core.plugins import PluginHost, PluginLoadError
from ggen_mcp_core.startup_heap import freeze_startup_heap

EXIT_USAGE = 2


def _die(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"ggen-mcp: {message}", err=True)
    sys.exit(code)


def load_host(ctx: click.Context, *, serving: bool = False, **overrides: Any) -> PluginHost:
    """Settings from the file, environment and flags, then every plugin loaded; exits 2 on a bad setting.

    Full collections stay deferred (``launcher``) when ``serving``: the server ends the start-up itself when it
    freezes the start-up heap (``startup_heap``)."""
    options = ctx.find_root().params
    if overrides.get("workspace") is None:
        overrides["workspace"] = options.get("workspace")
    try:
        settings = Settings.load(options.get("config"), log_level=options.get("log_level"), **overrides)
    except ConfigError as exc:
        _die(str(exc))
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing()
    host = PluginHost(settings)
    try:
        host.load()
    except PluginLoadError as exc:
        _die(str(exc), code=1)
    except ConfigError as exc:
        _die(str(exc))
    if not serving:
        end_startup()
    return host


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="ggen-mcp")
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=None,
    help="Workspace directory (default: GGEN_MCP_WORKSPACE or the current directory).",
)
@click.option(
    "--config",
    "-c",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="GGEN_MCP_CONFIG",
    help="TOML settings file (environment and flags override it); env GGEN_MCP_CONFIG.",
)
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), help="stderr log level.")
def cli(workspace: Path | None, config: Path | None, log_level: str | None) -> None:
    """ggen-mcp: an MCP server for graph-driven code generation."""


@cli.command()
@click.option("--transport", "-t", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", help="HTTP bind address (default 127.0.0.1).")
@click.option("--port", type=int, help="HTTP port (default 8000).")
@click.option("--stateless", is_flag=True, default=None, help="No HTTP sessions (for replicas).")
@click.option("--json-response", is_flag=True, default=None, help="Plain JSON replies instead of SSE.")
@click.option("--read-only", is_flag=True, default=None, help="Unregister every tool that writes.")
@click.option("--toolsets", help="Comma list of tool families to serve, e.g. graph,template.")
@click.option(
    "--discovery",
    type=click.Choice(["all", "dynamic"]),
    help="`dynamic`: start with toolset_list and toolset_enable only (default `all`).",
)
@click.option("--allowed-host", "allowed_hosts", multiple=True, help="Host header to accept (repeatable).")
@click.option("--allowed-origin", "allowed_origins", multiple=True, help="Origin header to accept (repeatable).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="PEM certificate.")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="PEM private key.")
@click.option("--metrics-port", type=int, help="Also serve /metrics on this port.")
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    default=None,
    help="Allow a non-loopback bind without authentication (behind a trusted gateway only).",
)
@click.option(
    "--workspace",
    "-w",
    "serve_workspace",
    type=click.Path(file_okay=False, path_type=Path),
    help="Workspace directory (same as the global --workspace).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    transport: str,
    host: str | None,
    port: int | None,
    stateless: bool | None,
    json_response: bool | None,
    read_only: bool | None,
    toolsets: str | None,
    discovery: str | None,
    allowed_hosts: tuple[str, ...],
    allowed_origins: tuple[str, ...],
    tls_cert: Path | None,
    tls_key: Path | None,
    metrics_port: int | None,
    insecure_no_auth: bool | None,
    serve_workspace: Path | None,
) -> None:
    """Serve MCP over stdio (default) or Streamable HTTP."""
    hardening = make_non_dumpable()  # first: before any plugin code, thread or child process exists
    flags = {
        "host": host,
        "port": port,
        "stateless": stateless,
        "json_response": json_response,
        "allowed_hosts": list(allowed_hosts) or None,
        "allowed_origins": list(allowed_origins) or None,
        "tls_cert": tls_cert,
        "tls_key": tls_key,
        "metrics_port": metrics_port,
        "insecure_no_auth": insecure_no_auth,
    }
    http = {key: value for key, value in flags.items() if value is not None}
    overrides: dict[str, Any] = {"read_only": read_only, "toolsets": toolsets, "http": http or None}
    if discovery is not None:
        overrides["discovery"] = discovery
    if serve_workspace is not None:
        overrides["workspace"] = serve_workspace
    plugin_host = load_host(ctx, serving=True, **overrides)
    _protect_secrets(plugin_host, hardening)
    if transport == "stdio":
        _serve_stdio(plugin_host)  # freezes the start-up heap once the client has the `initialize` answer
    else:
        _check_exposure(plugin_host.settings)
        freeze_startup_heap()
        _serve_http(plugin_host)


def secret_sections(host: PluginHost) -> dict[str, type[BaseModel]]:
    """The settings sections that may carry a secret: the packs' and the host's own ``http``."""
    return {**host.settings_sections(), "http": HttpSettings}


def _protect_secrets(host: PluginHost, hardening: Hardening) -> None:
    """Log the non-dumpable state and drop secret settings from the environment children inherit."""
    from ggen_mcp_core.secret_settings import drop_secret_environment

    log = structlog.get_logger("ggen_mcp.hardening")
    if hardening.complete:
        log.info("server process hardened", detail=hardening.detail)
    elif hardening.applied:
        log.warning("server process hardened, incompletely", detail=hardening.detail)
    else:
        log.warning("server process not hardened", detail=hardening.detail)
    dropped = drop_secret_environment(secret_sections(host))
    if dropped:
        log.info("secret settings dropped from the environment children inherit", variables=dropped)


def _check_exposure(settings: Settings) -> None:
    """Refuse to serve an unauthenticated endpoint beyond this machine unless told to."""
    from ggen_mcp_core.netpolicy import is_loopback_host

    http = settings.http
    if (http.tls_cert is None) != (http.tls_key is None):
        _die("--tls-cert and --tls-key go together")
    if settings.auth.mode != "none" or http.insecure_no_auth:
        return
    if not is_loopback_host(http.host):
        _die(
            f"refusing to serve {http.host} without authentication: set auth.mode (api_key or jwt), bind "
            "127.0.0.1, or pass --insecure-no-auth if a trusted gateway authenticates in front of this server"
        )


def _serve_stdio(host: PluginHost) -> None:
    from mcp.server.stdio import stdio_server

    from ggen_mcp_core.server import build_server
    from ggen_mcp_core.startup_heap import FreezeAfterAnswer

    server = build_server(host, transport="stdio")

    async def run() -> None:
        try:
            async with stdio_server() as (read_stream, write_stream):
                options = server.create_initialization_options()
                await server.run(FreezeAfterAnswer(read_stream), write_stream, options)
        finally:
            await host.shutdown()

    anyio.run(run)


def _serve_http(host: PluginHost) -> None:
    import uvicorn  # the HTTP transport's server: not imported by a stdio start

    from ggen_mcp_core.graceful import GracefulServer
    from ggen_mcp_core.http import build_app, public_resource_url, server_options

    http = host.settings.http
    scheme = "https" if http.tls_cert else "http"
    url = f"{scheme}://{http.host}:{http.port}{http.path}"
    click.echo(
        f"ggen-mcp {__version__} serving MCP (Streamable HTTP) at {url}\n"
        f"  workspace: {host.workspace.root}\n"
        f"  tools: {len(host.tools)} from {sum(r.status == 'loaded' and not r.builtin for r in host.records)}"
        f" plugin(s); health: {scheme}://{http.host}:{http.port}/healthz\n"
        f"  connect a client: claude mcp add --transport http ggen {url}\n"
        f'  or in VS Code .vscode/mcp.json: {{"servers": {{"ggen": {{"type": "http", "url": "{url}"}}}}}}',
        err=True,
    )
    if http.metrics_port is not None:
        _serve_metrics(http)
    if host.settings.auth.mode != "none" and not host.settings.auth.resource_url and _unspecified(http.host):
        derived = public_resource_url(host.settings)
        click.echo(
            f"  warning: auth.resource_url is unset: metadata names {derived}; set the URL clients use", err=True
        )
    config = uvicorn.Config(
        build_app(host),
        host=http.host,
        port=http.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=int(http.shutdown_grace),
        ssl_certfile=str(http.tls_cert) if http.tls_cert else None,
        ssl_keyfile=str(http.tls_key) if http.tls_key else None,
        **server_options(http),
    )
    GracefulServer(config, host).run()


def _unspecified(address: str) -> bool:
    """``0.0.0.0`` or ``::``: a bind address, not one clients can use."""
    from ggen_mcp_core.netpolicy import parse_ip

    parsed = parse_ip(address)
    return parsed is not None and parsed.is_unspecified


def _serve_metrics(http: HttpSettings) -> None:
    """``/metrics`` on ``http.metrics_port`` in a thread, behind the same Host/Origin gate as the main port."""
    import threading

    import uvicorn

    from ggen_mcp_core.http import build_metrics_app

    config = uvicorn.Config(
        build_metrics_app(http),
        host=http.host,
        port=http.metrics_port or 0,
        log_level="warning",
        lifespan="off",
        proxy_headers=False,
    )
    sock = config.bind_socket()  # here, so a port in use stops the start instead of a thread dying quietly
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="ggen-metrics", daemon=True).start()


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_all", is_flag=True, help="Include the core's built-in plugins.")
@click.option("--verbose", "-v", is_flag=True, help="Also show the captured traceback of each failed plugin.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool, show_all: bool, verbose: bool) -> None:
    """List plugins with their status, hooks, tools, commands and errors."""
    host = load_host(ctx)
    host.register_commands(click.Group(commands=builtin_commands()))  # fills each record's commands
    records = host.plugin_dicts(include_builtin=show_all, verbose=verbose)
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    if not records:
        click.echo("no plugins installed: pip install 'ggen-mcp[all]' adds the graph, template, market and hook packs")
    for record in records:
        line = f"{record['name']:<22} {record['status']:<16} {record['distribution'] or '-'} {record['version'] or ''}"
        click.echo(line.rstrip())
        if record["error"]:
            click.echo(f"    error: {record['error']}")
        if record["tools"]:
            click.echo(f"    tools: {', '.join(record['tools'])}")
        if record.get("commands"):
            click.echo(f"    commands: {', '.join(record['commands'])}")
        for refusal in record.get("command_errors", []):
            click.echo(f"    command error: {refusal}")
        if verbose and record.get("traceback"):
            click.echo("    " + record["traceback"].rstrip().replace("\n", "\n    "))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON with the input and output schemas.")
@click.option("--markdown", is_flag=True, help="Print the tool reference (docs/tools.md) from the live schemas.")
@click.pass_context
def tools(ctx: click.Context, as_json: bool, markdown: bool) -> None:
    """List the tools the server would serve."""
    host = load_host(ctx)
    if markdown:
        from ggen_mcp_core.reference import tools_markdown

        click.echo(tools_markdown(sorted(host.tools.values(), key=lambda s: (s.plugin, s.name))), nl=False)
        return
    rows = [
        {
            "name": spec.name,
            "plugin": spec.plugin,
            "description": spec.description,
            "read_only": spec.read_only,
            "input_schema": spec.input_schema(),
            "output_schema": spec.output_schema(),
        }
        for spec in sorted(host.tools.values(), key=lambda s: s.name)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no tools: no tool plugin is loaded (see `ggen-mcp plugins`)")
    for row in rows:
        summary = str(row["description"]).splitlines()[0]
        click.echo(f"{row['name']:<24} {row['plugin']:<10} {summary}")


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the settings reference table (docs/configuration.md).")
@click.pass_context
def config(ctx: click.Context, markdown: bool) -> None:
    """Print the effective settings as JSON, or every setting's reference as Markdown."""
    from ggen_mcp_core.config import reference_markdown

    host = load_host(ctx)
    if markdown:
        click.echo(reference_markdown(host.settings_sections()), nl=False)
        return
    for plugin, error in sorted(host.settings_errors.items()):
        click.echo(f"ggen-mcp: plugin {plugin}: {error}", err=True)
    if host.settings_errors:
        sys.exit(EXIT_USAGE)
    effective = host.settings.model_dump(mode="json")
    for name, model in host.settings_sections().items():
        try:
            effective[name] = host.settings.section(name, model).model_dump(mode="json")
        except ConfigError as exc:
            _die(str(exc))
    click.echo(json.dumps(effective, indent=2))


@cli.group()
def auth() -> None:
    """Authentication helpers."""


@auth.command(name="hash-key")
def hash_key_command() -> None:
    """Read an API key on stdin and print the sha256 to put in auth.api_keys (the key is never stored)."""
    from ggen_mcp_core.auth import hash_key

    key = sys.stdin.readline().strip()
    if not key:
        _die("no key on standard input")
    click.echo(hash_key(key))


@cli.command()
@click.argument("tool")
@click.option("--args", "arguments", default="{}", help="Arguments as a JSON object.")
@click.pass_context
def call(ctx: click.Context, tool: str, arguments: str) -> None:
    """Run one tool in-process and print its structured result as JSON (exit 1 on isError)."""
    from ggen_mcp_core.calls import UnknownTool, call_tool
    from ggen_mcp_core.secret_settings import drop_secret_environment

    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError as exc:
        _die(f"--args is not valid JSON: {exc}")
    if not isinstance(parsed, dict):
        _die("--args must be a JSON object")
    make_non_dumpable()  # git-started hooks run in this process: the same protection as `serve`, quietly
    host = load_host(ctx)
    drop_secret_environment(secret_sections(host))

    async def run() -> Any:
        try:
            return await call_tool(host, tool, parsed, request=RequestInfo(transport="cli"))
        finally:
            await host.shutdown()

    try:
        result = anyio.run(run)
    except UnknownTool as exc:
        _die(f"{exc}; known tools: {', '.join(sorted(host.tools)) or 'none'}")
    if result.structured_content is not None:
        click.echo(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
    else:
        for block in result.content:
            click.echo(getattr(block, "text", block.model_dump_json()))
    if result.is_error:
        sys.exit(1)


def _add_plugin_commands() -> None:
    try:
        settings = Settings.load(os.environ.get("GGEN_MCP_CONFIG") or None)
    except ConfigError:
        return  # the chosen command reports the bad setting
    host = PluginHost(settings)
    try:
        host.load(report=False)
    except PluginLoadError:
        return
    for failure in host.register_commands(cli):
        click.echo(f"ggen-mcp: {failure}", err=True)


def builtin_commands() -> dict[str, click.Command]:
    """The commands this module defines (every one a plugin command may not replace), whatever plugins added."""
    return {
        name: command
        for name, command in cli.commands.items()
        if getattr(command.callback, "__module__", None) == __name__
    }


def chosen_command(args: list[str]) -> str | None:
    """The subcommand named in ``args`` (the global options and their values skipped), or None."""
    takes_value = {
        name for param in cli.params if isinstance(param, click.Option) and not param.is_flag for name in param.opts
    }
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return args[index + 1] if index + 1 < len(args) else None
        if not arg.startswith("-"):
            return arg
        index += 2 if arg in takes_value else 1
    return None


def main() -> None:
    """Console-script entry point."""
    configure_logging()
    args = sys.argv[1:]
    if chosen_command(args) not in builtin_commands() and not {"--version", "-V"} & set(args):
        _add_plugin_commands()  # a plugin's command, or help listing them all (a built-in needs none)
    cli(prog_name="ggen-mcp")


if __name__ == "__main__":
    main()
