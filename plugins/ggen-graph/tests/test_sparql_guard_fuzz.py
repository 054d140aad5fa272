"""Differential fuzz of the SPARQL guard against the engine, over MCP, with a listener that must stay silent.

Generated query and update texts mix every escape form (PN_LOCAL ``\\'``, ``\\.``, ``%41``; codepoint
escapes in keywords, IRIs and prefixed names), strings with quotes and triple quotes, ``#`` comments inside
and outside strings and IRIs, and Unicode case forms of the keywords, around a ``SERVICE``/``LOAD``/``FROM``
clause that points at a TCP listener on 127.0.0.1. For each text: pyoxigraph runs it directly in this
process (it has network here); if the listener was contacted, the guard must refuse the text. Then the
text goes through the server (graph_query or graph_update, and for queries template_render with the text
in front matter and in a ``sparql()`` call): the listener must never be contacted and the answer must be a
clear error.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from ggen_graph.errors import QueryRefused
from ggen_graph.sparql_guard import check_read_only_query, check_update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggen_mcp_core.testing import make_host, open_client, tool_text

EXAMPLES = 150
PREFIX = "PREFIX ex: <http://example.org/>\n"


class Listener:
    """A TCP listener on 127.0.0.1 that accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.count = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal(backend="asyncio") as blocking_portal:
        yield blocking_portal


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal) -> Iterator[Any]:
    workspace = tmp_path_factory.mktemp("guard-fuzz")
    (workspace / "templates").mkdir()
    host = make_host(workspace, ["template", "graph"], tool_timeout=20.0, rate_limit={"enabled": False})
    with portal.wrap_async_context_manager(open_client(host, mode="legacy")) as client:
        result = portal.call(client.call_tool, "graph_load", {"content": "<urn:a> <urn:b> <urn:c> ."})
        assert not result.is_error, tool_text(result)
        yield client, workspace


# -- the generated texts ---------------------------------------------------------------------------------

CASE_FORMS = {"s": ["\u017f"], "i": ["\u0131"], "k": ["\u212a"]}


@st.composite
def keyword(draw: st.DrawFn, word: str) -> str:
    """``word`` spelled as an engine might read it: any case, codepoint escapes, Unicode case forms."""
    if draw(st.booleans()):
        return "".join(draw(st.sampled_from([char.lower(), char.upper()])) for char in word)
    out = []
    for char in word:
        options = [char.lower(), char.upper(), f"\\u{ord(char.upper()):04X}", f"\\U{ord(char):08x}"]
        options.append(f"\\U{ord(char):04x}")  # rdflib reads \U with 4 digits too
        options += [*CASE_FORMS.get(char, []), chr(ord(char.upper()) + 0xFEE0)]
        weights = st.sampled_from(options[:2] * 6 + options[2:])
        out.append(draw(weights))
    return "".join(out)


TERMS = st.sampled_from(
    [
        "ex:a\\'b",
        "ex:a\\.b",
        "ex:%41b",
        'ex:a\\"b',
        "ex:a\\#b",
        "ex:\\u0061b",
        '"x\\"y"',
        "'it\\'s'",
        "'''a ' b '' c'''",
        '"""q "" r"""',
        '"# not a comment"',
        '"SERVICE <http://127.0.0.1:9/>"',
        "<http://e.org/a#frag>",
        "<http://e.org/a'b>",
        "<http://e.org/\\u0041>",
        "1",
        '"a\\u005C" AS ?q) BIND("\\u0022',
        "'a\\u005c' AS ?q) BIND('\\u0027",
        '"\\u0022"',
        "<http://e.org/\\u003E>",
    ]
)
GAPS = st.sampled_from(
    [" ", "\n", "\t", " # a comment ' \" <\n", '# SERVICE <x> "\n', "\n#\u017fervice\n", " # c\r", " # c\\u000A", "\r"]
)


@st.composite
def noise(draw: st.DrawFn, bind: bool) -> str:
    parts = []
    for index, term in enumerate(draw(st.lists(TERMS, max_size=4))):
        gap = draw(GAPS)
        parts.append(f"BIND({term} AS ?n{index}){gap}" if bind else f"ex:s ex:p {term} .{gap}")
    return "".join(parts)


def target(port: int, form: int) -> str:
    """The listener as ``<iri>``, as ``<iri>`` with a codepoint escape, or as a prefixed name with a PN_LOCAL escape."""
    iri = f"http://127.0.0.1:{port}/sparql"
    if form == 2:
        return "h:sp\\'arql"
    return "<" + (iri.replace(":", "\\u003A", 1) if form == 1 else iri) + ">"


def prologue(port: int) -> str:
    return f"{PREFIX}PREFIX h: <http://127.0.0.1:{port}/>\n"


@st.composite
def query_text(draw: st.DrawFn, port: int) -> str:
    iri = target(port, draw(st.integers(0, 2)))
    silent = draw(st.sampled_from(["", " SILENT", " silent"]))
    clause = draw(st.sampled_from(["service", "from", "from_named"]))
    body = draw(noise(True))
    gap = draw(GAPS)
    if clause == "service":
        return f"{prologue(port)}SELECT * WHERE {{{gap}{body}{draw(keyword('service'))}{silent} {iri} {{ ?s ?p ?o }} }}"
    named = f" {draw(keyword('named'))}" if clause == "from_named" else ""
    return f"{prologue(port)}SELECT *{gap}{draw(keyword('from'))}{named} {iri} WHERE {{ {body} ?s ?p ?o }}"


