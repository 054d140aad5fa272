"""The embedded store survives restarts, and a process killed (SIGKILL) during a load loses only that load."""

from __future__ import annotations

import os
import signal
import time

import anyio
import pytest
from ggen_graph.stores import close_all, open_stores
from graph_helpers import TURTLE, ntriples, write

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


async def total(client) -> int:
    result = await client.call_tool("graph_query", {"sparql": COUNT_ALL})
    assert not result.is_error, tool_text(result)
    return int(result.structured_content["rows"][0][0])


async def test_store_survives_a_restart(graph_host, ggen_client, ggen_workspace) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE, "graph": "urn:people"})
    close_all()
    assert (ggen_workspace / ".ggen" / "store").is_dir()
    async with ggen_client(graph_host(), mode="legacy") as client:
        assert await total(client) == 8
        # the prefixes the Turtle declared were kept too
        ask = {"sparql": "ASK { ex:alice ex:knows ex:bob }", "graph": "urn:people"}
        result = await client.call_tool("graph_query", ask)
        assert result.structured_content["boolean"] is True


async def test_kill_9_during_a_load_loses_only_that_load(graph_host, ggen_client, ggen_workspace) -> None:
    write(ggen_workspace, "big.nt", ntriples(400_000))
    async with ggen_client(graph_host(), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": TURTLE, "graph": "urn:kept"})
        pid = open_stores()[0].worker.pid  # type: ignore[attr-defined]
        assert pid is not None
        outcome: dict[str, object] = {}

        async def load() -> None:
            outcome["result"] = await client.call_tool("graph_load", {"file": "big.nt", "graph": "urn:big"})

        async with anyio.create_task_group() as group:
            group.start_soon(load)
            await anyio.sleep(0.4)
            os.kill(pid, signal.SIGKILL)

        result = outcome["result"]
        assert result.is_error, "the load finished before the kill: make the file bigger"  # type: ignore[attr-defined]
        assert "worker ended" in tool_text(result) or "restarted" in tool_text(result)
        started = time.monotonic()
        assert await total(client) == 8  # the store opened again, with everything but the killed load
        assert time.monotonic() - started < 10
        listed = await client.call_tool("graph_list", {})
        names = [g["graph"] for g in listed.structured_content["graphs"]]
        assert "urn:kept" in names and "urn:big" not in names
        again = await client.call_tool("graph_load", {"content": ntriples(10), "graph": "urn:big"})
        assert not again.is_error and again.structured_content["graph_size"] == 10
