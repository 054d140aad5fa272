"""graph_validate: SHACL with pyshacl in the validator worker."""

from __future__ import annotations

import pytest
from graph_helpers import EX, TURTLE, write

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

SHAPES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <{EX}> .
ex:PersonShape a sh:NodeShape ;
  sh:targetClass ex:Person ;
  sh:property [ sh:path ex:age ; sh:minCount 1 ; sh:datatype xsd:integer ; sh:message "a person needs an age" ] ;
  sh:property [ sh:path ex:name ; sh:maxCount 1 ] .
"""


async def test_violations_are_reported(graph_host, ggen_client, ggen_workspace) -> None:
    write(ggen_workspace, "shapes/person.ttl", SHAPES)
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE, "graph": "urn:people"})
        result = await client.call_tool("graph_validate", {"shapes": "shapes/person.ttl", "graph": "urn:people"})
        assert not result.is_error, tool_text(result)
        report = result.structured_content
        assert report["conforms"] is False and report["violation_count"] == 1
        assert report["triples_checked"] == 8
        violation = report["violations"][0]
        assert violation["focus_node"] == f"{EX}bob"
        assert violation["path"] == f"{EX}age"
        assert violation["message"] == "a person needs an age"
        assert violation["severity"] == "Violation"
        assert violation["source_shape"].startswith("_:")
        assert violation["constraint"] == "MinCountConstraintComponent"
        insert = "INSERT DATA { GRAPH <urn:people> { ex:bob ex:age 7 } }"
        fixed = await client.call_tool("graph_update", {"sparql": insert})
        assert not fixed.is_error
        again = await client.call_tool("graph_validate", {"shapes_content": SHAPES, "graph": "urn:people"})
        assert again.structured_content["conforms"] is True and again.structured_content["violations"] == []


async def test_validate_errors(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        bad = await client.call_tool("graph_validate", {"shapes_content": "@prefix sh: <urn:x#> .\nsh:a sh:b"})
        assert bad.is_error and "line 2" in tool_text(bad)
        empty = await client.call_tool("graph_validate", {"shapes_content": "<urn:a> <urn:b> <urn:c> ."})
        assert empty.is_error and "no sh:NodeShape" in tool_text(empty)
        both = await client.call_tool("graph_validate", {"shapes": "a.ttl", "shapes_content": SHAPES})
        assert both.is_error and "exactly one" in tool_text(both)
        missing = await client.call_tool("graph_validate", {"shapes_content": SHAPES, "graph": "urn:none"})
        assert missing.is_error and "does not exist" in tool_text(missing)
