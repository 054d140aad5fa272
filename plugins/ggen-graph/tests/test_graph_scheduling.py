"""The store worker's scheduling policy (``graph.worker_batch_scheduling``): every thread of the worker runs
under SCHED_BATCH by default (so a worker woken by a request never preempts the server's event loop), under
the policy it inherits from the server (the normal one) when the setting is off, and queries answer the same
either way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ggen_graph.stores import open_stores
from graph_helpers import ntriples

from ggen_mcp_core.testing import tool_text

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is a Linux scheduling policy"),
]

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def thread_policies(pid: int) -> set[int]:
    """The scheduling policy of every thread of process ``pid``."""
    return {os.sched_getscheduler(int(tid)) for tid in os.listdir(Path("/proc", str(pid), "task"))}


@pytest.mark.parametrize(
    ("settings", "policy"),
    [({}, "SCHED_BATCH"), ({"worker_batch_scheduling": False}, None)],
    ids=["default-batch", "off-normal"],
)
async def test_every_worker_thread_runs_under_the_configured_policy(
    graph_host, ggen_client, settings: dict[str, bool], policy: str | None
) -> None:
    own = os.sched_getscheduler(0)
    assert own != os.SCHED_BATCH, "run the suite under the normal policy: the test tells them apart"
    expected = getattr(os, policy) if policy else own
    async with ggen_client(graph_host(**settings), mode="legacy") as client:
        loaded = await client.call_tool("graph_load", {"content": ntriples(200), "format": "ntriples"})
        assert not loaded.is_error, tool_text(loaded)
        answered = await client.call_tool("graph_query", {"sparql": QUERY})
        assert not answered.is_error, tool_text(answered)
        assert answered.structured_content["rows"] == [["200"]]
        pid = open_stores()[0].worker.pid  # type: ignore[attr-defined]
        assert pid is not None and pid != os.getpid()
        policies = thread_policies(pid)
        assert len(os.listdir(Path("/proc", str(pid), "task"))) > 1, "the worker's pool threads are running"
        assert policies == {expected}, policies
    assert os.sched_getscheduler(0) == own, "the server's own threads keep their policy"
