"""What registration refuses (docs/plugins.md), through the real loader, the real command line and an MCP
client session showing that the healthy packs still serve."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from pydantic import BaseModel, ConfigDict

from ggen_mcp_core import Settings, ToolSpec, hookimpl
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text
from tests.conftest import FIXTURE_SITE

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]
SYNC_REFUSAL = (
    "PluginRegistrationError: tool 'synchandler_sleep': handler blocking is not a coroutine function: "
    "handlers are `async def`; run blocking work with ctx.run_sync"
)


def load(workspace: Path, plugins: str) -> PluginHost:
    host = PluginHost(Settings.load(workspace=workspace, load_plugins=plugins))
    host.load()
    return host


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GGEN, *args], capture_output=True, text=True, env=env, timeout=60)


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InProcessPack:
    """A plugin added with ``add_module``: its tools and commands are given to it."""

    def __init__(self, prefix: str, specs: list[ToolSpec], commands: tuple[str, ...] = ()) -> None:
        self.TOOL_PREFIXES = (prefix,)
        self._specs = specs
        self._commands = commands

    @hookimpl
    def ggen_register_tools(self, config: Any) -> list[ToolSpec]:
        return self._specs

    @hookimpl
    def ggen_register_commands(self, cli: click.Group) -> None:
        for name in self._commands:
            cli.command(name=name)(lambda: None)


async def answer(args: NoArgs, ctx: Any, *, text: str = "ok") -> str:
    return text


def plain(args: NoArgs, ctx: Any) -> str:
    return "blocking"


class SyncCallable:
    def __call__(self, args: NoArgs, ctx: Any) -> str:
        return "blocking"


class AsyncCallable:
    async def __call__(self, args: NoArgs, ctx: Any) -> str:
        return "called"


# -- sync handlers ------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_sync_handler_is_refused_and_the_healthy_packs_still_serve(
    fixture_site: Path, ggen_workspace: Path, ggen_client: Any
) -> None:
    host = load(ggen_workspace, "demo,synchandler")
    record = host.record("synchandler")
    assert record is not None and (record.status, record.phase) == ("failed_register", "register")
    assert record.error == SYNC_REFUSAL
    assert "synchandler_sleep" not in host.tools
    async with ggen_client(host, mode="legacy") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "synchandler_sleep" not in names and "demo_echo" in names
        result = await client.call_tool("demo_echo", {"text": "still here"})
        assert not result.is_error, tool_text(result)
        assert result.structured_content["echo"] == "still here"


def test_async_partials_and_async_callables_are_accepted(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace, "demo")
    specs = [
        ToolSpec(
            name="inproc_partial", description="A partial.", input_model=NoArgs, handler=functools.partial(answer)
        ),
        ToolSpec(name="inproc_object", description="An object.", input_model=NoArgs, handler=AsyncCallable()),
    ]
    record = host.add_module(InProcessPack("inproc_", specs), name="inproc")
    assert record.status == "loaded", record.error
    sync = [
        ToolSpec(name="inproc_lambda", description="A lambda.", input_model=NoArgs, handler=lambda a, c: "x"),
        ToolSpec(
            name="inproc_sync_partial", description="A partial.", input_model=NoArgs, handler=functools.partial(plain)
        ),
        ToolSpec(name="inproc_sync_object", description="An object.", input_model=NoArgs, handler=SyncCallable()),
    ]
    refused = host.add_module(InProcessPack("inproc_", sync), name="inproc-sync")
    assert refused.status == "failed_register"
    error = refused.error or ""
    assert ".<lambda> is not a coroutine function" in error
    assert "tool 'inproc_sync_partial': handler functools.partial(plain) is not a coroutine function" in error
    assert "tool 'inproc_sync_object': handler SyncCallable is not a coroutine function" in error


def test_tool_family_conformance_catches_a_sync_handler(tmp_path: Path) -> None:
    """A pack's own conformance suite fails on a sync handler, naming it, before any user calls the tool."""
    suite = tmp_path / "test_synchandler_conformance.py"
    suite.write_text(
        textwrap.dedent(
            """
            from ggen_mcp_core.testing import ToolFamilyConformance

            class TestSyncHandler(ToolFamilyConformance):
                plugin = "synchandler"
                prefixes = ("synchandler_",)
            """
        )
    )
    env = {"PYTHONPATH": str(FIXTURE_SITE), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert (
        "FAILED test_synchandler_conformance.py::TestSyncHandler::test_handlers_are_coroutine_functions" in out.stdout
    )
    assert "FAILED test_synchandler_conformance.py::TestSyncHandler::test_plugin_loads" in out.stdout
    assert "handler blocking is not a coroutine function: handlers are `async def`" in out.stdout


# -- reserved first-party prefixes and collisions ----------------------------------------------------------------


@pytest.mark.anyio
async def test_first_party_prefix_is_refused_to_a_pack_that_loads_first(
    fixture_site: Path, ggen_workspace: Path, ggen_client: Any
) -> None:
    """The intruder's entry point ("agraph") sorts before "graph": it fails, the graph pack serves graph_query."""
    host = load(ggen_workspace, "agraph,graph")
    chosen = [r.name for r in host.records if not r.builtin and r.status != "disabled"]
    assert chosen == ["agraph", "graph"], "agraph must load first"
    intruder, graph = host.record("agraph"), host.record("graph")
    assert intruder is not None and graph is not None
    assert intruder.status == "failed_register"
    assert intruder.error == (
        "PluginRegistrationError: tool 'graph_query' of plugin 'agraph' (distribution ggen_fixture_agraph) "
        "uses the prefix 'graph_', reserved for the first-party distribution ggen-graph; choose a prefix of your own; "
        "resource 'ggen://graphs' of plugin 'agraph' (distribution ggen_fixture_agraph) uses ggen://, reserved for "
        "ggen-mcp and its first-party packs; choose a scheme of your own"
    )
    assert graph.status == "loaded", graph.error
    assert host.tools["graph_query"].plugin == "graph"
    assert "agraph_own" not in host.tools, "a refused pack loads nothing"
    async with ggen_client(host, mode="legacy") as client:
        result = await client.call_tool("graph_query", {"sparql": "ASK { ?s ?p ?o }"})
        assert not result.is_error, tool_text(result)
        assert "hijacked" not in tool_text(result)
        listed = (await client.read_resource("ggen://graphs")).contents[0]
        assert listed.text.strip() and "hijacked" not in listed.text, "the graph pack serves ggen://graphs"


def test_first_party_prefix_is_refused_to_a_pack_that_loads_later(fixture_site: Path, ggen_workspace: Path) -> None:
    import importlib

    host = load(ggen_workspace, "graph")
    late = host.add_module(importlib.import_module("ggen_fixture_agraph.plugin"), name="zgraph")
    assert late.status == "failed_register"
    error = late.error or ""
    assert (
        "tool 'graph_query' of plugin 'zgraph' (distribution none: added in-process) uses the prefix 'graph_'" in error
    )
    assert (
        "tool 'graph_query' of plugin 'zgraph' (distribution none: added in-process) is already registered by "
        "plugin 'graph' (distribution ggen-graph)"
    ) in error
    assert (
        "resource 'ggen://graphs' of plugin 'zgraph' (distribution none: added in-process) is already registered by "
        "plugin 'graph' (distribution ggen-graph)"
    ) in error
    assert host.record("graph").status == "loaded"  # type: ignore[union-attr]
    assert host.tools["graph_query"].plugin == "graph"


@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.anyio
async def test_an_entry_point_named_like_a_first_party_pack_is_refused(
    monkeypatch: pytest.MonkeyPatch, ggen_workspace: Path, ggen_client: Any, where: str
) -> None:
    """A third-party distribution naming its entry point "graph": the first-party graph pack loads wherever
    the squatter sits on sys.path (found before or after it), and the squatter is reported, naming both."""
    squat = str(FIXTURE_SITE.parent / "squat")
    monkeypatch.setattr(sys, "path", [squat, *sys.path] if where == "first" else [*sys.path, squat])
    host = load(ggen_workspace, "graph")
    graphs = [r for r in host.records if r.name == "graph"]
    assert [(r.distribution, r.status) for r in graphs] == [
        ("ggen-graph", "loaded"),
        ("ggen_fixture_graphsquat", "failed_register"),
    ]
    assert graphs[1].error == (
        "plugin 'graph' (distribution ggen_fixture_graphsquat) is refused: plugin 'graph' (distribution ggen-graph) "
        "has the same entry-point name (group ggen_mcp.plugins), which stays; rename the entry point"
    )
    assert host.record("graph") is graphs[0]
    assert "squat_hello" not in host.tools
    async with ggen_client(host, mode="legacy") as client:
        result = await client.call_tool("graph_query", {"sparql": "ASK { ?s ?p ?o }"})
        assert not result.is_error, tool_text(result)
    sys.modules.pop("ggen_fixture_graphsquat.plugin", None)


@pytest.mark.parametrize(
    ("name", "owner"),
    [
        ("template_x", "ggen-template"),
        ("project_x", "ggen-template"),
        ("market_x", "ggen-market"),
        ("hook_x", "ggen-hook"),
        ("ai_x", "ggen-ai"),
    ],
)
def test_every_reserved_prefix_names_its_distribution(ggen_workspace: Path, name: str, owner: str) -> None:
    host = load(ggen_workspace, "")
    spec = ToolSpec(name=name, description="Claims a reserved name.", input_model=NoArgs, handler=answer)
    record = host.add_module(InProcessPack(name.split("_")[0] + "_", [spec]), name="claimer")
    assert record.status == "failed_register"
    assert f"reserved for the first-party distribution {owner}" in (record.error or "")


def test_collision_between_two_packs_names_both_owners(fixture_site: Path, ggen_workspace: Path) -> None:
    host = load(ggen_workspace, "demo")
    spec = ToolSpec(name="demo_echo", description="Takes the demo pack's name.", input_model=NoArgs, handler=answer)
    again = host.add_module(InProcessPack("demo_", [spec]), name="demo-copy")
    assert again.status == "failed_register"
    assert again.error == (
        "PluginRegistrationError: tool 'demo_echo' of plugin 'demo-copy' (distribution none: added in-process) is "
        "already registered by plugin 'demo' (distribution ggen_fixture_demo)"
    )
    assert host.record("demo").status == "loaded"  # type: ignore[union-attr]
    assert host.tools["demo_echo"].plugin == "demo"


# -- CLI commands ------------------------------------------------------------------------------------------


def test_pack_commands_cannot_replace_each_other(ggen_workspace: Path) -> None:
    host = load(ggen_workspace, "")
    first = host.add_module(InProcessPack("one_", [], ("shared", "one-only")), name="one")
    second = host.add_module(InProcessPack("two_", [], ("shared", "two-only")), name="two")
    group = click.Group(commands={"serve": click.Command("serve")})
    builtin_serve = group.commands["serve"]
    failures = host.register_commands(group)
    assert failures == [
        "command 'shared' of plugin 'two' (distribution none: added in-process) is refused: it would replace the "
        "command of plugin 'one' (distribution none: added in-process), which stays; choose another name"
    ]
    assert group.commands["serve"] is builtin_serve
    assert sorted(first.commands) == ["one-only", "shared"] and first.command_errors == []
    assert second.commands == ["two-only"] and second.command_errors == failures


@pytest.fixture
def env(subprocess_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo,ashadow,market")


def test_pack_command_cannot_shadow_a_builtin_or_a_first_party_command(env: dict[str, str]) -> None:
    """The pack "ashadow" sorts before "market" and every built-in: the built-ins and the market pack keep theirs.
    (The top-level help loads the plugins' commands; a built-in command such as ``serve`` loads none.)"""
    out = run(env, "--log-level", "warning", "--help")
    assert out.returncode == 0, out.stderr
    assert "Serve MCP over stdio" in out.stdout and "hijacked" not in out.stdout
    lines = [line for line in out.stderr.splitlines() if "is refused" in line]
    assert lines == [
        "ggen-mcp: command 'serve' of plugin 'ashadow' (distribution ggen_fixture_ashadow) is refused: it would "
        "replace the command of the built-in command line of ggen-mcp, which stays; choose another name",
        "ggen-mcp: command 'config' of plugin 'ashadow' (distribution ggen_fixture_ashadow) is refused: it would "
        "replace the command of the built-in command line of ggen-mcp, which stays; choose another name",
        "ggen-mcp: command 'market' of plugin 'ashadow' (distribution ggen_fixture_ashadow) is refused: it would "
        "replace the command of plugin 'market' (distribution ggen-market), which stays; choose another name",
    ]
    assert "Template-pack registry tools" in run(env, "--log-level", "warning", "market", "--help").stdout
    ok = run(env, "--log-level", "warning", "ashadow-ok")
    assert ok.returncode == 0 and ok.stdout.strip() == "ashadow ok"
    records = {r["name"]: r for r in json.loads(run(env, "plugins", "--json").stdout)}
    assert records["ashadow"]["commands"] == ["ashadow-ok"]
    assert [e.split(" is refused")[0] for e in records["ashadow"]["command_errors"]] == [
        "command 'serve' of plugin 'ashadow' (distribution ggen_fixture_ashadow)",
        "command 'config' of plugin 'ashadow' (distribution ggen_fixture_ashadow)",
        "command 'market' of plugin 'ashadow' (distribution ggen_fixture_ashadow)",
    ]
    assert records["market"]["commands"] == ["market"] and records["market"]["command_errors"] == []
    text = run(env, "plugins").stdout
    assert "    commands: ashadow-ok\n    command error: command 'serve' of plugin 'ashadow'" in text


# -- plugins --json --verbose, config ----------------------------------------------------------------------------


def test_plugins_json_verbose_shows_the_traceback(subprocess_env: Callable[..., dict[str, str]]) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo,brokenimport,synchandler")
    verbose = {r["name"]: r for r in json.loads(run(env, "plugins", "--json", "--verbose").stdout)}
    broken = verbose["brokenimport"]["traceback"]
    assert broken.startswith("Traceback (most recent call last):")
    assert "ggen_fixture_brokenimport/plugin.py" in broken and "GraphStore" in broken
    assert "handler blocking is not a coroutine function" in verbose["synchandler"]["traceback"]
    assert verbose["demo"]["traceback"] is None
    plain = json.loads(run(env, "plugins", "--json").stdout)
    assert all("traceback" not in record for record in plain), "plain --json stays as it was"
    text = run(env, "plugins", "-v").stdout
    assert "    Traceback (most recent call last):" in text
    assert "Traceback" not in run(env, "plugins").stdout


def test_config_reports_a_packs_bad_setting_without_a_traceback(
    subprocess_env: Callable[..., dict[str, str]],
) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="ashadow", GGEN_MCP_ASHADOW__DEPTH="0")
    out = run(env, "config")
    assert "Traceback" not in out.stderr, out.stderr
    assert "ashadow.depth" in out.stderr and "greater than or equal to 1" in out.stderr
