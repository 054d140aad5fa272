"""``ToolSpec.aliases``: a predecessor's tool name answered by the tool that replaced it, over a real MCP
session (market_offline_search -> market_search with offline: true); refused when it collides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import MCPError
from pydantic import BaseModel, ConfigDict

from ggen_mcp_core import ToolSpec, hookimpl
from ggen_mcp_core.builtins.audit import audit_record
from ggen_mcp_core.events import ToolCallEvent
from ggen_mcp_core.observability import REGISTRY
from ggen_mcp_core.testing import tool_text
from tests.local_registry import served_registry

pytestmark = pytest.mark.anyio
PACKS = [
    ("io.example.hello", "1.0.0", "testing"),
    ("io.example.web", "1.0.0", "web"),
    ("io.example.api", "1.0.0", "web"),
]


@pytest.fixture
def registry_url(tmp_path: Path) -> Iterator[str]:
    with served_registry(tmp_path / "reg", PACKS) as url:
        yield url


class Calls:
    """An in-process pack that keeps every tool-call event the host reports."""

    def __init__(self) -> None:
        self.events: list[ToolCallEvent] = []

    @hookimpl
    def ggen_on_tool_call(self, event: ToolCallEvent) -> None:
        self.events.append(event)


def alias_count(alias: str, tool: str) -> float:
    value = REGISTRY.get_sample_value("ggen_mcp_tool_alias_calls_total", {"alias": alias, "tool": tool})
    return value or 0.0


async def test_old_name_answers_like_the_new_call(ggen_host: Any, ggen_client: Any, registry_url: str) -> None:
    host = ggen_host(["market"], market={"registry_url": registry_url})
    calls = Calls()
    host.add_module(calls, name="callrecorder")
    before = alias_count("market_offline_search", "market_search")
    async with ggen_client(host, mode="legacy") as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        assert "market_search" in listed and "market_offline_search" not in listed  # zero context cost
        synced = await client.call_tool("market_sync", {})
        assert not synced.is_error, tool_text(synced)
        old = {"query": "", "category": "web", "limit": 1}  # the predecessor's arguments
        by_alias = await client.call_tool("market_offline_search", old)
        by_name = await client.call_tool("market_search", {**old, "offline": True})
        forced = await client.call_tool("market_offline_search", {**old, "offline": False})  # the alias's value wins
    assert not by_alias.is_error, tool_text(by_alias)
    assert by_alias.structured_content == by_name.structured_content == forced.structured_content
    assert by_alias.structured_content["total"] == 2 and len(by_alias.structured_content["results"]) == 1
    aliased = [e for e in calls.events if e.alias]
    assert [(e.tool, e.alias, e.plugin) for e in aliased] == [("market_search", "market_offline_search", "market")] * 2
    record = audit_record(aliased[0])
    assert record["tool"] == "market_search" and record["alias"] == "market_offline_search"
    assert "alias" not in audit_record(next(e for e in calls.events if e.alias is None))
    assert alias_count("market_offline_search", "market_search") == before + 2


async def test_old_name_is_checked_like_the_tool(ggen_host: Any, ggen_client: Any, registry_url: str) -> None:
    async with ggen_client(ggen_host(["market"], market={"registry_url": registry_url}), mode="auto") as client:
        bad = await client.call_tool("market_offline_search", {"query": "x", "limit": 0})
    assert bad.is_error and "invalid arguments for market_search" in tool_text(bad) and "limit" in tool_text(bad)


async def test_old_name_of_a_hidden_tool_is_unknown(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["market", "template"], toolsets="template")
    async with ggen_client(host, mode="legacy") as client:
        with pytest.raises(
            MCPError, match=r"Unknown tool: market_offline_search \(hidden: toolset 'market' not enabled\)"
        ):
            await client.call_tool("market_offline_search", {"query": ""})


async def test_old_name_wakes_with_its_dormant_toolset(ggen_host: Any, ggen_client: Any, registry_url: str) -> None:
    host = ggen_host(["market"], discovery="dynamic", market={"registry_url": registry_url})
    async with ggen_client(host, mode="legacy") as client:
        with pytest.raises(MCPError, match=r"market_offline_search \(hidden: toolset 'market' is not enabled"):
            await client.call_tool("market_offline_search", {"query": ""})
        enabled = await client.call_tool("toolset_enable", {"name": "market"})
        assert not enabled.is_error, tool_text(enabled)
        uncached = await client.call_tool("market_offline_search", {"query": "hello"})  # offline: never fetched
        assert uncached.is_error and "no cached index" in tool_text(uncached)
        assert not (await client.call_tool("market_sync", {})).is_error
        found = await client.call_tool("market_offline_search", {"query": "hello"})
    assert not found.is_error, tool_text(found)
    assert [r["id"] for r in found.structured_content["results"]] == ["io.example.hello"]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")
    loud: bool = False


async def say(args: Args, ctx: Any) -> str:
    return "HI" if args.loud else "hi"


class Pack:
    def __init__(self, prefix: str, specs: list[ToolSpec]) -> None:
        self.TOOL_PREFIXES = (prefix,)
        self._specs = specs

    @hookimpl
    def ggen_register_tools(self, config: Any) -> list[ToolSpec]:
        return self._specs


def tool(name: str, aliases: dict[str, dict[str, Any]] | None = None) -> ToolSpec:
    return ToolSpec(name=name, description="Say hi.", input_model=Args, handler=say, aliases=aliases or {})


async def test_alias_through_ctx_call_tool(ggen_host: Any, ggen_client: Any) -> None:
    async def relay(args: Args, ctx: Any) -> Any:
        return await ctx.call_tool("demo_shout_old", {})

    host = ggen_host([])
    relay_spec = ToolSpec(name="demo_relay", description="Relay.", input_model=Args, handler=relay)
    record = host.add_module(
        Pack("demo_", [tool("demo_say", {"demo_shout_old": {"loud": True}}), relay_spec]), name="demo"
    )
    assert record.status == "loaded", record.error
    async with ggen_client(host, mode="legacy") as client:
        result = await client.call_tool("demo_relay", {})
    assert not result.is_error and "HI" in tool_text(result)


def test_colliding_aliases_are_refused_naming_both_owners(ggen_host: Any) -> None:
    host = ggen_host([])
    first = host.add_module(Pack("demo_", [tool("demo_say", {"demo_old": {"loud": True}})]), name="demo")
    assert first.status == "loaded", first.error
    as_tool = host.add_module(Pack("demo_", [tool("demo_old")]), name="second")
    assert as_tool.error == (
        "PluginRegistrationError: tool 'demo_old' of plugin 'second' (distribution none: added in-process) is "
        "already registered by plugin 'demo' (distribution none: added in-process) as an alias of 'demo_say'"
    )
    on_tool = host.add_module(Pack("demo_", [tool("demo_other", {"demo_say": {}})]), name="third")
    assert on_tool.error == (
        "PluginRegistrationError: tool alias 'demo_say' of plugin 'third' (distribution none: added in-process) "
        "(an alias of 'demo_other') is already registered by plugin 'demo' (distribution none: added in-process)"
    )
    twice = host.add_module(Pack("demo_", [tool("demo_x", {"demo_old": {}})]), name="fourth")
    assert "tool alias 'demo_old' of plugin 'fourth'" in (twice.error or "")
    assert "already registered by plugin 'demo'" in (twice.error or "")
    outside = host.add_module(
        Pack("mine_", [tool("mine_say", {"market_offline_search": {}, "other_x": {}})]), name="mine"
    )
    error = outside.error or ""
    assert "alias 'other_x' of tool 'mine_say' does not start with a prefix the plugin owns (mine_)" in error
    assert "tool alias 'market_offline_search' of plugin 'mine'" in error and "reserved for the first-party" in error
    unknown = host.add_module(Pack("bad_", [tool("bad_say", {"bad_old": {"volume": 3}})]), name="bad")
    assert "alias 'bad_old' of tool 'bad_say' fixes arguments the tool does not take: volume" in (unknown.error or "")
    assert set(host.aliases) == {"demo_old"} and "demo_old" not in host.tools


async def test_old_name_needs_the_tools_scope_over_http(ggen_host: Any, http_server: Any) -> None:
    import httpx

    from ggen_mcp_core.auth import hash_key

    keys = [{"name": "eve", "sha256": hash_key("eve-key"), "scopes": ["graph:read"]}]
    base = http_server(ggen_host(["market"], auth={"mode": "api_key", "api_keys": keys}))
    headers = {
        "accept": "application/json, text/event-stream",
        "content-type": "application/json",
        "authorization": "Bearer eve-key",
    }
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    async with httpx.AsyncClient(base_url=base) as http:
        started = await http.post("/mcp", json=init, headers=headers)
        assert started.status_code == 200
        session = {
            **headers,
            "mcp-session-id": started.headers["mcp-session-id"],
            "mcp-protocol-version": "2025-11-25",
        }
        for name in ("market_search", "market_offline_search"):
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": {}}}
            denied = await http.post("/mcp", json=call, headers=session)
            assert denied.status_code == 403, name
            assert denied.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="market:read"'
