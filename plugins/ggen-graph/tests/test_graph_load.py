"""graph_load through an MCP session: formats, graphs, replace, caps, syntax errors, hostile inputs."""

from __future__ import annotations

import json

import pytest
from graph_helpers import EX, TURTLE, ntriples, write

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

RDFXML = f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">
  <rdf:Description rdf:about="{EX}carol"><ex:name>Carol</ex:name></rdf:Description>
</rdf:RDF>
"""
JSONLD = json.dumps({"@id": f"{EX}dave", f"{EX}name": "Dave"})
TRIG = f"<{EX}g1> {{ <{EX}a> <{EX}p> 1 . }}\n<{EX}g2> {{ <{EX}b> <{EX}p> 2 . <{EX}c> <{EX}p> 3 . }}\n"


async def count(client, graph: str | None = None) -> int:
    args = {"sparql": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
    if graph:
        args["graph"] = graph
    result = await client.call_tool("graph_query", args)
    assert not result.is_error, tool_text(result)
    return int(result.structured_content["rows"][0][0])


async def test_every_format_by_extension(graph_host, ggen_client, ggen_workspace) -> None:
    write(ggen_workspace, "data/people.ttl", TURTLE)
    write(ggen_workspace, "data/more.nt", ntriples(5))
    write(ggen_workspace, "data/carol.rdf", RDFXML)
    write(ggen_workspace, "data/dave.jsonld", JSONLD)
    write(ggen_workspace, "data/set.trig", TRIG)
    write(ggen_workspace, "data/set.nq", f"<{EX}x> <{EX}p> <{EX}y> <{EX}g3> .\n")
    expected = {
        "people.ttl": ("turtle", 8),
        "more.nt": ("ntriples", 5),
        "carol.rdf": ("rdfxml", 1),
        "dave.jsonld": ("jsonld", 1),
        "set.trig": ("trig", 3),
        "set.nq": ("nquads", 1),
    }
    async with ggen_client(graph_host(), mode="legacy") as client:
        for name, (fmt, added) in expected.items():
            result = await client.call_tool("graph_load", {"file": f"data/{name}"})
            assert not result.is_error, tool_text(result)
            assert result.structured_content["format"] == fmt
            assert result.structured_content["triples_added"] == added, name
        assert await count(client) == 15
        assert await count(client, f"{EX}g2") == 2


async def test_named_graph_replace_and_base_iri(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        args = {"content": "<a> <p> <b> .", "format": "turtle", "graph": "urn:g", "base_iri": EX}
        first = await client.call_tool("graph_load", args)
        assert first.structured_content == {**first.structured_content, "triples_added": 1, "graph_size": 1}
        again = await client.call_tool("graph_load", {**args, "content": "<a> <p> <b> . <a> <p> <c> ."})
        assert again.structured_content["triples_added"] == 1
        assert again.structured_content["graph_size"] == 2
        replaced = await client.call_tool("graph_load", {**args, "content": "<z> <p> <z> .", "replace": True})
        assert replaced.structured_content["graph_size"] == 1
        rows = await client.call_tool("graph_query", {"sparql": "SELECT ?s WHERE { ?s ?p ?o }", "graph": "urn:g"})
        assert rows.structured_content["rows"] == [[f"{EX}z"]]
        assert await count(client) == 0  # nothing leaked into the default graph


async def test_turtle_syntax_error_has_line_and_column(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        bad = "@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:d ex:e \n ex:f ex:g ."
        result = await client.call_tool("graph_load", {"content": bad, "format": "turtle"})
        assert result.is_error
        assert "line 4" in tool_text(result)
        assert "column" in tool_text(result)
        assert await count(client) == 0  # the load was transactional


async def test_inputs_that_must_be_refused(graph_host, ggen_client, ggen_workspace, tmp_path) -> None:
    outside = tmp_path / "secret.ttl"
    outside.write_text("<urn:a> <urn:b> <urn:c> .")
    (ggen_workspace / "link.ttl").symlink_to(outside)
    write(ggen_workspace, "big.nt", ntriples(200))
    write(ggen_workspace, "notes.txt", "hello")
    cases = {
        "url": ({"file": "http://127.0.0.1:9/data.ttl"}, "never fetches"),
        "file url": ({"file": "file:///etc/passwd"}, "never fetches"),
        "dotdot": ({"file": "../secret.ttl"}, "outside the workspace"),
        "symlink": ({"file": "link.ttl"}, "outside the workspace"),
        "absolute": ({"file": str(outside)}, "outside the workspace"),
        "missing": ({"file": "nope.ttl"}, "does not exist"),
        "size cap": ({"file": "big.nt"}, "the limit is 1000"),
        "content cap": ({"content": ntriples(50), "format": "ntriples"}, "the limit is 1000"),
        "extension": ({"file": "notes.txt"}, "cannot tell the RDF format"),
        "both": ({"file": "big.nt", "content": "x"}, "exactly one of file and content"),
        "neither": ({"format": "turtle"}, "exactly one of file and content"),
        "bad graph": ({"content": "", "graph": "not an iri"}, "graph"),
        "bad base": ({"content": "<a> <b> <c> .", "base_iri": "no scheme"}, "base_iri"),
    }
    async with ggen_client(graph_host(max_load_bytes=1000), mode="legacy") as client:
        for label, (args, message) in cases.items():
            result = await client.call_tool("graph_load", args)
            assert result.is_error, label
            assert message in tool_text(result), (label, tool_text(result))
        assert await count(client) == 0


async def test_jsonld_remote_context_is_not_fetched(graph_host, ggen_client) -> None:
    doc = json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": f"{EX}x", "name": "x"})
    async with ggen_client(graph_host(), mode="legacy") as client:
        result = await client.call_tool("graph_load", {"content": doc, "format": "jsonld"})
        assert result.is_error
        assert "never fetched" in tool_text(result)


async def test_rdfxml_external_entity_is_not_resolved(graph_host, ggen_client, ggen_workspace) -> None:
    secret = write(ggen_workspace, "secret.txt", "TOP-SECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/a"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>'
    )
    async with ggen_client(graph_host(), mode="legacy") as client:
        result = await client.call_tool("graph_load", {"content": doc, "format": "rdfxml"})
        assert result.is_error
        assert "entit" in tool_text(result).lower()
        dump = await client.call_tool("graph_export", {"format": "ntriples"})
        assert "TOP-SECRET" not in tool_text(dump)


async def test_bulk_loader_path(graph_host, ggen_client, ggen_workspace) -> None:
    write(ggen_workspace, "bulk.nt", ntriples(3000))
    async with ggen_client(graph_host(bulk_load_bytes=1), mode="legacy") as client:
        result = await client.call_tool("graph_load", {"file": "bulk.nt", "graph": "urn:bulk"})
        assert not result.is_error, tool_text(result)
        assert result.structured_content["triples_added"] == 3000
        assert await count(client, "urn:bulk") == 3000
