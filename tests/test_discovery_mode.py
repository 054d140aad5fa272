"""``discovery = "dynamic"``: two tools up front, toolsets enabled on request with list_changed, per era."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
DISCOVERY = {"toolset_list", "toolset_enable"}


async def names(client: Any) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


async def enable_and_hear(client: Any, mode: str, toolset: str, seen: list[str]) -> dict[str, Any]:
    """Enable a toolset; wait for the tools list_changed notification the client's era delivers."""
    if mode == "legacy":
        result = await client.call_tool("toolset_enable", {"name": toolset})
        with anyio.fail_after(5):
            while "notifications/tools/list_changed" not in seen:
                await anyio.sleep(0.01)
        seen.clear()
    else:
        async with client.listen(tools_list_changed=True) as stream:
            result = await client.call_tool("toolset_enable", {"name": toolset})
            with anyio.fail_after(5):
                assert type(await stream.__anext__()).__name__ == "ToolsListChanged"
    assert not result.is_error, tool_text(result)
    return dict(result.structured_content)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_dynamic_discovery(ggen_host: Any, ggen_client: Any, mode: str) -> None:
    host = ggen_host(["graph", "template", "market"], discovery="dynamic")
    seen: list[str] = []

    async def on_message(message: Any) -> None:
        method = getattr(getattr(message, "root", message), "method", None)
        if isinstance(method, str):
            seen.append(method)

    async with ggen_client(host, mode=mode, message_handler=on_message) as client:
        assert await names(client) == DISCOVERY
        assert "call toolset_list, then toolset_enable" in (client.instructions or "")
        with pytest.raises(MCPError, match=r"graph_list \(hidden: toolset 'graph' is not enabled .*toolset_enable"):
            await client.call_tool("graph_list", {})
        listed = (await client.call_tool("toolset_list", {})).structured_content["toolsets"]
        by_name = {row["name"]: row for row in listed}
        assert set(by_name) == {"graph", "market", "template"}
        assert by_name["graph"]["enabled"] is False and "graph_query" in by_name["graph"]["tools"]
        assert by_name["graph"]["description"] == "RDF store and graph_* tools for ggen-mcp"
        assert "generate_code" not in {p.name for p in (await client.list_prompts()).prompts}

        enabled = await enable_and_hear(client, mode, "graph", seen)
        assert sorted(enabled["enabled"]) == by_name["graph"]["tools"]
        assert await names(client) == DISCOVERY | set(by_name["graph"]["tools"])
        assert not (await client.call_tool("graph_list", {})).is_error
        await enable_and_hear(client, mode, "template", seen)
        assert "generate_code" in {p.name for p in (await client.list_prompts()).prompts}

        again = await client.call_tool("toolset_enable", {"name": "graph"})
        assert again.structured_content == {"name": "graph", "enabled": []}
        unknown = await client.call_tool("toolset_enable", {"name": "grpah"})
        assert unknown.is_error and "no toolset 'grpah'; toolsets: graph, market, template" in tool_text(unknown)
        rows = (await client.call_tool("toolset_list", {})).structured_content["toolsets"]
        assert [(r["name"], r["enabled"]) for r in rows] == [("graph", True), ("market", False), ("template", True)]


async def test_dynamic_discovery_keeps_read_only_and_toolsets(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["graph", "template"], discovery="dynamic", read_only=True, toolsets="graph")
    dormant = dict(host.dormant_tools)
    assert dormant and all(s.read_only and s.plugin == "graph" for s in dormant.values())
    assert "graph_query" in dormant and "graph_load" not in dormant
    async with ggen_client(host) as client:
        assert await names(client) == DISCOVERY
        rows = (await client.call_tool("toolset_list", {})).structured_content["toolsets"]
        assert [r["name"] for r in rows] == ["graph"]
        await client.call_tool("toolset_enable", {"name": "graph"})
        served = await names(client) - DISCOVERY
    assert served == set(dormant)


async def test_all_mode_has_no_discovery_tools(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["graph"])
    assert not DISCOVERY & set(host.tools) and not host.dormant_tools
    async with ggen_client(host) as client:
        assert "toolset" not in (client.instructions or "")


async def test_discovery_tools_fit_their_context_budget(ggen_host: Any, ggen_client: Any) -> None:
    """The two tools a dynamic session starts with take <= 600 bytes of the model's context (issue 16)."""
    import json

    host = ggen_host(["graph"], discovery="dynamic")
    async with ggen_client(host) as client:
        tools = (await client.list_tools()).tools
    seen = [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools]
    assert len(json.dumps(seen, separators=(",", ":"))) - 2 - (len(seen) - 1) <= 600


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_serve_discovery_dynamic_over_stdio(fixture_site: Any, subprocess_env: Any, mode: str) -> None:
    """`ggen-mcp serve --discovery dynamic`, a real subprocess driven by an SDK stdio client."""
    import sys

    from mcp import Client, StdioServerParameters

    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo")
    command = ["-m", "ggen_mcp_core.cli", "serve", "--discovery", "dynamic"]
    async with Client(StdioServerParameters(command=sys.executable, args=command, env=env), mode=mode) as client:
        assert await names(client) == DISCOVERY
        enabled = await client.call_tool("toolset_enable", {"name": "demo"})
        assert "demo_echo" in enabled.structured_content["enabled"]
        assert "demo_echo" in await names(client)
        assert (await client.call_tool("demo_echo", {"text": "x"})).structured_content["echo"] == "x"
