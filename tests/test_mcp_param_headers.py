"""2026-07-28 `Mcp-Param-*` headers: the SDK checks them per request against the called tool's input schema,
which the host hands it only for a tool whose schema declares an `x-mcp-header` (for any other tool there is
nothing to check, and the SDK need not walk the schema on every call). Over real HTTP on 127.0.0.1: an
annotated tool called without its header is refused, with it answered; a plain tool is answered either way."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from pydantic import BaseModel, Field

from ggen_mcp_core import ToolSpec, hookimpl
from ggen_mcp_core.testing import make_host, tool_text

pytestmark = pytest.mark.anyio


class RegionInput(BaseModel):
    region: str = Field(description="Where to route.", json_schema_extra={"x-mcp-header": "Region"})


class PlainInput(BaseModel):
    region: str = Field(description="Just an argument.")


def routed_plugin() -> types.ModuleType:
    module = types.ModuleType("routed")

    async def echo(args: Any, ctx: Any) -> str:
        return f"routed to {args.region}"

    @hookimpl
    def ggen_register_tools(config: Any) -> list[ToolSpec]:
        return [
            ToolSpec(name="routed_echo", description="Echo, routed.", input_model=RegionInput, handler=echo),
            ToolSpec(name="routed_plain", description="Echo.", input_model=PlainInput, handler=echo),
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


def test_only_a_tool_with_an_x_mcp_header_hands_the_sdk_its_schema(tmp_path: Path) -> None:
    host = make_host(tmp_path, [], modules={"routed": routed_plugin()})
    annotated = host.tools["routed_echo"].mcp_param_schema()
    assert annotated is not None and annotated["properties"]["region"]["x-mcp-header"] == "Region"
    assert host.tools["routed_plain"].mcp_param_schema() is None


def tools_call(name: str, region: str) -> dict[str, Any]:
    """A 2026-07-28 tools/call as the SDK client posts it."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": {"region": region}, "_meta": meta},
    }


async def test_the_header_is_checked_for_an_annotated_tool_only(
    tmp_path: Path, http_server: Callable[..., str]
) -> None:
    host = make_host(tmp_path, [], modules={"routed": routed_plugin()}, rate_limit={"enabled": False})
    url = http_server(host) + "/mcp"
    headers = {
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
    }
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        missing = await http.post(
            url, json=tools_call("routed_echo", "eu"), headers={**headers, "mcp-name": "routed_echo"}
        )
        assert missing.status_code == 400, missing.text
        assert "Mcp-Param-Region header is missing" in missing.text
        wrong = await http.post(
            url,
            json=tools_call("routed_echo", "eu"),
            headers={**headers, "mcp-name": "routed_echo", "mcp-param-region": "us"},
        )
        assert wrong.status_code == 400 and "does not match" in wrong.text, wrong.text
        for name, extra in (("routed_echo", {"mcp-param-region": "eu"}), ("routed_plain", {})):
            answered = await http.post(url, json=tools_call(name, "eu"), headers={**headers, "mcp-name": name, **extra})
            assert answered.status_code == 200, answered.text
            assert "routed to eu" in answered.text
    async with Client(url, mode="auto") as client:  # a conforming client mirrors the argument itself
        await client.list_tools()
        result = await client.call_tool("routed_echo", {"region": "eu"})
        assert not result.is_error and tool_text(result) == "routed to eu"
