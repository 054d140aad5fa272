"""The remote store (graph.store = "sparql") against a real Oxigraph server started on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from graph_helpers import EX, TURTLE, ntriples, write

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

SHAPES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:age ; sh:minCount 1 ] ."""


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        pytest.fail("the `oxigraph` server is missing: install the dev requirements (PyPI package oxigraph)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve` on a free port; yields its base URL and stops it by PID."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    log = (location / "server.log").open("wb")
    process = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(location / "data"),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            "5",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.HTTPError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    detail = (location / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"oxigraph did not start: {detail}") from exc
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


@pytest.fixture
def remote(oxigraph: str, graph_host):
    """A host whose graph pack uses the Oxigraph server; the server starts each test empty."""
    httpx.post(f"{oxigraph}/update", content="DROP ALL", headers={"Content-Type": "application/sparql-update"})

    def factory(**settings):
        return graph_host(
            store="sparql", query_endpoint=f"{oxigraph}/query", update_endpoint=f"{oxigraph}/update", **settings
        )

    return factory


async def call(client, tool: str, **args):
    result = await client.call_tool(tool, args)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def test_load_query_update_on_oxigraph(remote, ggen_client, ggen_workspace, oxigraph) -> None:
    write(ggen_workspace, "people.ttl", TURTLE)
    async with ggen_client(remote(), mode="legacy") as client:
        loaded = await call(client, "graph_load", file="people.ttl", graph="urn:people")
        assert loaded["triples_added"] == 8 and loaded["graph_size"] == 8
        await call(client, "graph_load", content=ntriples(5), format="ntriples")
        # the data really is on the server
        async with httpx.AsyncClient() as http:
            direct = await http.post(
                f"{oxigraph}/query",
                content="SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
            )
        assert direct.json()["results"]["bindings"][0]["n"]["value"] == "8"
        rows = await call(
            client,
            "graph_query",
            sparql="SELECT ?s ?n WHERE { ?s ex:name ?n } ORDER BY ?s",
            graph="urn:people",
            typed=True,
        )
        assert rows["rows"] == [[f"{EX}alice", "Alice"], [f"{EX}bob", "Bob"]]
        assert rows["typed_rows"][0][1] == {"value": "Alice", "type": "literal", "language": "en"}
        bound = await call(
            client,
            "graph_query",
            sparql="SELECT ?s ?t WHERE { ?s a ?t }",
            graph="urn:people",
            bindings={"t": f"{EX}Company"},
        )
        assert bound["rows"] == [[f"{EX}acme", f"{EX}Company"]]
        hostile = await call(
            client,
            "graph_query",
            sparql="SELECT ?s ?n WHERE { ?s ex:name ?n }",
            graph="urn:people",
            bindings={"n": '"} } ; DROP ALL ; #'},
        )
        assert hostile["count"] == 0
        assert (await call(client, "graph_query", sparql="ASK { ?s ?p ?o }"))["boolean"] is True
        built = await call(client, "graph_query", sparql="CONSTRUCT WHERE { ?s ex:knows ?o }", graph="urn:people")
        assert built["ntriples"] == f"<{EX}alice> <{EX}knows> <{EX}bob> .\n"
        capped = await call(client, "graph_query", sparql="SELECT * WHERE { ?s ?p ?o }", limit=3)
        assert capped["count"] == 3 and capped["truncated"] is True
        updated = await call(client, "graph_update", sparql="INSERT DATA { GRAPH <urn:people> { ex:bob ex:age 3 } }")
        assert updated["delta"] == 1 and updated["triples_after"] == 14
        replaced = await call(
            client, "graph_load", content="<urn:x> <urn:y> <urn:z> .", graph="urn:people", replace=True
        )
        assert replaced["graph_size"] == 1


async def test_catalog_export_validate_on_oxigraph(remote, ggen_client, ggen_workspace) -> None:
    async with ggen_client(remote(), mode="legacy") as client:
        await call(client, "graph_load", content=TURTLE, graph="urn:people")
        await call(client, "graph_load", content=ntriples(3), format="ntriples", graph="urn:n")
        listed = await call(client, "graph_list")
        assert listed["store"] == "sparql"
        assert [(g["graph"], g["triples"]) for g in listed["graphs"]] == [(None, 0), ("urn:n", 3), ("urn:people", 8)]
        stats = await call(client, "graph_stats", graph="urn:people")
        assert stats["classes"][0] == {"iri": f"{EX}Person", "instances": 2}
        exported = await call(client, "graph_export", graph="urn:people")
        assert exported["triples"] == 8 and "ex:alice" in exported["content"]
        dataset = await call(client, "graph_export", output="all.trig")
        assert dataset["triples"] == 11 and (ggen_workspace / "all.trig").read_text().count("urn:n") >= 1
        report = await call(client, "graph_validate", shapes_content=SHAPES, graph="urn:people")
        assert report["conforms"] is False and report["violations"][0]["focus_node"] == f"{EX}bob"
        cleared = await call(client, "graph_clear", graph="urn:n")
        assert cleared["triples_removed"] == 3
        gone = await client.call_tool("graph_query", {"sparql": "ASK { ?s ?p ?o }", "graph": "urn:n"})
        assert gone.is_error and "urn:people" in tool_text(gone)


async def test_remote_errors_and_deadline(remote, ggen_client, graph_host) -> None:
    async with ggen_client(remote(query_timeout=1), mode="legacy") as client:
        bad_rdf = await client.call_tool("graph_load", {"content": "<urn:a> <urn:b> .\n", "format": "ntriples"})
        assert bad_rdf.is_error and "line 1" in tool_text(bad_rdf)
        bad_query = await client.call_tool("graph_query", {"sparql": "SELECT * WHERE { ?s ?p }"})
        assert bad_query.is_error and "syntax" in tool_text(bad_query).lower()
        refused = await client.call_tool("graph_query", {"sparql": "SELECT * WHERE { SERVICE <http://x.test/> {} }"})
        assert refused.is_error and "SERVICE" in tool_text(refused)
        await call(client, "graph_load", content=ntriples(2000), format="ntriples")
        started = time.monotonic()
        slow = await client.call_tool(
            "graph_query", {"sparql": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}
        )
        assert slow.is_error and "query exceeded 1 s" in tool_text(slow)
        assert time.monotonic() - started < 2.0
    closed = f"http://127.0.0.1:{free_port()}"
    host = graph_host(store="sparql", query_endpoint=f"{closed}/query", update_endpoint=f"{closed}/update")
    async with ggen_client(host, mode="legacy") as client:
        down = await client.call_tool("graph_list", {})
        assert down.is_error and "could not be reached" in tool_text(down)


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_POST(self) -> None:
        query = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).seen.append(dict(self.headers))
        grouped = "GROUP BY ?g" in query
        rows = [] if grouped else [{"n": {"type": "literal", "value": "0"}}]
        body = json.dumps({"head": {"vars": ["g", "n"] if grouped else ["n"]}, "results": {"bindings": rows}})
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        return


