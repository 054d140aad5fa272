"""graph_list, graph_clear, graph_stats and the ggen://graphs resources."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from graph_helpers import EX, TURTLE, ntriples

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


async def test_list_and_clear(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE})
        await client.call_tool("graph_load", {"content": ntriples(4), "format": "ntriples", "graph": "urn:b"})
        await client.call_tool("graph_load", {"content": ntriples(2), "format": "ntriples", "graph": "urn:a"})
        listed = (await client.call_tool("graph_list", {})).structured_content
        assert listed["store"] == "embedded" and listed["total_triples"] == 14
        assert [(g["graph"], g["triples"]) for g in listed["graphs"]] == [(None, 8), ("urn:a", 2), ("urn:b", 4)]
        cleared = await client.call_tool("graph_clear", {"graph": "urn:b"})
        assert cleared.structured_content["triples_removed"] == 4
        cleared = await client.call_tool("graph_clear", {"graph": "default"})
        assert cleared.structured_content == {**cleared.structured_content, "graph": None, "triples_removed": 8}
        listed = (await client.call_tool("graph_list", {})).structured_content
        assert [(g["graph"], g["triples"]) for g in listed["graphs"]] == [(None, 0), ("urn:a", 2)]
        unknown = await client.call_tool("graph_clear", {"graph": "urn:b"})
        assert unknown.is_error and "urn:a" in tool_text(unknown)
        required = await client.call_tool("graph_clear", {})
        assert required.is_error and "graph" in tool_text(required)


async def test_stats(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE, "graph": "urn:people"})
        await client.call_tool("graph_load", {"content": ntriples(5), "format": "ntriples"})
        stats = (await client.call_tool("graph_stats", {"graph": "urn:people"})).structured_content
        assert stats["total_triples"] == 13
        assert stats["classes"] == [
            {"iri": f"{EX}Person", "instances": 2},
            {"iri": f"{EX}Company", "instances": 1},
        ]
        predicates = {p["iri"]: p["triples"] for p in stats["predicates"]}
        assert predicates["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"] == 3
        assert predicates[f"{EX}name"] == 2
        assert stats["prefixes"]["ex"] == EX and stats["prefixes"]["rdf"].endswith("rdf-syntax-ns#")
        default = (await client.call_tool("graph_stats", {})).structured_content
        assert default["classes"] == [] and len(default["predicates"]) == 5


async def test_graph_resources(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(max_resource_bytes=1000), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE, "graph": "http://example.org/g/1"})
        await client.call_tool("graph_load", {"content": ntriples(50), "format": "ntriples"})
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        assert "ggen://graphs" in uris
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert "ggen://graphs/{name}" in templates
        listing = json.loads((await client.read_resource("ggen://graphs")).contents[0].text)
        encoded = quote("http://example.org/g/1", safe="")
        assert {
            "graph": "http://example.org/g/1",
            "name": "http://example.org/g/1",
            "triples": 8,
            "uri": f"ggen://graphs/{encoded}",
        } in listing["graphs"]
        named = (await client.read_resource(f"ggen://graphs/{encoded}")).contents[0]
        assert named.mime_type == "text/turtle" and "ex:alice" in named.text
        default = (await client.read_resource("ggen://graphs/default")).contents[0].text
        assert "# cut at 1000 bytes" in default and len(default.encode()) < 1100
