"""The in-memory library other packs use (ggen_graph.engine): a direct API, so tested directly."""

from __future__ import annotations

import pytest
from ggen_graph.engine import (
    FORMATS,
    InputRejected,
    MemoryGraph,
    QueryRefused,
    QueryTimeout,
    RdfInput,
    RdfSyntaxError,
    check_read_only_query,
    format_from_name,
)
from ggen_graph.errors import GraphGone, QuerySyntaxError
from ggen_graph.memory_graphs import MAX_GRAPHS
from ggen_graph.template_graphs import template_graph_worker
from graph_helpers import EX, TURTLE, ntriples

from ggen_mcp_core import ToolError


def people() -> MemoryGraph:
    graph = MemoryGraph()
    graph.add_prefixes({"ex": EX})
    assert graph.load(TURTLE, "turtle") == 8
    return graph


def test_formats_and_names() -> None:
    assert set(FORMATS) == {"turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"}
    assert format_from_name("TTL") == "turtle" and format_from_name("json-ld") == "jsonld"
    assert format_from_name(None, "a/b/model.owl") == "rdfxml"
    assert format_from_name(None, "x.nq") == "nquads"
    with pytest.raises(ValueError, match="unknown RDF format 'n3x'"):
        format_from_name("n3x")
    with pytest.raises(ValueError, match="cannot tell the RDF format"):
        format_from_name(None, "README")


def test_select_ask_construct_with_prefixes_and_bindings() -> None:
    graph = people()
    assert len(graph) == 8
    result = graph.select("SELECT ?s ?t WHERE { ?s a ?t } ORDER BY ?s", bindings={"t": f"{EX}Person"})
    assert result.variables == ["s", "t"] and result.column("s") == [f"{EX}alice", f"{EX}bob"]
    assert [row["s"] for row in result.records()] == [f"{EX}alice", f"{EX}bob"]
    assert result.typed_rows is not None and result.typed_rows[0][1]["type"] == "iri" and not result.truncated
    named = graph.select("SELECT ?n WHERE { ex:alice ex:name ?n }").typed_rows
    assert named == [[{"value": "Alice", "type": "literal", "language": "en"}]]
    assert graph.ask("ASK { ex:alice ex:knows ?x }") is True
    assert graph.ask("ASK { ?s ?p ?o }", bindings={"o": '"Carol"'}) is False
    built = graph.construct("CONSTRUCT { ?o ex:knownBy ?s } WHERE { ?s ex:knows ?o }")
    assert built.count == 1 and built.ntriples.startswith(f"<{EX}bob>")
    with pytest.raises(QueryRefused, match="select\\(\\) needs a SELECT"):
        graph.select("ASK {}")


def test_named_graph_load_and_row_cap() -> None:
    graph = MemoryGraph()
    assert graph.load(ntriples(30), "ntriples", graph="urn:g") == 30
    assert graph.select("SELECT * WHERE { ?s ?p ?o }").rows == []
    capped = graph.select("SELECT * WHERE { GRAPH <urn:g> { ?s ?p ?o } }", limit=10)
    assert capped.count == 10 and capped.truncated


def test_errors_are_tool_errors_with_positions() -> None:
    graph = MemoryGraph(max_input_bytes=100)
    with pytest.raises(RdfSyntaxError) as bad:
        graph.load("<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .", "ntriples")
    assert isinstance(bad.value, ToolError) and bad.value.line == 2
    with pytest.raises(ValueError, match="over the 100-byte cap"):
        graph.load("#" * 101)
    with pytest.raises(QuerySyntaxError) as query_error:
        graph.select("SELECT *\nWHERE { ?s }")
    assert query_error.value.line == 2
    with pytest.raises(QueryRefused, match="SERVICE"):
        graph.select("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")