async def test_auth_header_reaches_the_endpoint(graph_host, ggen_client) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        host = graph_host(store="sparql", query_endpoint=url, auth_header="Bearer s3cret")
        async with ggen_client(host, mode="legacy") as client:
            listed = await call(client, "graph_list")
            assert listed["graphs"][0] == {"graph": None, "name": "default", "triples": 0}
            write_attempt = await client.call_tool("graph_update", {"sparql": "CLEAR ALL"})
            assert write_attempt.is_error and "no graph.update_endpoint" in tool_text(write_attempt)
        assert _Recorder.seen and all(h.get("Authorization") == "Bearer s3cret" for h in _Recorder.seen)
    finally:
        server.shutdown()
        server.server_close()


async def test_remote_texts_pass_the_sparql_guard(remote, ggen_client) -> None:
    """A remote store has only the guard: the known bypass payloads, and an update sent as a query, are refused."""
    payload = "SELECT * WHERE { ex:a\\'b ?p ?o . SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    async with ggen_client(remote(), mode="legacy") as client:
        await call(client, "graph_load", content=TURTLE, format="turtle")
        refused = await client.call_tool("graph_query", {"sparql": payload})
        assert refused.is_error and "SERVICE <http://127.0.0.1:9/sparql> is not allowed" in tool_text(refused)
        load = await client.call_tool(
            "graph_update", {"sparql": "INSERT DATA { ex:a\\'b ex:p 1 } ; LOAD <http://127.0.0.1:9/>"}
        )
        assert load.is_error and "LOAD is not allowed" in tool_text(load)
        update = await client.call_tool("graph_query", {"sparql": "INSERT DATA { ex:a ex:p 1 }"})
        assert update.is_error and "SPARQL UPDATE (INSERT) is not allowed" in tool_text(update)
        described = await call(client, "graph_query", sparql="DESCRIBE ex:alice")
        assert described["form"] == "DESCRIBE" and described["count"] > 0
        built = await call(client, "graph_query", sparql="CONSTRUCT WHERE { ex:alice ?p ?o }")
        assert built["form"] == "CONSTRUCT" and built["count"] == described["count"]
