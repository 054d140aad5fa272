"""graph_export: inline and to a file, every format, the inline cap, hostile output paths."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from graph_helpers import EX, TURTLE, ntriples

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


async def test_export_inline_and_to_file(graph_host, ggen_client, ggen_workspace) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE})
        await client.call_tool("graph_load", {"content": ntriples(3), "format": "ntriples", "graph": "urn:g"})
        inline = await client.call_tool("graph_export", {})
        assert not inline.is_error, tool_text(inline)
        data = inline.structured_content
        assert data["format"] == "turtle" and data["triples"] == 8 and data["truncated"] is False
        assert "@prefix ex: <http://example.org/> ." in data["content"]  # the loaded prefixes are reused
        parsed = ox.Store()
        parsed.load(data["content"].encode(), ox.RdfFormat.TURTLE)
        assert len(parsed) == 8
        for fmt in ("ntriples", "rdfxml", "jsonld", "trig", "nquads"):
            result = await client.call_tool("graph_export", {"format": fmt, "graph": "urn:g"})
            assert not result.is_error, (fmt, tool_text(result))
            assert result.structured_content["triples"] == 3, fmt
        written = await client.call_tool("graph_export", {"output": "out/all.nq"})
        assert written.structured_content["output"] == "out/all.nq"
        assert written.structured_content["format"] == "nquads"
        assert written.structured_content["triples"] == 11
        text = (ggen_workspace / "out" / "all.nq").read_text()
        assert text.count("<urn:g>") == 3 and text.count("\n") == 11


async def test_inline_cap_cuts_at_a_statement(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(max_export_bytes=500), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": ntriples(100), "format": "ntriples"})
        result = await client.call_tool("graph_export", {"format": "ntriples"})
        data = result.structured_content
        assert data["truncated"] is True and data["bytes"] > 500
        assert len(data["content"].encode()) <= 500 and data["content"].endswith(" .\n")
        assert "output" in data["message"] and "max_export_bytes" in data["message"]
        turtle = (await client.call_tool("graph_export", {"format": "turtle"})).structured_content
        assert turtle["truncated"] and turtle["content"].rstrip().endswith(".")


async def test_export_refusals(graph_host, ggen_client, ggen_workspace, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (ggen_workspace / "escape").symlink_to(elsewhere)
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE})
        cases = {
            "outside": ({"output": "../x.ttl"}, "outside the workspace"),
            "symlink": ({"output": "escape/x.ttl"}, "outside the workspace"),
            "unknown graph": ({"graph": f"{EX}nothing"}, "does not exist"),
            "extension": ({"output": "x.docx"}, "cannot tell the RDF format"),
            "state dir": ({"output": ".ggen/store/CURRENT", "format": "ntriples"}, ".ggen/ is protected"),
        }
        for label, (args, message) in cases.items():
            result = await client.call_tool("graph_export", args)
            assert result.is_error, label
            assert message in tool_text(result), (label, tool_text(result))
        assert not list(elsewhere.iterdir())
        still = await client.call_tool("graph_query", {"sparql": "ASK { ex:alice ?p ?o }"})
        assert still.structured_content["boolean"] is True
