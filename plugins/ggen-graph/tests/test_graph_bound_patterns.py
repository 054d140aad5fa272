"""Bound values written into top-level triple patterns (ggen_graph.bound_patterns), checked against pyoxigraph.

Every rewritten text must give what pyoxigraph gives for the text as written with the same substitutions:
the same variables and the same rows (as a multiset; in the same order where ORDER BY fixes it), or both
must fail. The shapes below cover what the rewrite touches and what it must leave alone; the generated
queries mix them at random over a small graph.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyoxigraph as ox
import pytest
from ggen_graph.bound_patterns import MAX_TEXT, inline_bindings
from ggen_graph.store_ops import StoreOps
from ggen_graph.terms import substitutions
from graph_helpers import EX
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggen_mcp_core.testing import tool_text

XSD = "http://www.w3.org/2001/XMLSchema#"
DATA = f"""
@prefix ex: <{EX}> .
ex:a a ex:C ; ex:p 1 ; ex:n "a" ; ex:q ex:b .
ex:b a ex:C ; ex:p 2 ; ex:n "b"@en ; ex:q ex:c .
ex:c a ex:D ; ex:p 1 ; ex:n "quote \\" and\\nline" .
ex:d a ex:C ; ex:q ex:a ; ex:n "é\u00b7" .
ex:e a ex:D ; ex:p "1"^^<{XSD}string> .
_:x ex:q ex:a ; ex:p 3 .
ex:f ex:n "back\\\\u0022slash", "}} }} ; DROP ALL ; #" .
"""
PREFIX = f"PREFIX ex: <{EX}>\n"
TERMS = [
    f"<{EX}C>",
    f"<{EX}D>",
    f"<{EX}a>",
    f"<{EX}q>",
    f"<{EX}p>",
    f'"1"^^<{XSD}integer>',
    f'"2"^^<{XSD}integer>',
    '"a"',
    '"b"@en',
    '"quote \\" and\\nline"',
    '"é·"',
    f'"1"^^<{XSD}string>',
    f"<{EX}missing>",
    '"back\\\\u0022slash"',  # a backslash then u0022: must stay four characters, not become a quote
    '"} } ; DROP ALL ; #"',
    "<> } UNION { ?s ?p ?o",  # a plain literal
]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    graph = ox.Store()
    graph.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    return graph


def answer(store: ox.Store, sparql: str, subs: Any) -> Any:
    """Variables and rows of one query (rows as a multiset unless the query orders them), or the error type."""
    try:
        result = store.query(PREFIX + sparql, substitutions=subs)
        variables = [v.value for v in result.variables]
        rows = [tuple(None if t is None else str(t) for t in row) for row in result]
    except (SyntaxError, ValueError, RuntimeError) as exc:
        return type(exc).__name__
    return variables, rows if "ORDER BY" in sparql else Counter(rows)


def same_answer(store: ox.Store, sparql: str, bindings: dict[str, str]) -> bool:
    """Check one query both ways; True when the rewrite changed the text and pyoxigraph took it."""
    subs = substitutions(bindings)
    rewritten = inline_bindings(PREFIX + sparql, subs)
    expected = answer(store, sparql, subs)
    if rewritten is None:
        return False
    got = answer(store, rewritten[len(PREFIX) :], subs)
    if isinstance(got, str):  # a refused rewrite is run as written (StoreOps.query): never a wrong answer
        return False
    assert got == expected, (sparql, bindings, rewritten)
    return True


SHAPES = [
    "SELECT ?s ?t WHERE { ?s a ?t }",
    "SELECT ?s ?t ?v WHERE { ?s a ?t ; ex:p ?v }",
    "SELECT ?t ?v ?s ?n WHERE { ?s a ?t ; ex:p ?v ; ex:n ?n } ORDER BY ?n ?s",
    "SELECT ?t (COUNT(?s) AS ?c) WHERE { ?s a ?t } GROUP BY ?t",
    "SELECT DISTINCT ?t WHERE { ?s a ?t }",
    "SELECT ?s ?t ?n WHERE { ?s a ?t OPTIONAL { ?s ex:n ?n } }",
    "SELECT ?s ?t WHERE { ?s a ?t MINUS { ?s ex:p 2 } }",
    "SELECT ?s ?t WHERE { ?s a ?t MINUS { ?s a ?t } }",
    "SELECT ?s ?t ?x WHERE { ?s a ?t { SELECT ?x WHERE { ?x a ?t } } }",
    "SELECT ?s ?t WHERE { ?s a ?t FILTER NOT EXISTS { ?s ex:p ?t } }",
    "SELECT ?s ?t WHERE { { ?s a ?t } UNION { ?s ex:p ?t } }",
    "SELECT ?s ?t ?u WHERE { ?s a ?t BIND(STR(?t) AS ?u) }",
    "SELECT ?s ?t WHERE { ?s a ?t } VALUES ?t { ex:D }",
    "SELECT ?s ?t WHERE { ?s a ?t . ?s a ?t2 FILTER(?t2 = ?t) }",
    "SELECT ?s ?t WHERE { ?s a ?t . BIND(ex:D AS ?t) }",
    "SELECT ?t ?s WHERE { ?s ?t ?o }",
    "SELECT ?s ?t WHERE { ?s ex:q ?o . ?o ex:q ?t }",
    "SELECT ?s ?t WHERE { ?s ex:q/ex:q ?t }",
    "SELECT ?s ?t WHERE { ?s ex:q+ ?t }",
    "SELECT ?s ?t WHERE { ?s ^ex:q ?t }",
    "SELECT ?s ?t WHERE { ?s ex:q [ ex:q ?t ] }",
    "SELECT ?s ?t WHERE { [ ex:q ?t ] ex:q ?s }",
    "SELECT ?s ?t WHERE { ?t ex:q ?s ; ex:p ?v , ?w }",
    "SELECT ?t ?v WHERE { ?s ex:p ?v ; a ?t . FILTER(?v > 1) }",
    "SELECT ?t ?s WHERE { ?s ex:n ?t }",
    "SELECT ?t ?s WHERE { ?s ex:n ?t FILTER(LANG(?t) = 'en') }",
    "SELECT ?t ?g WHERE { GRAPH ?g { ?s a ?t } }",
    "SELECT ?t WHERE { ?s a ?t } ORDER BY ?t LIMIT 1",
    'SELECT ?t ?s WHERE { ?s ex:n "?t" ; a ?t } # ?t in a comment',
    "SELECT $t ?s WHERE { ?s a $t }",
    "SELECT ?t ?s WHERE { ?s a ?t . ?s ex:p?t }",
    "SELECT ?t ?s WHERE { ?s ex:p ?t ; ?t ?o }",
]


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_answers_as_written(store: ox.Store, shape: str) -> None:
    taken = [same_answer(store, shape, {"t": term}) for term in TERMS]
    if shape.startswith("SELECT ?t ?v ?s ?n"):  # the load benchmark's shape: every binding is written in
        assert all(taken)


def test_the_rewrite_writes_terms_only_into_top_level_triples() -> None:
    iri = {ox.Variable("t"): ox.NamedNode(f"{EX}C")}
    text = "SELECT ?t ?s WHERE { ?s a ?t ; ex:n '?t' . OPTIONAL { ?s ex:q ?t } FILTER(?t != ex:D) } ORDER BY ?t"
    assert inline_bindings(text, iri) == text.replace("a ?t", f"a <{EX}C>", 1)
    literal = {ox.Variable("t"): ox.Literal('say "hi"\n', language="en")}
    assert inline_bindings("SELECT ?t { ?s ex:n ?t }", literal) == 'SELECT ?t { ?s ex:n "say \\"hi\\"\\n"@en }'


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s a ?t }",  # the projection comes from the pattern
        "SELECT DISTINCT * { ?s a ?t }",
        "ASK { ?s a ?t }",
        "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t }",
        "DESCRIBE ?s WHERE { ?s a ?t }",
        "SELECT ?t WHERE { ?s a ?t BIND(1 AS ?t) }",  # an assigned variable
        "SELECT (1 AS ?t) WHERE { ?s a ?t }",
        "SELECT ?t WHERE { ?s a ?t",  # unbalanced
        "SELECT ?t WHERE { ?s a ?t ; ex:n 'open }",  # an unclosed string
        "SELECT ?t WHERE { ?s a \\u003Ft }",  # a character no terminal reads
        "SELECT ?t WHERE { OPTIONAL { ?s a ?t } }",  # only nested groups
        "SELECT ?t WHERE { ?s ex:p ?x FILTER(?x = ?t) }",  # only an expression
        "SELECT ?t WHERE { VALUES ?t { ex:C } GRAPH ?t { } }",  # keywords, not triples
        "SELECT ?t WHERE { ?s ex:p?t }",  # no space: ex:p? may be a path
        "SELECT ?t WHERE { ?s ex:p ?tt }",  # another variable
    ],
)
def test_texts_the_rewrite_leaves_alone(text: str) -> None:
    assert inline_bindings(text, {ox.Variable("t"): ox.NamedNode(f"{EX}C")}) is None


def test_long_texts_run_as_written() -> None:
    bound = {ox.Variable("t"): ox.NamedNode(f"{EX}C")}
    text = "SELECT ?t WHERE { ?s a ?t }"
    assert inline_bindings(text, bound) is not None
    padded = text + " #" + "x" * MAX_TEXT
    assert inline_bindings(padded, bound) is None


def test_blank_nodes_are_never_written_into_text() -> None:
    assert inline_bindings("SELECT ?t { ?s ex:q ?t }", {ox.Variable("t"): ox.BlankNode("x")}) is None
    assert inline_bindings("SELECT ?t { ?s ex:q ?t }", None) is None


_VAR = st.sampled_from(["?s", "?t", "?o", "?t2"])
_PREDICATE = st.sampled_from(["a", "ex:p", "ex:q", "ex:n", "?t", "ex:q/ex:q", "^ex:q", "ex:q*"])
_OBJECT = st.one_of(_VAR, st.sampled_from(["ex:C", "ex:a", "1", '"a"', "[ ex:q ?t ]", "[ a ?t ]"]))


@st.composite
def _triples(draw: st.DrawFn) -> str:
    subject = draw(st.one_of(_VAR, st.sampled_from(["ex:a", "[ ex:q ?t ]"])))
    pairs = [f"{draw(_PREDICATE)} {draw(_OBJECT)}" for _ in range(draw(st.integers(1, 3)))]
    return f"{subject} {' ; '.join(pairs)} ."


@st.composite
def _group(draw: st.DrawFn, depth: int = 0) -> str:
    parts = draw(st.lists(_triples(), min_size=1, max_size=3))
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["OPTIONAL", "MINUS", "UNION", "FILTER", "EXISTS", "BIND", "comment"]))
        if kind == "FILTER":
            parts.append(f"FILTER({draw(_VAR)} != {draw(_OBJECT)})")
        elif kind == "EXISTS":
            parts.append(f"FILTER NOT EXISTS {{ {draw(_triples())} }}")
        elif kind == "BIND":
            parts.append(f"BIND(STR({draw(_VAR)}) AS ?b{len(parts)})")
        elif kind == "comment":
            parts.append(f"# {draw(_VAR)} {{ \n")
        elif depth < 2:
            inner = draw(_group(depth + 1))
            other = draw(_triples())
            parts.append(f"{{ {inner} }} UNION {{ {other} }}" if kind == "UNION" else f"{kind} {{ {inner} }}")
    return " ".join(parts)


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    where=_group(),
    projection=st.sampled_from(["?s ?t", "?t", "DISTINCT ?t ?s", "?t (COUNT(*) AS ?c)"]),
    order=st.sampled_from(["", " ORDER BY ?t ?s", " LIMIT 2"]),
    term=st.sampled_from(TERMS),
)
def test_generated_queries_answer_as_written(
    store: ox.Store, where: str, projection: str, order: str, term: str
) -> None:
    grouped = " GROUP BY ?t" if "COUNT" in projection else ""
    if grouped and "?s" in order:
        order = " ORDER BY ?t"
    same_answer(store, f"SELECT {projection} WHERE {{ {where} }}{grouped}{order}", {"t": term})


def test_store_ops_runs_the_text_as_written_when_the_rewrite_is_refused(store: ox.Store) -> None:
    ops = StoreOps(store)
    sparql = PREFIX + "SELECT ?t ?o WHERE { ex:a ?t ?o }"
    literal = {"t": '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'}  # a literal cannot be a predicate
    assert inline_bindings(sparql, substitutions(literal)) is not None
    result = ops.query(sparql=sparql, limit=10, timeout=10.0, bindings=literal)
    assert result.variables == ["t", "o"] and result.rows == []
    bound = ops.query(sparql=sparql, limit=10, timeout=10.0, bindings={"t": f"<{EX}p>"})
    assert bound.rows == [[f"{EX}p", "1"]]


@pytest.mark.anyio
async def test_graph_query_with_bindings_through_a_session(graph_host, ggen_client) -> None:
    """The tool answers a bound query the rewrite changes, and one whose rewrite pyoxigraph refuses."""
    async with ggen_client(graph_host(), mode="legacy") as session:
        loaded = await session.call_tool("graph_load", {"content": DATA})
        assert not loaded.is_error, tool_text(loaded)
        sparql = PREFIX + "SELECT ?t ?v ?s WHERE { ?s a ?t ; ex:p ?v } ORDER BY ?s"
        result = await session.call_tool("graph_query", {"sparql": sparql, "bindings": {"t": "ex:C", "v": "1"}})
        assert not result.is_error, tool_text(result)
        assert result.structured_content["rows"] == []  # "1" is a string literal, ex:C not an IRI binding
        bindings = {"t": f"<{EX}C>", "v": f'"1"^^<{XSD}integer>'}
        result = await session.call_tool("graph_query", {"sparql": sparql, "bindings": bindings})
        assert result.structured_content["rows"] == [[f"{EX}C", "1", f"{EX}a"]]
        verb = PREFIX + "SELECT ?t ?o WHERE { ex:a ?t ?o }"
        result = await session.call_tool("graph_query", {"sparql": verb, "bindings": {"t": '"x"'}})
        assert not result.is_error, tool_text(result)
        assert result.structured_content["rows"] == []
