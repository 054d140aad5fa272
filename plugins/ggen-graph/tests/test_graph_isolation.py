"""The graph workers' hard boundaries, driven at the worker level (the SPARQL guard bypassed on purpose).

- no network: a SERVICE and a LOAD aimed at a socket this test listens on at 127.0.0.1 never reach it,
  with the namespace and (forced) with the seccomp filter; without either, ``required`` refuses to start;
- a memory limit and crash isolation: a query that exhausts the worker's memory or overflows the parser's
  stack fails alone, with an error naming the limit; the reads in flight beside it succeed on a new worker;
- RDF/XML entity declarations are refused before the engine sees them.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from ggen_graph.errors import RdfSyntaxError, ResourceLimitExceeded, StoreUnavailable
from ggen_graph.template_graphs import close_template_graph_worker, template_graph_worker
from ggen_graph.worker_client import WorkerClient
from ggen_graph.worker_options import WorkerOptions
from graph_helpers import ntriples

from ggen_mcp_core import ToolError
from ggen_mcp_core.confinement import SKIP_ENV
from ggen_mcp_core.testing import contacted

SQUARE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # 1,500 triples: 2.25 M solutions
# 34 M solutions: seconds, so these reads are still running when the offender (started with them) crashes
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f VALUES ?k { " + " ".join(map(str, range(15))) + " } }"
SLOW_ROWS = [[str(1_500 * 1_500 * 15)]]
CONCAT_BOMB = (
    'SELECT ?v40 WHERE { BIND("'
    + "x" * 64
    + '" AS ?v0) '
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    + " }"
)
NESTED = "SELECT * WHERE " + "{" * 5000 + "}" * 5000


def billion_laughs(levels: int = 9) -> bytes:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, levels + 1))
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        f'<rdf:Description rdf:about="http://example.org/s"><ex:p>&a{levels};</ex:p></rdf:Description></rdf:RDF>'
    ).encode()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Callable[..., WorkerClient]]:
    clients: list[WorkerClient] = []

    def factory(**options: Any) -> WorkerClient:
        client = WorkerClient(str(tmp_path / f"store{len(clients)}"), threads=4, options=WorkerOptions(**options))
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture(autouse=True)
def _fresh_template_worker() -> Iterator[None]:
    close_template_graph_worker()
    yield
    close_template_graph_worker()


@pytest.mark.parametrize(("skip", "mechanism"), [("", "namespace"), ("namespace", "seccomp")])
def test_service_and_load_never_reach_the_listener(
    worker: Callable[..., WorkerClient],
    ggen_listener: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    skip: str,
    mechanism: str,
) -> None:
    monkeypatch.setenv(SKIP_ENV, skip)
    client = worker()
    url = f"http://127.0.0.1:{ggen_listener.getsockname()[1]}/sparql"
    with pytest.raises(ToolError, match="graph workers have no network"):
        client.call(
            "query",
            {"sparql": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "limit": 10, "timeout": 10},
            timeout=30,
        )
    with pytest.raises(ToolError, match="graph workers have no network"):
        client.call("update", {"sparql": f"LOAD <{url}>"}, timeout=30, what="update")
    with pytest.raises(ToolError, match="graph workers have no network"):
        client.call(
            "update",
            {"sparql": f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"},
            timeout=30,
            what="update",
        )
    assert client.isolation["mechanism"] == mechanism
    assert not contacted(ggen_listener)


def test_template_graphs_never_reach_the_listener(ggen_listener: socket.socket) -> None:
    url = f"http://127.0.0.1:{ggen_listener.getsockname()[1]}/sparql"
    client = template_graph_worker()
    client.call("graph_load", {"id": "g", "loads": [], "before": 0}, timeout=30)
    with pytest.raises(ToolError, match="graph workers have no network"):
        client.call(
            "graph_query",
            {
                "id": "g",
                "sparql": f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                "limit": 10,
                "timeout": 10,
                "prefixes": {},
            },
            timeout=30,
        )
    assert client.isolation["mechanism"] == "namespace"
    assert not contacted(ggen_listener)


def test_without_isolation_required_refuses_and_warn_runs_degraded(
    worker: Callable[..., WorkerClient], ggen_listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SKIP_ENV, "namespace,seccomp")
    with pytest.raises(StoreUnavailable, match=r"graph\.network_isolation = 'warn'"):
        worker(network_isolation="required").call("ping", timeout=30)
    degraded = worker(network_isolation="warn")
    assert degraded.call("ping", timeout=30) == "pong"
    assert degraded.isolation["mechanism"] == "none"
    assert f"skipped by {SKIP_ENV}" in degraded.isolation["detail"]


def run_beside(client: WorkerClient, offender: str, innocents: int) -> tuple[BaseException | None, list[Any]]:
    """Start ``innocents`` slow reads, then the offender, all at once; return the offender's error and
    the innocents' results."""
    started = threading.Barrier(innocents + 1)

    def read() -> Any:
        started.wait()
        return client.call("query", {"sparql": SLOW, "limit": 10, "timeout": 120}, timeout=120)

    with ThreadPoolExecutor(innocents) as pool:
        reads = [pool.submit(read) for _ in range(innocents)]
        started.wait()
        try:
            client.call("query", {"sparql": offender, "limit": 10, "timeout": 120}, timeout=120)
            error = None
        except BaseException as exc:
            error = exc
        return error, [future.result() for future in reads]


