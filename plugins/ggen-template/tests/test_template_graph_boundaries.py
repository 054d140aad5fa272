"""Template graphs run in the graph pack's network-less worker: SERVICE text never reaches a host (even
past the SPARQL guard), a query that exhausts the worker's memory fails that render only, and an RDF/XML
entity bomb in a template's ``rdf`` file is refused."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import call_error, call_ok, write

from ggen_mcp_core.testing import contacted

pytestmark = pytest.mark.anyio

CONCAT_BOMB = (
    'SELECT ?v40 WHERE { BIND(\\"'
    + "x" * 64
    + '\\" AS ?v0) '
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    + " }"
)


@pytest.fixture(autouse=True)
def _fresh_worker() -> Iterator[None]:
    from ggen_graph.template_graphs import close_template_graph_worker

    close_template_graph_worker()
    yield
    close_template_graph_worker()


async def test_sparql_in_a_template_never_reaches_the_listener(
    ggen_host: Any, ggen_client: Any, workspace: Path, ggen_listener: socket.socket
) -> None:
    url = f"http://127.0.0.1:{ggen_listener.getsockname()[1]}/sparql"
    # The PN_LOCAL escape that lexed a home-made guard around SERVICE, in the body's
    # sparql() and in front-matter sparql: whatever the guard decides, the worker has no network.
    escaped = f"SELECT * WHERE {{ ?s ?p ?o FILTER(?o != ex:a\\\\'b) SERVICE <{url}> {{ ?x ?y ?z }} FILTER(?z != 'q') }}"
    write(
        workspace,
        "templates/body.tmpl",
        f"""
        ---
        to: body.txt
        prefixes: {{ex: "http://example.org/"}}
        rdf_inline: "ex:a ex:p ex:b ."
        ---
        {{{{ sparql("{escaped}") }}}}
        """,
    )
    write(
        workspace,
        "templates/front.tmpl",
        f"""
        ---
        to: front.txt
        prefixes: {{ex: "http://example.org/"}}
        rdf_inline: "ex:a ex:p ex:b ."
        sparql:
          remote: "{escaped}"
        ---
        {{{{ sparql_results.remote }}}}
        """,
    )
    async with ggen_client(ggen_host(["template", "graph"]), mode="legacy") as client:
        for name in ("body", "front"):
            message = await call_error(client, "template_render", {"template": name})
            assert "sparql" in message.lower(), message
    assert not contacted(ggen_listener)


async def test_a_memory_bomb_fails_its_render_only(ggen_host: Any, ggen_client: Any, workspace: Path) -> None:
    write(
        workspace,
        "templates/bomb.tmpl",
        f"""
        ---
        to: bomb.txt
        rdf_inline: "<urn:a> <urn:p> <urn:b> ."
        ---
        {{{{ sparql("{CONCAT_BOMB}") }}}}
        """,
    )
    write(
        workspace,
        "templates/fine.tmpl",
        """
        ---
        to: fine.txt
        rdf_inline: "<urn:a> <urn:p> <urn:b> ."
        sparql:
          rows: "SELECT ?o WHERE { <urn:a> <urn:p> ?o }"
        ---
        {{ sparql_results.rows[0].o }}
        """,
    )
    host = ggen_host(["template", "graph"], graph={"worker_memory_mb": 400})
    answers: dict[str, Any] = {}
    async with ggen_client(host, mode="legacy") as alice, ggen_client(host, mode="legacy") as mallory:
        await call_ok(alice, "template_render", {"template": "fine"})  # its graph is loaded in the worker

        async def render(name: str, client: Any) -> None:
            answers[name] = await client.call_tool("template_render", {"template": name})

        async with anyio.create_task_group() as group:
            group.start_soon(render, "bomb", mallory)
            for _ in range(3):
                group.start_soon(render, "fine", alice)
        after = await call_ok(alice, "template_render", {"template": "fine"})
    assert answers["bomb"].is_error
    assert "exceed its memory limit (graph.worker_memory_mb=400)" in answers["bomb"].content[0].text
    assert not answers["fine"].is_error
    assert after["files"][0]["content"] == "urn:b\n"


async def test_an_entity_bomb_in_an_rdf_file_is_refused(ggen_host: Any, ggen_client: Any, workspace: Path) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    (workspace / "templates").mkdir(parents=True, exist_ok=True)
    (workspace / "templates" / "bomb.rdf").write_text(
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/s"><ex:p>&a9;</ex:p></rdf:Description></rdf:RDF>'
    )
    write(
        workspace,
        "templates/laughs.tmpl",
        """
        ---
        to: laughs.txt
        rdf: bomb.rdf
        sparql:
          all: "SELECT * WHERE { ?s ?p ?o }"
        ---
        {{ sparql_results.all | length }}
        """,
    )
    async with ggen_client(ggen_host(["template", "graph"]), mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "laughs"})
    assert "rdf file 'bomb.rdf'" in message and "entity declarations are refused" in message
