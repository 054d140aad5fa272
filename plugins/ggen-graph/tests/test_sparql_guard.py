"""The SPARQL guard: the prefilter's soundness argument, the nesting bound, and the known bypass payloads over MCP."""

from __future__ import annotations

import pytest
from ggen_graph.errors import QueryRefused
from ggen_graph.sparql_guard import UPDATE_NEEDLES, check_read_only_query, check_update, cleared
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ggen_mcp_core.testing import tool_text

SSRF = "http://127.0.0.1:9/sparql"
PAYLOAD_QUERY = (
    f"PREFIX ex: <http://example.org/>\nSELECT * WHERE {{ ex:a\\'b ?p ?o . SERVICE <{SSRF}> {{ ?s ?p ?o }} }}"
)
PAYLOAD_UPDATE = f"PREFIX ex: <http://example.org/>\nINSERT DATA {{ ex:a\\'b ex:p 1 }} ; LOAD <{SSRF}>"
PAYLOAD_UPDATE_SERVICE = (
    f"PREFIX ex: <http://example.org/>\nINSERT {{ ex:a\\'b ex:p ?o }} WHERE {{ SERVICE <{SSRF}> {{ ?s ?p ?o }} }}"
)

LETTER_FORMS = {"s": ["\u017f", "\\u0053", "\\U00000073"], "i": ["\u0131", "\\u0049"], "e": ["\\u0065", "\uff45"]}


@st.composite
def spelled(draw: st.DrawFn, word: str) -> str:
    """A keyword in any case, with any letter written as a codepoint escape or a Unicode case form."""
    out = []
    for char in word:
        forms = [char.lower(), char.upper(), f"\\u{ord(char):04x}", *LETTER_FORMS.get(char, [])]
        out.append(draw(st.sampled_from(forms)))
    return "".join(out)


