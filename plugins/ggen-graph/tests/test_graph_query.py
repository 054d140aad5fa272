"""graph_query through an MCP session: forms, bindings, caps, refusals, syntax errors."""

from __future__ import annotations

import pytest
from graph_helpers import EX, TURTLE, ntriples

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(graph_host, ggen_client):
    async with ggen_client(graph_host(default_limit=50, max_limit=100), mode="legacy") as session:
        loaded = await session.call_tool("graph_load", {"content": TURTLE})
        assert not loaded.is_error, tool_text(loaded)
        yield session


async def query(client, **args):
    result = await client.call_tool("graph_query", args)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def refused(client, **args) -> str:
    result = await client.call_tool("graph_query", args)
    assert result.is_error, result.structured_content
    return tool_text(result)


async def test_select_rows_and_types(client) -> None:
    data = await query(client, sparql="SELECT ?p ?o WHERE { ex:alice ?p ?o } ORDER BY ?p", typed=True)
    assert data["form"] == "SELECT" and data["variables"] == ["p", "o"] and data["count"] == 4
    by_predicate = dict(data["rows"])
    assert by_predicate[f"{EX}age"] == "42"
    assert by_predicate[f"{EX}knows"] == f"{EX}bob"
    typed = {p["value"]: o for p, o in data["typed_rows"]}
    assert typed[f"{EX}age"] == {
        "value": "42",
        "type": "literal",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }
    assert typed[f"{EX}age"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert typed[f"{EX}name"]["language"] == "en"
    assert typed[f"{EX}knows"]["type"] == "iri"
    assert (await query(client, sparql="SELECT ?s WHERE { ?s ?p ?o }")).get("typed_rows") is None


async def test_unbound_optional_is_null(client) -> None:
    data = await query(client, sparql="SELECT ?s ?age WHERE { ?s a ex:Person OPTIONAL { ?s ex:age ?age } } ORDER BY ?s")
    assert data["variables"] == ["s", "age"] and data["rows"] == [[f"{EX}alice", "42"], [f"{EX}bob", None]]


async def test_ask_construct_describe(client) -> None:
    assert (await query(client, sparql="ASK { ex:alice ex:knows ex:bob }"))["boolean"] is True
    assert (await query(client, sparql="ASK { ex:bob ex:knows ex:alice }"))["boolean"] is False
    built = await query(client, sparql="CONSTRUCT { ?b ex:knownBy ?a } WHERE { ?a ex:knows ?b }")
    assert built["form"] == "CONSTRUCT" and built["count"] == 1
    assert built["ntriples"] == f"<{EX}bob> <{EX}knownBy> <{EX}alice> .\n"
    described = await query(client, sparql="DESCRIBE ex:bob")
    assert described["form"] == "DESCRIBE" and described["count"] == 2


async def test_bindings_are_terms_not_text(client) -> None:
    sparql = "SELECT ?s ?type WHERE { ?s a ?type }"
    data = await query(client, sparql=sparql, bindings={"type": f"{EX}Company"})
    assert data["rows"] == [[f"{EX}acme", f"{EX}Company"]]
    data = await query(client, sparql="SELECT ?s ?n WHERE { ?s ex:name ?n }", bindings={"?n": '"Alice"@en'})
    assert data["rows"] == [[f"{EX}alice", "Alice"]]
    typed = '"42"^^<http://www.w3.org/2001/XMLSchema#integer>'
    data = await query(client, sparql="SELECT ?s ?a WHERE { ?s ex:age ?a }", bindings={"a": typed})
    assert data["count"] == 1
    hostile = '"} } ; DROP ALL ; SELECT * { ?x ?y "'
    data = await query(client, sparql="SELECT ?s ?n WHERE { ?s ex:name ?n }", bindings={"n": hostile})
    assert data["count"] == 0
    data = await query(client, sparql="SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", bindings={"s": "<> } UNION { ?s ?p ?o"})
    assert data["count"] == 0
    assert (await query(client, sparql="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))["rows"] == [["8"]]
    assert "SELECT projection" in await refused(client, sparql="SELECT ?s WHERE { ?s a ?t }", bindings={"t": "urn:x"})
    assert "variable name" in await refused(client, sparql="SELECT * WHERE { ?s ?p ?o }", bindings={"a b": "x"})


async def test_row_cap(client, graph_host) -> None:
    await client.call_tool("graph_load", {"content": ntriples(300), "format": "ntriples", "graph": "urn:many"})
    data = await query(client, sparql="SELECT ?s WHERE { ?s ?p ?o }", graph="urn:many")
    assert data["count"] == 50 and data["truncated"] is True and data["limit"] == 50
    data = await query(client, sparql="SELECT ?s WHERE { ?s ?p ?o }", graph="urn:many", limit=5000)
    assert data["count"] == 100 and data["truncated"] is True and data["limit"] == 100
    data = await query(client, sparql="SELECT ?s WHERE { ?s ?p ?o } LIMIT 7", graph="urn:many")
    assert data["count"] == 7 and data["truncated"] is False
    built = await query(client, sparql="CONSTRUCT WHERE { ?s ?p ?o }", graph="urn:many", limit=3)
    assert built["count"] == 3 and built["truncated"] is True and built["ntriples"].count("\n") == 3


async def test_unknown_graph_names_the_loaded_ones(client) -> None:
    await client.call_tool("graph_load", {"content": "<urn:a> <urn:b> <urn:c> .", "graph": "urn:real"})
    text = await refused(client, sparql="SELECT * WHERE { ?s ?p ?o }", graph="urn:missing")
    assert "urn:missing" in text and "urn:real" in text


async def test_refused_clauses_are_named(client) -> None:
    cases = {
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }": "INSERT",
        "DELETE WHERE { ?s ?p ?o }": "DELETE",
        "LOAD <http://127.0.0.1:9/x.ttl>": "LOAD",
        "CLEAR ALL": "CLEAR",
        "DROP GRAPH <urn:g>": "DROP",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }": "SERVICE <http://127.0.0.1:9/sparql>",
        "select * where { service silent <http://x.test/q> { ?s ?p ?o } }": "SERVICE <http://x.test/q>",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }": "SERVICE ?variable",
        "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }": "FROM <http://127.0.0.1:9/data.ttl>",
        "SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { GRAPH ?g { ?s ?p ?o } }": "FROM NAMED <http://127.0.0.1:9/g>",
    }
    for sparql, clause in cases.items():
        assert clause in await refused(client, sparql=sparql), sparql