@st.composite
def update_text(draw: st.DrawFn, port: int) -> str:
    iri = target(port, draw(st.integers(0, 2)))
    silent = draw(st.sampled_from(["", " SILENT"]))
    data = draw(noise(False))
    if draw(st.booleans()):
        return f"{prologue(port)}INSERT DATA {{ {data} }} ;{draw(GAPS)}{draw(keyword('load'))}{silent} {iri}"
    body = draw(noise(True))
    service = draw(keyword("service"))
    return f"{prologue(port)}INSERT {{ ex:s ex:p ?o }} WHERE {{ {body}{service}{silent} {iri} {{ ?s ?p ?o }} }}"


# -- the oracle: what pyoxigraph does with the text ------------------------------------------------------


def engine_contacts(listener: Listener, text: str, kind: str) -> bool:
    """Run the text with pyoxigraph directly; True when the listener got a connection."""
    before = listener.count
    store = ox.Store()
    try:
        if kind == "query":
            result = store.query(text)
            if not isinstance(result, ox.QueryBoolean):
                list(result)
        else:
            store.update(text)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    return listener.count > before


def guard_refuses(text: str, kind: str) -> bool:
    try:
        check_read_only_query(text) if kind == "query" else check_update(text)
    except QueryRefused:
        return True
    return False


def assert_clear_error(result: Any, label: str) -> None:
    text = tool_text(result)
    assert result.is_error, f"{label}: not refused: {text[:300]}"
    assert text.strip() and "internal error" not in text and "Traceback" not in text, f"{label}: {text}"


def through_server(server: Any, portal: BlockingPortal, listener: Listener, text: str, kind: str) -> None:
    client, workspace = server
    before = listener.count
    tool = "graph_query" if kind == "query" else "graph_update"
    assert_clear_error(portal.call(client.call_tool, tool, {"sparql": text}), f"{tool} {text!r}")
    if kind == "query":
        front = f"---\nto: out.txt\nsparql:\n  rows: {json.dumps(text, ensure_ascii=False)}\n---\n{{{{ 1 }}}}\n"
        (workspace / "templates" / "front.tmpl").write_text(front, encoding="utf-8")
        (workspace / "templates" / "body.tmpl").write_text("---\nto: b.txt\n---\n{{ sparql(query=q) }}\n")
        for name, variables in (("front", {}), ("body", {"q": text})):
            result = portal.call(client.call_tool, "template_render", {"template": name, "vars": variables})
            assert_clear_error(result, f"template_render {name} {text!r}")
    assert listener.count == before, f"the server contacted the listener for {text!r}"


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("kind", ["query", "update"])
def test_guard_refuses_whatever_the_engine_would_send(
    kind: str, listener: Listener, server: Any, portal: BlockingPortal
) -> None:
    contacted = []
    strategy = query_text(listener.port) if kind == "query" else update_text(listener.port)

    @FUZZ
    @given(text=strategy)
    def run(text: str) -> None:
        if engine_contacts(listener, text, kind):
            contacted.append(text)
            assert guard_refuses(text, kind), f"pyoxigraph contacts the listener but the guard lets {text!r} through"
        through_server(server, portal, listener, text, kind)

    run()
    # the oracle must have seen real contacts, or the test proves nothing
    assert contacted, "no generated text reached the listener through pyoxigraph: the generator is broken"
    plain = f"{PREFIX}SELECT * WHERE {{ SERVICE {target(listener.port, 0)} {{ ?s ?p ?o }} }}"
    if kind == "update":
        plain = f"LOAD {target(listener.port, 0)}"
    assert engine_contacts(listener, plain, kind) and guard_refuses(plain, kind)


SOUP = st.sampled_from(
    [
        *["'''", '"""', "'", '"', "''", '""', "\\'", '\\"', "\\\\", "a", " ", "\n", "\r"],
        *["# ", "\\u005C", "\\u0022", "\\u0027", "\\u000A", "\\u003E"],
    ]
)
QUOTES = st.sampled_from(["'", '"', "'''", '"""'])


@st.composite
def soup_item(draw: st.DrawFn) -> str:
    """A string literal or a comment with tricky content, or a bare piece."""
    content = "".join(draw(st.lists(SOUP, max_size=3)))
    shape = draw(st.integers(0, 2))
    if shape == 0:
        quote = draw(QUOTES)
        return f"{quote}{content}{quote}"
    if shape == 1:
        return "#" + content + draw(st.sampled_from(["\n", "\r"]))
    return content


# Not traced by coverage (pytest-cov's no_cover): this test runs only the guard and pyoxigraph in this process,
# 3000 examples, and coverage's tracer doubled its CPU time (issue 16); the guard's lines are measured by
# test_sparql_guard.py and by the two tests above, which drive it through the server.
@pytest.mark.no_cover
def test_lexical_soup_never_hides_a_clause(listener: Listener) -> None:
    """String literals of every quote kind, comments ended by LF or CR, escapes and codepoint escapes of syntax
    characters around a SERVICE clause, where the parsers' lexing could differ: whenever pyoxigraph contacts
    the listener, the guard refuses. Without the CR alignment or the syntax-escape refusal of the guard, this
    test fails (checked three times each, within 20 s)."""
    contacted = []
    iri = target(listener.port, 0)

    @settings(max_examples=3000, deadline=None, database=None)
    @given(before=st.lists(soup_item(), min_size=1, max_size=3), after=st.lists(soup_item(), min_size=1, max_size=3))
    def run(before: list[str], after: list[str]) -> None:
        values = f"VALUES ?x {{ {' '.join(before)} }}"
        text = f"SELECT * WHERE {{ {values} SERVICE {iri} {{ }} VALUES ?y {{ {' '.join(after)} }} }}"
        if engine_contacts(listener, text, "query"):
            contacted.append(text)
            assert guard_refuses(text, "query"), text

    run()
    assert contacted, "no generated text reached the listener: the generator is broken"
