"""The store operations and the SHACL function the worker processes run, called in-process.

The MCP tests drive them through the worker; these check their edge cases directly (and let coverage, which
does not follow the worker processes, see them).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from ggen_graph import store_worker
from ggen_graph.errors import GraphNotFound, QueryRefused, QuerySyntaxError, RdfSyntaxError, from_wire, to_wire
from ggen_graph.shacl import validate
from ggen_graph.store_ops import StoreOps
from graph_helpers import EX, TURTLE, ntriples

from ggen_mcp_core import ToolError


@pytest.fixture
def ops(tmp_path: Path) -> StoreOps:
    return StoreOps(ox.Store(str(tmp_path / "store")))


def test_load_count_graphs_clear(ops: StoreOps, tmp_path: Path) -> None:
    assert ops.ping() == "pong"
    assert ops.load(format="turtle", data=TURTLE.encode()) == {"triples_added": 8, "graph_size": 8}
    path = tmp_path / "n.nt"
    path.write_text(ntriples(5))
    assert ops.load(format="ntriples", path=str(path), graph="urn:g", bulk=True)["graph_size"] == 5
    assert ops.load(format="ntriples", data=ntriples(2).encode(), graph="urn:g", replace=True)["graph_size"] == 2
    trig = f"<{EX}a> <{EX}p> <{EX}b> . <urn:h> {{ <{EX}c> <{EX}p> <{EX}d> . }}".encode()
    assert ops.load(format="trig", data=trig) == {"triples_added": 2, "graph_size": 12}
    with pytest.raises(ToolError, match="names its own graphs"):
        ops.load(format="nquads", data=b"", graph="urn:x")
    assert ops.graphs() == [(None, 9), ("urn:g", 2), ("urn:h", 1)]
    assert ops.count_all() == 12
    assert ops.clear(graph="urn:g") == 2
    assert ops.clear(graph=None) == 9
    with pytest.raises(GraphNotFound, match="named graphs: urn:h"):
        ops.clear(graph="urn:g")
    with pytest.raises(RdfSyntaxError) as error:
        ops.load(format="ntriples", data=b"<urn:a> <urn:b> .")
    assert error.value.line == 1
    with pytest.raises(ToolError, match="not a valid IRI"):
        ops.count("not an iri")


def test_query_update_export(ops: StoreOps) -> None:
    ops.load(format="turtle", data=TURTLE.encode(), graph="urn:people")
    prefixes = {"ex": EX}
    result = ops.query(
        sparql="SELECT ?s WHERE { ?s a ex:Person } ORDER BY ?s",
        limit=1,
        timeout=5,
        graph="urn:people",
        prefixes=prefixes,
    )
    assert result.variables == ["s"] and result.rows == [[f"{EX}alice"]] and result.truncated
    assert ops.query(sparql="ASK { ?s ?p ?o }", limit=1, timeout=5) is False
    with pytest.raises(GraphNotFound):
        ops.query(sparql="ASK { ?s ?p ?o }", limit=1, timeout=5, graph="urn:none")
    with pytest.raises(QueryRefused, match="must be selected"):
        ops.query(sparql="SELECT ?s WHERE { ?s ?p ?o }", limit=1, timeout=5, bindings={"o": "x"})
    with pytest.raises(ToolError, match="invalid binding"):
        ops.query(sparql="SELECT * WHERE { ?s ?p ?o }", limit=1, timeout=5, bindings={"not a name": "x"})
    with pytest.raises(QuerySyntaxError):
        ops.query(sparql="SELECT", limit=1, timeout=5)
    assert ops.update(sparql="INSERT DATA { ex:x ex:y ex:z }", prefixes=prefixes) == {"before": 8, "after": 9}
    with pytest.raises(QuerySyntaxError):
        ops.update(sparql="INSERT DATA {")
    exported = ops.export(format="turtle", max_bytes=10_000, graph="urn:people", prefixes=prefixes)
    assert exported["triples"] == 8 and exported["data"].startswith(b"@prefix ex:")
    cut = ops.export(format="nquads", max_bytes=50)
    assert len(cut["data"]) == 50 and cut["total_bytes"] > 50 and cut["triples"] == 9
    with pytest.raises(GraphNotFound):
        ops.export(format="turtle", max_bytes=10, graph="urn:none")


def test_errors_cross_the_process_boundary() -> None:
    for error in (RdfSyntaxError("bad", 3, 4), QuerySyntaxError("worse", 1, 2), QueryRefused("no")):
        back = from_wire(*to_wire(error))
        assert type(back) is type(error) and str(back) == str(error)
    assert "the graph store failed: KeyError" in str(from_wire(*to_wire(KeyError("x"))))
    assert "open in another process" in store_worker._open_error("/x", OSError("lock hold by current process"))
    with pytest.raises(ValueError, match="unknown store operation"):
        store_worker._dispatch(StoreOps(ox.Store()), "_drop", {})


SHAPES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
ex:S a sh:NodeShape ; sh:targetClass ex:Person ;
  sh:property [ sh:path ex:age ; sh:minCount 1 ; sh:severity sh:Warning ] ."""


