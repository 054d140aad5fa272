"""The host owns pack settings: it validates each pack's section at load and hands handlers the typed model.

A bad value fails that pack's registration naming the key and its environment variable, for first- and
third-party packs alike, while the other packs load and serve; every list setting takes a comma list or a
JSON list; ``ctx.settings`` is the handler's own pack's model instance.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import CommaList, LifecycleEvent, Settings, ToolContext, ToolError, ToolSpec, hookimpl
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

FIRST_PARTY = ("graph", "template", "market", "hook", "ai")
# (pack, variable, bad value, the message naming the key)
BAD_VALUES = [
    (
        "graph",
        "GGEN_MCP_GRAPH__QUERY_TIMEOUT",
        "-1",
        "graph.query_timeout (GGEN_MCP_GRAPH__QUERY_TIMEOUT): Input should be greater than 0",
    ),
    (
        "template",
        "GGEN_MCP_TEMPLATE__MAX_TEMPLATES",
        "-1",
        "template.max_templates (GGEN_MCP_TEMPLATE__MAX_TEMPLATES): Input should be greater than 0",
    ),
    (
        "market",
        "GGEN_MCP_MARKET__RETRIES",
        "0",
        "market.retries (GGEN_MCP_MARKET__RETRIES): Input should be greater than or equal to 1",
    ),
    (
        "hook",
        "GGEN_MCP_HOOKS__MAX_HOOKS",
        "0",
        "hooks.max_hooks (GGEN_MCP_HOOKS__MAX_HOOKS): Input should be greater than or equal to 1",
    ),
    (
        "ai",
        "GGEN_MCP_AI__MAX_ITERATIONS",
        "11",
        "ai.max_iterations (GGEN_MCP_AI__MAX_ITERATIONS): Input should be less than or equal to 10",
    ),
]
# one cheap read-only call per pack, to show a pack serves
PROBE = {
    "graph": ("graph_stats", {}),
    "template": ("template_list", {}),
    "market": ("market_list", {}),
    "hook": ("hook_list", {}),
    "ai": ("ai_list_providers", {}),
    "demo": ("demo_echo", {"text": "hi"}),
}


def _failed(host: PluginHost, name: str) -> str:
    record = host.record(name)
    assert record is not None and record.status == "failed_register", record
    assert record.phase == "register"
    return record.error or ""


async def _serves(client: Any, pack: str) -> None:
    tool, arguments = PROBE[pack]
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, tool_text(result)


@pytest.mark.parametrize(("pack", "variable", "value", "message"), BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
async def test_a_bad_value_fails_only_that_pack_naming_the_key(
    ggen_host: Callable[..., PluginHost],
    ggen_client: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    pack: str,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    host = ggen_host(list(FIRST_PARTY))
    assert f"invalid setting {message}" in _failed(host, pack)
    others = [p for p in FIRST_PARTY if p != pack]
    assert all(host.record(p).status == "loaded" for p in others)  # type: ignore[union-attr]
    async with ggen_client(host, mode="legacy") as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert PROBE[pack][0] not in listed, "a pack with an invalid section must serve nothing"
        for other in others:
            await _serves(client, other)


async def test_a_third_party_pack_with_a_bad_value_fails_naming_the_key(
    fixture_site: Path,
    ggen_host: Callable[..., PluginHost],
    ggen_client: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GGEN_MCP_DEMO__SLOW_TIMEOUT", "0")
    host = ggen_host(["demo", "template"])
    error = _failed(host, "demo")
    assert "demo.slow_timeout (GGEN_MCP_DEMO__SLOW_TIMEOUT): Input should be greater than 0" in error
    assert host.pm.get_plugin("demo") is None, "none of its hooks may stay live"
    async with ggen_client(host, mode="legacy") as client:
        assert "demo_echo" not in {tool.name for tool in (await client.list_tools()).tools}
        await _serves(client, "template")


async def test_a_third_party_pack_gets_its_validated_settings_at_registration(
    fixture_site: Path, ggen_host: Callable[..., PluginHost], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GGEN_MCP_DEMO__SLOW_TIMEOUT", "2.5")
    host = ggen_host(["demo"])
    assert host.tools["demo_slow"].timeout == 2.5  # the demo pack's ggen_register_tools(settings) read it


def test_config_with_a_bad_third_party_setting_is_one_line_and_exit_2(
    subprocess_env: Callable[..., dict[str, str]],
) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo", GGEN_MCP_DEMO__SLOW_TIMEOUT="soon")
    out = subprocess.run(
        [sys.executable, "-m", "ggen_mcp_core.cli", "config"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 2, out
    assert "Traceback" not in out.stderr
    assert out.stdout == ""
    assert (
        "ggen-mcp: plugin demo: invalid setting demo.slow_timeout (GGEN_MCP_DEMO__SLOW_TIMEOUT): "
        "Input should be a valid number" in out.stderr
    ), out.stderr
    good = subprocess.run(
        [sys.executable, "-m", "ggen_mcp_core.cli", "config"],
        capture_output=True,
        text=True,
        env=subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo", GGEN_MCP_DEMO__SLOW_TIMEOUT="3"),
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["demo"] == {"slow_timeout": 3.0}


# -- list settings: comma lists and JSON lists ----------------------------------------------------------------

SAMPLE = {"http.trusted_proxies": ["10.0.0.1", "192.168.0.0/16"], "auth.jwt.algorithms": ["RS256", "ES384"]}
DEFAULT_SAMPLE = ["alpha.example", "beta-2.example"]


def _list_keys() -> Iterator[tuple[str, type[BaseModel]]]:
    """Every setting whose type is a list of strings, with the model it belongs to."""
    from ggen_graph.settings import GraphSettings
    from ggen_hook.settings import HookSettings
    from ggen_market.settings import MarketSettings
    from ggen_template.settings import TemplateSettings

    def walk(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, type[BaseModel]]]:
        for name, field in model.model_fields.items():
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                yield from walk(field.annotation, f"{prefix}{name}.")
            elif "list[str]" in repr(field.annotation):
                yield f"{prefix}{name}", model

    yield from walk(Settings, "")
    for section, model in [
        ("graph", GraphSettings),
        ("hooks", HookSettings),
        ("market", MarketSettings),
        ("template", TemplateSettings),
    ]:
        yield from walk(model, f"{section}.")


LIST_KEYS = sorted(key for key, _ in _list_keys())


def test_every_list_setting_is_found() -> None:
    assert {
        "toolsets",
        "protected_paths",
        "required_plugins",
        "load_plugins",
        "disable_plugins",
        "http.allowed_hosts",
        "http.allowed_origins",
        "http.trusted_proxies",
        "auth.authorization_servers",
        "graph.service_allowlist",
        "hooks.allowed_commands",
        "hooks.pass_env",
        "market.allowed_hosts",
        "auth.jwt.algorithms",
        "template.allowed_commands",
        "template.shell_pass_env",
    } <= set(LIST_KEYS)


def _read(key: str) -> Any:
    settings = Settings.load()
    section, _, rest = key.partition(".")
    models = dict(_section_models())
    if section in models:
        return getattr(settings.section(section, models[section]), rest)
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _section_models() -> list[tuple[str, type[BaseModel]]]:
    from ggen_graph.settings import GraphSettings
    from ggen_hook.settings import HookSettings
    from ggen_market.settings import MarketSettings
    from ggen_template.settings import TemplateSettings

    return [
        ("graph", GraphSettings),
        ("hooks", HookSettings),
        ("market", MarketSettings),
        ("template", TemplateSettings),
    ]


@pytest.mark.parametrize("form", ["comma", "json"])
@pytest.mark.parametrize("key", LIST_KEYS)
def test_each_list_setting_takes_a_comma_list_and_a_json_list(
    monkeypatch: pytest.MonkeyPatch, key: str, form: str
) -> None:
    wanted = SAMPLE.get(key, DEFAULT_SAMPLE)
    text = json.dumps(wanted) if form == "json" else " , ".join(wanted)
    monkeypatch.setenv("GGEN_MCP_" + key.upper().replace(".", "__"), text)
    assert [str(v) for v in _read(key)] == wanted


@pytest.mark.parametrize("key", ["toolsets", "hooks.allowed_commands", "market.allowed_hosts"])
def test_a_broken_json_list_is_refused_naming_the_key(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    variable = "GGEN_MCP_" + key.upper().replace(".", "__")
    monkeypatch.setenv(variable, '["*"')
    with pytest.raises(Exception, match=rf"{key.replace('.', '[.]')}.*not a JSON list") as raised:
        _read(key)
    if "." in key:
        assert f"({variable})" in str(raised.value)


async def test_a_json_allowlist_reaches_the_hook_pack(
    ggen_host: Callable[..., PluginHost], ggen_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GGEN_MCP_HOOKS__ALLOWED_COMMANDS='["*"]'`` allows any command (it once was one pattern, `["*"]`)."""
    monkeypatch.setenv("GGEN_MCP_HOOKS__ALLOW_COMMANDS", "true")
    monkeypatch.setenv("GGEN_MCP_HOOKS__ALLOWED_COMMANDS", '["*"]')
    async with ggen_client(ggen_host(["hook"]), mode="legacy") as client:
        result = await client.call_tool("hook_register", {"event": "post_gen", "command": "true"})
        assert not result.is_error, tool_text(result)
        assert result.structured_content["will_run"] is True, result.structured_content["note"]
    monkeypatch.setenv("GGEN_MCP_HOOKS__ALLOWED_COMMANDS", "ruff, pytest")
    async with ggen_client(ggen_host(["hook"]), mode="legacy") as client:
        result = await client.call_tool("hook_register", {"event": "post_gen", "command": "true"})
        assert result.structured_content["will_run"] is False
        assert "not in hooks.allowed_commands (ruff, pytest)" in result.structured_content["note"]