@pytest.mark.parametrize(
    ("sparql", "clause"),
    [
        ("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }", "FROM <urn:g>"),
        ("SELECT * FROM NAMED ex:g WHERE { ?s ?p ?o }", "FROM NAMED ex:g"),
        ("SELECT * { ?s ?p ?o . sErViCe <http://x.test/> { } }", "SERVICE <http://x.test/>"),
    ],
)
def test_guard_names_the_clause(sparql: str, clause: str) -> None:
    with pytest.raises(QueryRefused, match=clause.replace("?", "\\?")):
        check_read_only_query(sparql)


@pytest.mark.parametrize(
    ("sparql", "clause"),
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "INSERT"),
        ("PREFIX x: <urn:x#> WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("LOAD <http://x.test/>", "LOAD"),
    ],
)
def test_updates_never_run_as_queries(sparql: str, clause: str) -> None:
    """The engine's query parser refuses an update; for a remote endpoint (which might run it) the guard does."""
    with pytest.raises(QuerySyntaxError):
        MemoryGraph().query(sparql)
    with pytest.raises(QueryRefused, match=clause):
        check_read_only_query(sparql, remote=True)


@pytest.mark.parametrize(
    "sparql",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x> INSERT" }',
        "SELECT * WHERE { ?s ?p '''multi\nline FROM <x> LOAD''' }",
        "SELECT * WHERE { ?s <http://example.org/INSERT/SERVICE> ?o } # FROM <urn:x>",
        "SELECT ?service ?from WHERE { ?service ex:load ?from }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 5 && ?o > 1) }",
    ],
)
def test_guard_lets_lookalikes_through(sparql: str) -> None:
    check_read_only_query(sparql)


def test_service_allowlist() -> None:
    allowed = ["http://127.0.0.1:9/sparql"]
    check_read_only_query(
        "SELECT * { SERVICE <http://127.0.0.1:9/sparql> {} }", allow_service=True, service_allowlist=allowed
    )
    check_read_only_query("SELECT * { SERVICE <http://anything.test/> {} }", allow_service=True)
    with pytest.raises(QueryRefused, match="not an allowed endpoint"):
        check_read_only_query("SELECT * { SERVICE ?x {} }", allow_service=True, service_allowlist=allowed)


def test_deadline_kills_the_worker_and_other_graphs_load_again() -> None:
    """A query past its deadline stops (its worker is killed); other graphs are loaded again from their handles."""
    other = people()
    graph = MemoryGraph()
    graph.load(ntriples(1_500), "ntriples")
    worker = template_graph_worker()
    before = worker.pid
    square = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 2.25 M solutions: finite but slow
    with pytest.raises(QueryTimeout, match=r"query exceeded 0\.05 s"):
        graph.select(square, timeout=0.05)
    assert worker.pid is None or worker.pid != before
    assert other.ask("ASK { ex:alice ex:knows ex:bob }") is True
    assert worker.pid not in (None, before)
    assert graph.select(square, timeout=60).rows == [["2250000"]]


def test_an_evicted_graph_is_loaded_again_from_its_handle() -> None:
    first = people()
    others = [MemoryGraph() for _ in range(MAX_GRAPHS)]
    for graph in others:  # pushes `first` out of the worker's LRU
        graph.load("<urn:a> <urn:b> <urn:c> .", "ntriples")
    with pytest.raises(GraphGone):
        template_graph_worker().call("graph_dump", {"id": first.id}, timeout=30)
    assert first.ask("ASK { ex:alice ex:knows ex:bob }") is True
    assert len(first) == 8


def test_a_failed_batch_leaves_the_graph_as_it_was() -> None:
    graph = people()
    with pytest.raises(InputRejected) as rejected:
        graph.load_many([RdfInput(ntriples(5), "ntriples"), RdfInput("<urn:a> <urn:b> .", "ntriples")])
    assert rejected.value.index == 1 and isinstance(rejected.value.error, RdfSyntaxError)
    assert len(graph) == 8
    assert graph.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows == [["8"]]
    assert graph.load_many([RdfInput(ntriples(5), "ntriples")]) == [5]
    assert b"<http://example.org/s4>" in graph.ntriples()
