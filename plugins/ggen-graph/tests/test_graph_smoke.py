from __future__ import annotations

import pytest
from graph_helpers import TURTLE

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


async def test_load_then_select(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        result = await client.call_tool("graph_load", {"content": TURTLE, "format": "turtle"})
        assert not result.is_error, tool_text(result)
        assert result.structured_content["triples_added"] == 8
        result = await client.call_tool(
            "graph_query", {"sparql": "SELECT ?s ?n WHERE { ?s ex:name ?n } ORDER BY ?s", "typed": True}
        )
        assert not result.is_error, tool_text(result)
        data = result.structured_content
        assert data["variables"] == ["s", "n"]
        assert data["rows"] == [["http://example.org/alice", "Alice"], ["http://example.org/bob", "Bob"]]
        assert data["typed_rows"][0] == [
            {"value": "http://example.org/alice", "type": "iri"},
            {"value": "Alice", "type": "literal", "language": "en"},
        ]
