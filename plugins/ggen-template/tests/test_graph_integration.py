"""Templates reading named graphs of the workspace store, and SHACL shapes (with the graph pack loaded)."""

from __future__ import annotations

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio

DATA = """
@prefix ex: <http://example.org/> .
ex:Book a ex:Class ; ex:label "Book" .
ex:Author a ex:Class ; ex:label "Author" .
"""

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:ClassShape a sh:NodeShape ; sh:targetClass ex:Class ;
  sh:property [ sh:path ex:label ; sh:minCount 1 ; sh:datatype <http://www.w3.org/2001/XMLSchema#string> ] .
"""


async def test_named_graph_from_the_store_and_shapes(ggen_host, ggen_client, workspace) -> None:
    write(
        workspace,
        "templates/classes.tmpl",
        """
        ---
        to: classes.txt
        graph: urn:test:onto
        prefixes: {ex: "http://example.org/"}
        sparql:
          classes: "SELECT ?label WHERE { ?c a ex:Class ; ex:label ?label } ORDER BY ?label"
        ---
        {{ sparql_results.classes | map(attribute='label') | join(',') }}
        """,
    )
    write(
        workspace,
        "templates/byinput.tmpl",
        """
        ---
        to: count.txt
        sparql: "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        ---
        {{ sparql_results.default[0].n }}
        """,
    )
    write(workspace, "shapes/classes.ttl", SHAPES)
    write(
        workspace,
        "templates/shaped.tmpl",
        """
        ---
        to: shaped.txt
        shape: ../shapes/classes.ttl
        graph: urn:test:onto
        rdf_inline: "<http://example.org/Broken> a <http://example.org/Class> ."
        ---
        never
        """,
    )
    write(
        workspace,
        "templates/shaped_ok.tmpl",
        """
        ---
        to: shaped_ok.txt
        shape: ../shapes/classes.ttl
        graph: urn:test:onto
        ---
        fine
        """,
    )
    async with ggen_client(ggen_host(["template", "graph"]), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "classes"})
        assert "urn:test:onto" in message and "graph_load" in message
        await call_ok(client, "graph_load", {"content": DATA, "format": "turtle", "graph": "urn:test:onto"})
        out = await call_ok(client, "project_gen", {"template": "classes"})
        assert out["files_created"] == ["classes.txt"]
        rendered = await call_ok(client, "template_render", {"template": "byinput", "graph": "urn:test:onto"})
        assert rendered["files"][0]["content"] == "4\n"
        message = await call_error(client, "template_render", {"template": "shaped"})
        assert "does not conform to shapes/classes.ttl" in message and "Broken" in message
        assert (await call_ok(client, "template_render", {"template": "shaped_ok"}))["files"][0]["content"] == "fine\n"
    assert (workspace / "classes.txt").read_text() == "Author,Book\n"