def test_a_memory_bomb_fails_alone_with_the_limit_named(worker: Callable[..., WorkerClient]) -> None:
    client = worker(memory_mb=400)
    client.call("load", {"format": "ntriples", "data": ntriples(1_500).encode()}, timeout=60, what="load")
    error, reads = run_beside(client, CONCAT_BOMB, innocents=2)
    assert isinstance(error, ResourceLimitExceeded), error
    assert "exceed its memory limit (graph.worker_memory_mb=400)" in str(error)
    assert [r.rows for r in reads] == [SLOW_ROWS] * 2
    assert client.crashes[0] == 3  # the bomb crashed the worker under all three calls
    assert len(client.crashes) == 2  # its retry, alone, crashed the next one: convicted, nobody else retried
    assert client.call("count", {}, timeout=30) == 1_500  # the store is intact


def test_a_parser_stack_overflow_fails_alone(worker: Callable[..., WorkerClient]) -> None:
    client = worker()
    client.call("load", {"format": "ntriples", "data": ntriples(1_500).encode()}, timeout=60, what="load")
    error, reads = run_beside(client, NESTED, innocents=2)
    assert isinstance(error, ResourceLimitExceeded), error
    assert "ended the graph worker (killed by SIGSEGV" in str(error)
    assert [r.rows for r in reads] == [SLOW_ROWS] * 2
    assert client.crashes[0] == 3


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_a_running_write_is_not_retried_a_queued_one_is(worker: Callable[..., WorkerClient]) -> None:
    client = worker(memory_mb=400)
    client.call("load", {"format": "ntriples", "data": ntriples(1_500).encode()}, timeout=60, what="load")
    running = "INSERT { <urn:x> <urn:n> ?n } WHERE { { " + SLOW + " } }"
    queued = 'INSERT DATA { <urn:queued> <urn:p> "1" }'
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.call, "update", {"sparql": running}, timeout=120, what="update")
        wait_until(lambda: client._worker is not None and bool(client._worker.started))  # it holds the lock
        second = pool.submit(client.call, "update", {"sparql": queued}, timeout=120, what="update")
        wait_until(lambda: client._worker is not None and len(client._worker.pending) == 2)
        with pytest.raises(ResourceLimitExceeded):
            client.call("query", {"sparql": CONCAT_BOMB, "limit": 1, "timeout": 120}, timeout=120)
        with pytest.raises(StoreUnavailable, match="it was not retried: a write is committed whole"):
            first.result()
        assert second.result() == {"before": 1_500, "after": 1_501}  # it never started: run on the new worker
    assert client.crashes[0] == 3
    assert client.call("count", {}, timeout=30) == 1_501  # the running update had not committed


def test_rdfxml_entity_declarations_are_refused(worker: Callable[..., WorkerClient], tmp_path: Path) -> None:
    client = worker()
    with pytest.raises(RdfSyntaxError, match="declares the entity 'a0'"):
        client.call("load", {"format": "rdfxml", "data": billion_laughs()}, timeout=60, what="load")
    bomb = tmp_path / "bomb.rdf"
    bomb.write_bytes(billion_laughs())
    with pytest.raises(RdfSyntaxError, match="entity declarations are refused"):
        client.call("load", {"format": "rdfxml", "path": str(bomb)}, timeout=60, what="load")
    plain = billion_laughs(0).replace(b"&a0;", b"lol").replace(b'<!DOCTYPE rdf:RDF [<!ENTITY a0 "lol">]>', b"")
    assert client.call("load", {"format": "rdfxml", "data": plain}, timeout=60, what="load")["triples_added"] == 1
