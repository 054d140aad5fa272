"""The query deadline: a pathological query ends as isError within the deadline plus one second, the
worker running it is killed (no CPU left burning), and other calls are answered meanwhile."""

from __future__ import annotations

import os
import time

import anyio
import pytest
from ggen_graph.stores import open_stores
from graph_helpers import ntriples

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SLOW_UPDATE = "INSERT { <urn:x> <urn:y> ?n } WHERE { { " + CARTESIAN + " } }"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False  # reaped between the two looks: /proc/<pid> is gone


async def test_cartesian_product_hits_the_default_10_s_deadline(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(), mode="legacy") as client:
        loaded = await client.call_tool("graph_load", {"content": ntriples(10_000), "format": "ntriples"})
        assert loaded.structured_content["graph_size"] == 10_000
        worker_pid = open_stores()[0].worker.pid  # type: ignore[attr-defined]
        answered: list[float] = []
        outcome: dict[str, object] = {}

        async def pathological() -> None:
            start = time.monotonic()
            outcome["result"] = await client.call_tool("graph_query", {"sparql": CARTESIAN})
            outcome["elapsed"] = time.monotonic() - start

        async def meanwhile() -> None:
            await anyio.sleep(0.5)
            while "result" not in outcome:
                start = time.monotonic()
                listed = await client.call_tool("graph_list", {})
                assert not listed.is_error, tool_text(listed)
                answered.append(time.monotonic() - start)
                await anyio.sleep(1.0)

        async with anyio.create_task_group() as group:
            group.start_soon(pathological)
            group.start_soon(meanwhile)

        result = outcome["result"]
        assert result.is_error  # type: ignore[attr-defined]
        assert "query exceeded 10 s" in tool_text(result)
        assert 10.0 <= outcome["elapsed"] <= 11.0, outcome["elapsed"]  # type: ignore[operator]
        # other calls keep being answered while the query runs (not held until its deadline): a loaded CI
        # machine may take a second or two for one of them, never the query's 10 s
        assert len(answered) >= 5 and max(answered) < 5.0, answered
        assert not alive(worker_pid), "the worker running the query must be killed, not left burning CPU"
        after = await client.call_tool("graph_query", {"sparql": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        assert after.structured_content["rows"] == [["10000"]]


async def test_a_short_deadline_and_a_fresh_worker(graph_host, ggen_client) -> None:
    async with ggen_client(graph_host(query_timeout=1), mode="legacy") as client:
        await client.call_tool("graph_load", {"content": ntriples(2_000), "format": "ntriples"})
        start = time.monotonic()
        result = await client.call_tool("graph_query", {"sparql": CARTESIAN})
        assert result.is_error and "query exceeded 1 s" in tool_text(result)
        assert time.monotonic() - start < 2.0
        fine = await client.call_tool("graph_query", {"sparql": "ASK { ?s ?p ?o }"})
        assert fine.structured_content["boolean"] is True


async def test_a_write_nobody_waits_for_is_still_stopped_at_its_deadline() -> None:
    from ggen_graph.worker_client import WorkerClient

    client = WorkerClient(None, threads=2)
    try:
        await client.call_async("load", {"format": "ntriples", "data": ntriples(2_000).encode()}, deadline_s=30)
        pid = client.pid
        assert pid is not None
        with anyio.move_on_after(0.3):  # the caller gives up (a cancelled request)
            await client.call_async("update", {"sparql": SLOW_UPDATE}, deadline_s=1.0, what="update")
        assert alive(pid), "a cancelled write is not cut short (it could be lost): it runs to its deadline"
        await anyio.sleep(1.5)
        assert not alive(pid), "the watchdog must kill the worker at the abandoned call's deadline"
        assert await client.call_async("ping", deadline_s=30) == "pong"
    finally:
        client.close()


async def test_a_cancelled_query_is_stopped_in_the_worker(graph_host, ggen_client) -> None:
    """Cancelling graph_query over a session stops the query: the worker that ran it is gone long before
    the query's 60 s deadline, and the next call is answered meanwhile by a fresh worker."""
    async with ggen_client(graph_host(query_timeout=60)) as client:
        await client.call_tool("graph_load", {"content": ntriples(10_000), "format": "ntriples"})
        store = open_stores()[0]
        busy_pid = store.worker.pid  # type: ignore[attr-defined]
        assert busy_pid is not None
        with anyio.move_on_after(0.5) as scope:  # the client cancels (notifications/cancelled)
            await client.call_tool("graph_query", {"sparql": CARTESIAN})
        assert scope.cancelled_caught, "the cartesian product must still be running when it is cancelled"
        with anyio.fail_after(20):  # far below the 60 s deadline that would otherwise stop it
            while alive(busy_pid):
                await anyio.sleep(0.01)
        after = await client.call_tool("graph_query", {"sparql": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        assert after.structured_content["rows"] == [["10000"]]
        assert store.worker.pid not in (None, busy_pid)  # type: ignore[attr-defined]