def test_shacl_validate_function() -> None:
    data = "".join(f"{q.triple} .\n" for q in ox.parse(TURTLE.encode(), ox.RdfFormat.TURTLE)).encode()
    report = validate(data=data, shapes=SHAPES.encode(), shapes_format="turtle", max_violations=10)
    assert report["conforms"] is True and report["total"] == 1  # warnings are listed, not failures
    assert report["violations"][0]["severity"] == "Warning"
    with pytest.raises(ToolError, match="no sh:NodeShape"):
        validate(data=data, shapes=b"<urn:a> <urn:b> <urn:c> .", shapes_format="ntriples", max_violations=1)
    with pytest.raises(RdfSyntaxError):
        validate(data=data, shapes=b"@prefix", shapes_format="turtle", max_violations=1)


AWKWARD = (
    f'<{EX}a> <{EX}p> "line\\nbreak \\u0001 \\"quoted\\" back\\\\slash caf\\u00e9 \\u6f22" .\n'
    f'<{EX}a> <{EX}p> "" .\n<{EX}a> <{EX}q> _:b .\n_:b <{EX}p> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    f'<{EX}a> <{EX}r> "hi"@en .\n'
)


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT ?s ?p ?o ?unbound WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o } LIMIT 0",
        "SELECT * WHERE {}",
        'SELECT ?t WHERE { BIND(<<( <urn:a> <urn:b> "c" )>> AS ?t) }',
    ],
)
def test_the_workers_json_size_of_the_rows_is_what_the_host_writes(ops: StoreOps, sparql: str) -> None:
    """The size the tool bounds its result with (no walk of the rows) against the host's real encoder: exact
    for rows (escapes, multi-byte text, null, empty values), an upper bound for typed cells."""
    import pydantic_core
    from ggen_graph.results import indented_size, typed_size_bound

    ops.load(format="ntriples", data=AWKWARD.encode())
    result = ops.query(sparql=sparql, limit=100, timeout=10, typed=True)

    def written(field: str, value: object) -> int:  # the field's bytes in the indented result document
        return (
            len(pydantic_core.to_json({"x": 1, field: value}, indent=2))
            - len(pydantic_core.to_json({"x": 1, field: []}, indent=2))
            + 2
        )

    columns = len(result.variables)
    assert indented_size(result.rows_json_bytes, result.count, columns) == written("rows", result.rows)
    assert result.typed_rows is not None
    assert typed_size_bound(result.typed_json_bytes, result.count, columns) >= written("typed_rows", result.typed_rows)
    untyped = ops.query(sparql=sparql, limit=100, timeout=10, typed=False)
    assert untyped.typed_rows is None and untyped.rows == result.rows


def test_worker_frames_carry_select_results_as_plain_values_and_the_rest_as_pickles(ops: StoreOps) -> None:
    """A SELECT answer crosses the pipe marshalled (rows, typed cells, sizes intact); requests, notices, other
    answers and errors are pickles, as before."""
    from ggen_graph.worker_frames import MARSHALLED, decode, encode

    ops.load(format="ntriples", data=AWKWARD.encode())
    result = ops.query(sparql="SELECT ?s ?p ?o WHERE { ?s ?p ?o }", limit=100, timeout=10, typed=True)
    frame = encode((7, True, result))
    assert frame[:1] == MARSHALLED and decode(frame) == (7, True, result)
    for message in [
        (8, "query", {"sparql": "ASK {}", "bindings": None}),
        (9, None, ("progress", 1, 2, "parsing")),
        (10, True, True),
        (11, False, to_wire(QuerySyntaxError("bad", 1, 2))),
    ]:
        frame = encode(message)
        assert frame[:1] == b"\x80" and decode(frame) == message
