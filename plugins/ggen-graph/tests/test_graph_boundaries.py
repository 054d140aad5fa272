"""The graph workers' hard boundaries over MCP sessions: no network, crash isolation, entity bombs, and the
operator's view of network isolation (``graph.network_isolation``)."""

from __future__ import annotations

import json
import socket
from typing import Any

import anyio
import pytest
from graph_helpers import ntriples

from ggen_mcp_core.confinement import SKIP_ENV
from ggen_mcp_core.testing import contacted, tool_text

pytestmark = pytest.mark.anyio

CONCAT_BOMB = (
    'SELECT ?v40 WHERE { BIND("'
    + "x" * 64
    + '" AS ?v0) '
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    + " }"
)


def slow(marker: int) -> str:
    """About 34 M solutions over 1,500 triples: seconds of work (``marker`` makes each text distinct)."""
    values = " ".join(str(n) for n in range(marker, marker + 15))
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f VALUES ?k {{ {values} }} }}"


def billion_laughs(levels: int = 9) -> str:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, levels + 1))
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        f'<rdf:Description rdf:about="http://example.org/s"><ex:p>&a{levels};</ex:p></rdf:Description></rdf:RDF>'
    )


async def test_service_let_through_by_the_guard_still_reaches_no_host(
    graph_host: Any, ggen_client: Any, ggen_listener: socket.socket
) -> None:
    """With graph.allow_service the guard passes SERVICE to the engine: the worker's namespace stops it."""
    url = f"http://127.0.0.1:{ggen_listener.getsockname()[1]}/sparql"
    async with ggen_client(graph_host(allow_service=True), mode="legacy") as client:
        result = await client.call_tool(
            "graph_query", {"sparql": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"}
        )
        assert result.is_error and "graph workers have no network" in tool_text(result)
    assert not contacted(ggen_listener)


async def test_text_that_lexes_around_the_guard_reaches_no_host(
    graph_host: Any, ggen_client: Any, ggen_listener: socket.socket
) -> None:
    """The PN_LOCAL escape (`ex:a\\'b`) hid SERVICE and LOAD from the old guard; whatever the guard
    decides now, the text reaches no host."""
    url = f"http://127.0.0.1:{ggen_listener.getsockname()[1]}/sparql"
    hidden_service = (
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ?p ?o FILTER(?o != ex:a\\'b) "
        f"SERVICE <{url}> {{ ?x ?y ?z }} FILTER(?z != 'q') }}"
    )
    hidden_load = (
        "PREFIX ex: <http://example.org/> INSERT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o != ex:a\\'b) } ; "
        f"LOAD <{url}> ; INSERT DATA {{ <urn:x> <urn:y> 'q' }}"
    )
    async with ggen_client(graph_host(), mode="legacy") as client:
        loaded = await client.call_tool("graph_load", {"content": "<urn:a> <urn:p> <urn:b> .", "format": "ntriples"})
        assert not loaded.is_error, tool_text(loaded)
        queried = await client.call_tool("graph_query", {"sparql": hidden_service})
        assert queried.is_error, queried.structured_content
        updated = await client.call_tool("graph_update", {"sparql": hidden_load})
        assert updated.is_error, updated.structured_content
    assert not contacted(ggen_listener)


async def test_a_bomb_in_one_session_fails_alone(graph_host: Any, ggen_client: Any) -> None:
    # The memory limit must stop the bomb, not the query deadline: on a loaded machine (parallel test
    # workers) the bomb can take more than the default 10 s to reach 400 MB, so the deadline is far away.
    host = graph_host(worker_memory_mb=400, query_timeout=120)
    async with ggen_client(host, mode="legacy") as alice, ggen_client(host, mode="legacy") as mallory:
        loaded = await alice.call_tool("graph_load", {"content": ntriples(1_500), "format": "ntriples"})
        assert not loaded.is_error, tool_text(loaded)
        answers: dict[str, Any] = {}

        async def read(marker: int) -> None:
            answers[f"read{marker}"] = await alice.call_tool("graph_query", {"sparql": slow(marker)})

        async def bomb() -> None:
            await anyio.sleep(0.2)  # let the reads start first (the outcome does not depend on it)
            answers["bomb"] = await mallory.call_tool("graph_query", {"sparql": CONCAT_BOMB})

        async with anyio.create_task_group() as group:
            group.start_soon(read, 0)
            group.start_soon(read, 100)
            group.start_soon(bomb)
    assert answers["bomb"].is_error
    assert "exceed its memory limit (graph.worker_memory_mb=400)" in tool_text(answers["bomb"])
    for name in ("read0", "read100"):
        assert not answers[name].is_error, tool_text(answers[name])
        assert answers[name].structured_content["rows"] == [[str(1_500 * 1_500 * 15)]]


async def test_an_rdfxml_entity_bomb_is_refused(graph_host: Any, ggen_client: Any) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        result = await client.call_tool("graph_load", {"content": billion_laughs(), "format": "rdfxml"})
        assert result.is_error
        assert "declares the entity 'a0'" in tool_text(result) and "entity declarations are refused" in tool_text(
            result
        )
        fine = await client.call_tool("graph_stats", {})
        assert not fine.is_error, tool_text(fine)


async def test_isolation_is_reported_and_required_by_default(
    graph_host: Any, ggen_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        listing = json.loads((await client.read_resource("ggen://graphs")).contents[0].text)
        assert listing["network_isolation"]["mechanism"] == "namespace"
    from ggen_graph.stores import close_all

    close_all()
    monkeypatch.setenv(SKIP_ENV, "namespace,seccomp")  # as on a kernel that refuses both
    host = graph_host()
    problems = await host.readiness()
    assert "graph.network_isolation = 'warn'" in problems["graph"]
    async with ggen_client(host, mode="legacy") as client:
        refused = await client.call_tool("graph_list", {})
        assert refused.is_error and "could not be cut off from the network" in tool_text(refused)


async def test_warn_runs_degraded_and_says_so(
    graph_host: Any, ggen_client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SKIP_ENV, "namespace,seccomp")
    host = graph_host(network_isolation="warn")
    assert await host.readiness() == {}
    async with ggen_client(host, mode="legacy") as client:
        listed = await client.call_tool("graph_list", {})
        assert not listed.is_error, tool_text(listed)
        listing = json.loads((await client.read_resource("ggen://graphs")).contents[0].text)
        assert listing["network_isolation"]["mechanism"] == "none"
    logged = capsys.readouterr().err
    assert logged.count("graph worker runs WITHOUT network isolation") == 1
    assert "graph.network_isolation=warn" in logged
