"""graph_update: changes, refusals, syntax errors, and its absence in read-only mode."""

from __future__ import annotations

import pytest
from graph_helpers import EX, TURTLE
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


async def test_update_changes_and_reports(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE})
        result = await client.call_tool(
            "graph_update", {"sparql": "INSERT DATA { ex:carol a ex:Person ; ex:name 'Carol' }"}
        )
        assert not result.is_error, tool_text(result)
        assert result.structured_content["delta"] == 2
        assert result.structured_content["triples_after"] == 10
        result = await client.call_tool("graph_update", {"sparql": "DELETE WHERE { ?s ex:name ?n }"})
        assert result.structured_content["delta"] == -3
        copy = f"INSERT {{ GRAPH <urn:people> {{ ?s a <{EX}Person> }} }} WHERE {{ ?s a <{EX}Person> }}"
        moved = await client.call_tool("graph_update", {"sparql": copy})
        assert moved.structured_content["delta"] == 3
        check = await client.call_tool("graph_query", {"sparql": "SELECT ?s WHERE { ?s ?p ?o }", "graph": "urn:people"})
        assert check.structured_content["count"] == 3


async def test_update_refusals_and_errors(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        cases = {
            "LOAD <http://127.0.0.1:9/x.ttl>": "LOAD is not allowed",
            "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/q> { ?s ?p ?o } }": "is not allowed in updates",
            "SELECT * WHERE { ?s ?p ?o }": "use graph_query",
            "INSERT DATA {\n  <urn:a> <urn:b> \n}": "line 3",
        }
        for sparql, message in cases.items():
            result = await client.call_tool("graph_update", {"sparql": sparql})
            assert result.is_error, sparql
            assert message in tool_text(result), (sparql, tool_text(result))


async def test_read_only_mode_hides_every_writing_tool(ggen_host, ggen_client) -> None:
    async with ggen_client(ggen_host(["graph"], read_only=True), mode="legacy") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"graph_query", "graph_list", "graph_stats", "graph_validate"} <= names
        assert not names & {"graph_update", "graph_load", "graph_clear"}
        with pytest.raises(MCPError, match="Unknown tool: graph_update"):
            await client.call_tool("graph_update", {"sparql": "CLEAR ALL"})