# -- ctx.settings ------------------------------------------------------------------------------------------


class ProbeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    word: str = Field("plain", description="A word the probe tool returns.")
    names: CommaList = Field(default_factory=list, description="Names.")


class SeenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    generate: bool = Field(False, description="Also emit a lifecycle event.")


class SeenOut(BaseModel):
    model: str
    word: str
    names: list[str]
    heard: list[str] = []


HEARD: list[str] = []


async def _seen(args: SeenIn, ctx: ToolContext[ProbeSettings]) -> SeenOut:
    if args.generate:
        await ctx.hook("pre_gen", files=["x"])
    return SeenOut(
        model=type(ctx.settings).__name__, word=ctx.settings.word, names=ctx.settings.names, heard=sorted(HEARD)
    )


def _probe_module(name: str, section: str, tool: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.TOOL_PREFIXES = (f"{tool}_",)  # type: ignore[attr-defined]
    module.SETTINGS_SECTION = (section, ProbeSettings)  # type: ignore[attr-defined]

    @hookimpl
    def ggen_register_tools(settings: ProbeSettings) -> list[ToolSpec]:
        assert isinstance(settings, ProbeSettings)
        return [
            ToolSpec(
                name=f"{tool}_seen",
                description="What ctx.settings is in a handler.",
                input_model=SeenIn,
                output_model=SeenOut,
                handler=_seen,
                read_only=True,
            )
        ]

    @hookimpl
    def ggen_lifecycle(event: LifecycleEvent, context: ToolContext[ProbeSettings]) -> None:
        HEARD.append(f"{name}:{type(context.settings).__name__}:{context.settings.word}")

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    module.ggen_lifecycle = ggen_lifecycle  # type: ignore[attr-defined]
    return module


async def test_ctx_settings_is_the_handlers_own_typed_model(
    ggen_workspace: Path, ggen_client: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ggen_mcp_core.testing import make_host

    monkeypatch.setenv("GGEN_MCP_PROBE__WORD", "fromenv")
    monkeypatch.setenv("GGEN_MCP_PROBE__NAMES", '["ada", "grace"]')
    monkeypatch.setenv("GGEN_MCP_OTHER__WORD", "other")
    HEARD.clear()
    host = make_host(
        ggen_workspace,
        [],
        modules={"probe": _probe_module("probe", "probe", "probe"), "other": _probe_module("other", "other", "other")},
    )
    assert host.pack_settings("probe") == ProbeSettings(word="fromenv", names=["ada", "grace"])
    async with ggen_client(host, mode="legacy") as client:
        result = await client.call_tool("probe_seen", {"generate": True})
        assert not result.is_error, tool_text(result)
        # each lifecycle listener saw its own pack's settings, not those of the tool that generates
        assert result.structured_content == {
            "model": "ProbeSettings",
            "word": "fromenv",
            "names": ["ada", "grace"],
            "heard": ["other:ProbeSettings:other", "probe:ProbeSettings:fromenv"],
        }
        other = await client.call_tool("other_seen", {})
        assert other.structured_content["word"] == "other"


async def test_two_packs_may_not_declare_one_section(ggen_workspace: Path) -> None:
    from ggen_mcp_core.testing import make_host

    host = make_host(
        ggen_workspace,
        [],
        modules={
            "probe": _probe_module("probe", "shared", "probe"),
            "other": _probe_module("other", "shared", "other"),
        },
    )
    assert host.record("probe").status == "loaded"  # type: ignore[union-attr]
    assert "settings section 'shared' is already declared by plugin 'probe'" in _failed(host, "other")


async def test_another_packs_settings_need_that_pack_loaded(ggen_host: Callable[..., PluginHost]) -> None:
    host = ggen_host(["template"])
    with pytest.raises(ToolError, match="needs the graph plugin, which is not loaded"):
        host.pack_settings("graph")
    assert type(ggen_host(["template", "graph"]).pack_settings("graph")).__name__ == "GraphSettings"