async def test_keywords_inside_strings_iris_and_comments_are_fine(client) -> None:
    sparql = (
        'SELECT ?s WHERE { ?s ?p ?o FILTER(?o != "SERVICE <x> FROM LOAD INSERT") '
        "FILTER(?p != <http://example.org/service/FROM>) } # DROP ALL; SERVICE <http://x>\nLIMIT 1"
    )
    assert (await query(client, sparql=sparql))["count"] == 1


async def test_sparql_syntax_error_has_line_and_column(client) -> None:
    text = await refused(client, sparql="SELECT ?s\nWHERE {\n  ?s ?p \n}")
    assert "line 4" in text and "column" in text


async def test_a_misspelled_form_is_named_at_its_position(client) -> None:
    text = await refused(client, sparql="PREFIX x: <urn:x:>\nSELEC ?s WHERE { ?s ?p ?o }")
    assert "(line 2, column 1)" in text and "`SELEC` is no SPARQL form" in text and "SELECT" in text


async def test_an_unknown_prefix_is_named_in_a_short_message(client) -> None:
    text = await refused(client, sparql="SELECT ?s WHERE {\n  ?s nope:name ?o }")
    assert "unknown prefix `nope:`" in text and "line 2" in text
    assert "\\u{" not in text and len(text) < 200, text


async def test_a_syntax_error_lists_few_expected_tokens_and_what_was_found(client) -> None:
    text = await refused(client, sparql="SELECT ?s WHERE { ?s ?p ?o ")
    assert "line 1, column 28" in text and "found the end of the text" in text
    assert "error at" not in text and "[" not in text, text


async def test_query_length_cap(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(max_query_bytes=100), mode="legacy") as client:
        text = await refused(client, sparql="SELECT * WHERE { ?s ?p ?o } " + "#" * 200)
        assert "longer than 100 bytes" in text


async def test_service_allowlist(graph_host, ggen_client) -> None:
    host = graph_host(allow_service=True, service_allowlist=["http://127.0.0.1:9/allowed"])
    async with ggen_client(host, mode="legacy") as client:
        text = await refused(client, sparql="SELECT * WHERE { SERVICE <http://127.0.0.1:9/other> { ?s ?p ?o } }")
        assert "not an allowed endpoint" in text and "http://127.0.0.1:9/allowed" in text


async def test_rows_are_cut_to_the_hosts_result_cap(ggen_host, ggen_client) -> None:
    host = ggen_host(["graph"], limits={"max_result_bytes": 20_000})
    async with ggen_client(host, mode="legacy") as client:
        await client.call_tool("graph_load", {"content": ntriples(2_000), "format": "ntriples"})
        result = await client.call_tool("graph_query", {"sparql": "SELECT ?s ?o WHERE { ?s ?p ?o }"})
        assert not result.is_error, tool_text(result)
        data = result.structured_content
        assert data["truncated"] is True and 64 <= data["count"] < 1000 and len(data["rows"]) == data["count"]
        assert len(tool_text(result).encode()) <= 20_000
        typed = await client.call_tool("graph_query", {"sparql": "SELECT ?s ?o WHERE { ?s ?p ?o }", "typed": True})
        assert not typed.is_error, tool_text(typed)
        cut = typed.structured_content
        assert cut["truncated"] is True and 0 < cut["count"] < data["count"] and len(cut["typed_rows"]) == cut["count"]
        assert len(tool_text(typed).encode()) <= 20_000
        built = await client.call_tool("graph_query", {"sparql": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert not built.is_error and built.structured_content["truncated"] is True
        assert built.structured_content["ntriples"].count("\n") == built.structured_content["count"]
        exported = await client.call_tool("graph_export", {"format": "ntriples"})
        assert not exported.is_error and exported.structured_content["truncated"] is True


async def test_a_repeated_query_is_answered_from_the_cache_until_a_write(client) -> None:
    from ggen_graph.result_cache import LOOKUPS

    def hits() -> float:
        return LOOKUPS.labels(outcome="hit")._value.get()

    sparql = "SELECT ?s WHERE { ?s a ex:Person } ORDER BY ?s"
    first = await query(client, sparql=sparql)
    before = hits()
    assert (await query(client, sparql=sparql))["rows"] == first["rows"]
    assert hits() == before + 1
    other = await query(client, sparql=sparql, limit=1)  # other arguments: not the cached answer
    assert other["count"] == 1 and hits() == before + 1
    updated = await client.call_tool("graph_update", {"sparql": "INSERT DATA { ex:carol a ex:Person }"})
    assert not updated.is_error, tool_text(updated)
    after = await query(client, sparql=sparql)
    assert after["count"] == first["count"] + 1 and hits() == before + 1