@settings(max_examples=300, deadline=None)
@example(word="serv\u0131c\uff45", before="", after="\u0301")  # a combining mark must not hide the keyword
@given(
    word=st.sampled_from(["service", "from"]).flatmap(spelled),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_prefilter_sends_every_keyword_form_to_the_parser(word: str, before: str, after: str) -> None:
    """Whatever surrounds it, a text holding a keyword in any readable form is never cleared unparsed."""
    assert not cleared(f"{before}{word}{after}", "query")


@settings(max_examples=200, deadline=None)
@given(word=st.sampled_from(UPDATE_NEEDLES).flatmap(spelled), before=st.text(max_size=30))
def test_prefilter_sends_every_update_keyword_form_to_the_parser(word: str, before: str) -> None:
    assert not cleared(f"{before}{word} <x:y>", "update")


def test_prefilter_clears_ordinary_queries_without_parsing() -> None:
    assert cleared("PREFIX ex: <http://example.org/> SELECT ?s ?label WHERE { ?s ex:label ?label } LIMIT 10", "query")
    assert not cleared("SELECT ?from WHERE { ?from ?p ?o }", "query")  # a needle: parsed, then allowed
    check_read_only_query("SELECT ?from WHERE { ?from ex:download ?o }")


@pytest.mark.parametrize(
    "sparql",
    [
        PAYLOAD_QUERY,
        "SELECT * WHERE { \\u0053ERVICE <http://x.test/> { } }",
        "SELECT * WHERE { \u017fERVICE <http://x.test/> { } }",
        "SELECT * WHERE { ?s ?p '''it's''' . SERVICE <http://x.test/> { } }",
        'SELECT * WHERE { ?s ?p "a\\"b" # \'\n SERVICE <http://x.test/> { } }',
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://x.test/> { } } }",
        "SELECT * WHERE { { SELECT * WHERE { SERVICE ?endpoint { } } } }",
        # pyoxigraph: a string, then SERVICE; rdflib (escapes decoded first): one long string
        'SELECT * WHERE { BIND("a\\u005C" AS ?x) SERVICE <http://x.test/> { } BIND(" AS ?x) " AS ?y) # " ?p ?o\n }',
        # pyoxigraph ends the comment at CR, rdflib's own reading only at LF
        "SELECT * WHERE { BIND(1 AS ?x) # c\r SERVICE <http://x.test/> { } \n}",
        "SELECT * WHERE { \\U0053ERVICE <http://x.test/> { } }",  # rdflib reads \U with 4 digits
    ],
)
def test_guard_finds_service_behind_escapes(sparql: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_read_only_query(sparql)


def test_update_guard_finds_load_service_and_using() -> None:
    with pytest.raises(QueryRefused, match="LOAD is not allowed"):
        check_update(PAYLOAD_UPDATE)
    with pytest.raises(QueryRefused, match=r"SERVICE <http://127\.0\.0\.1:9/sparql> is not allowed in updates"):
        check_update(PAYLOAD_UPDATE_SERVICE)
    with pytest.raises(QueryRefused, match="USING NAMED <urn:g> is not allowed"):
        check_update("DELETE { ?s ?p ?o } USING NAMED <urn:g> WHERE { ?s ?p ?o }")
    check_update('INSERT DATA { <urn:a> <urn:b> "downloaded from the service" }')


def test_unparseable_text_with_a_keyword_fails_closed() -> None:
    with pytest.raises(
        QueryRefused, match=r"cannot verify this query: it contains 'service' at line 1.*stopped at line"
    ):
        check_read_only_query("SELECT * WHERE { ?s ?p ?o . SERVICE <http://x.test/> { ?s ?p }")


def test_nesting_bound_names_the_limit() -> None:
    check_read_only_query("SELECT * WHERE " + "{ " * 20 + "?s ?p ?o" + " }" * 20)
    deep = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000
    with pytest.raises(QueryRefused, match=r"graph\.max_sparql_nesting \(128\)"):
        check_read_only_query(deep)
    with pytest.raises(QueryRefused, match=r"graph\.guard_parse_bytes"):
        check_update("INSERT DATA { " + "<urn:a> <urn:b> ( 1 ) . " * 2000 + "}")
    many_but_flat = "SELECT * WHERE { ?s ?p ?o " + " ".join(f"FILTER(?o != {i})" for i in range(200)) + " }"
    check_read_only_query(many_but_flat)


# -- over MCP -----------------------------------------------------------------------------------------------


async def refused(client, tool: str, sparql: str) -> str:
    result = await client.call_tool(tool, {"sparql": sparql})
    assert result.is_error, (tool, sparql, tool_text(result))
    text = tool_text(result)
    assert "internal error" not in text and "Traceback" not in text, text
    return text


@pytest.mark.anyio
async def test_issue_payloads_are_refused_over_mcp(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        assert f"SERVICE <{SSRF}> is not allowed" in await refused(client, "graph_query", PAYLOAD_QUERY)
        assert "LOAD is not allowed" in await refused(client, "graph_update", PAYLOAD_UPDATE)
        assert "not allowed in updates" in await refused(client, "graph_update", PAYLOAD_UPDATE_SERVICE)
        deep = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000
        assert "graph.max_sparql_nesting (128)" in await refused(client, "graph_query", deep)
        ok = await client.call_tool("graph_query", {"sparql": "SELECT * WHERE { ?s ?p ?o }"})
        assert not ok.is_error, tool_text(ok)  # the store worker is still there


@pytest.mark.anyio
async def test_issue_payload_is_refused_in_read_only_mode(ggen_host, ggen_client) -> None:
    async with ggen_client(ggen_host(["graph"], read_only=True), mode="legacy") as client:
        assert "SERVICE" in await refused(client, "graph_query", PAYLOAD_QUERY)


@pytest.mark.anyio
async def test_shacl_sparql_with_service_is_a_clear_refusal(graph_host, ggen_client) -> None:
    shapes = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ;
  sh:sparql [ sh:select "SELECT $this WHERE {{ SERVICE <{SSRF}> {{ $this ?p ?o }} }}" ] ."""
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": "<http://example.org/a> <urn:b> <urn:c> ."})
        result = await client.call_tool("graph_validate", {"shapes_content": shapes})
        text = tool_text(result)
        assert result.is_error and "sh:select" in text and f"SERVICE <{SSRF}> is not allowed" in text, text
        assert "AttributeError" not in text


@pytest.mark.anyio
async def test_issue_payload_is_refused_for_a_graph_read_key(ggen_host) -> None:
    """The issue's principal: an API key with only graph:read, through the host's call pipeline (auth included)."""
    from ggen_mcp_core.auth import hash_key
    from ggen_mcp_core.calls import call_tool
    from ggen_mcp_core.events import RequestInfo

    keys = [{"name": "reader", "sha256": hash_key("reader-key"), "scopes": ["graph:read"]}]
    host = ggen_host(["graph"], auth={"mode": "api_key", "api_keys": keys})
    request = RequestInfo(transport="http", headers={"authorization": "Bearer reader-key"}, client_address="127.0.0.1")
    result = await call_tool(host, "graph_query", {"sparql": PAYLOAD_QUERY}, request=request)
    assert result.is_error and f"SERVICE <{SSRF}> is not allowed" in tool_text(result), tool_text(result)
    fine = await call_tool(host, "graph_query", {"sparql": "ASK { ?s ?p ?o }"}, request=request)
    assert not fine.is_error, tool_text(fine)


@pytest.mark.parametrize("offset", [-200, -7, -3, 0, 3, 500])
@pytest.mark.parametrize("word", ["SERVICE", "\\u0053\\u0045\\u0052\\u0056\\u0049\\u0043\\u0045", "\u017fervice"])
def test_prefilter_reads_long_texts_in_overlapping_windows(offset: int, word: str) -> None:
    """A long text is read in windows (bounded copies); a keyword across a window's edge is still found."""
    at = (1 << 16) + offset
    text = "#" * at + word + " " * 100_000
    assert not cleared(text, "query")
    assert cleared("#" * at + "SERV ICE" + " " * 100_000, "query")
