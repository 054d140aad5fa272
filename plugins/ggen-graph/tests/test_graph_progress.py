"""Progress of graph_load, graph_clear and graph_export over a session: every notification has the
operation's determinate total, progress only increases, and the last one says done."""

from __future__ import annotations

from typing import Any

import pytest
from ggen_graph.store_ops import PROGRESS_STEP
from graph_helpers import ntriples, write

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

# About 6.5 MB of N-Triples, so that the load crosses the 4 MiB step at which the worker reports the bytes
# parsed: in 6,000 triples with long literals rather than 120,000 short ones, whose index entries cost the
# engine several seconds of CPU to write and to remove, in each of the two modes.
BIG = 6_000
PADDING = 1_050


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))

    def check(self, total: float) -> None:
        assert self.seen, "no progress notification"
        assert {t for _, t, _ in self.seen} == {total}, self.seen
        values = [p for p, _, _ in self.seen]
        assert values == sorted(set(values)), f"progress must only increase: {values}"
        assert values[-1] == total, self.seen


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_load_clear_and_export_report_determinate_progress(
    graph_host: Any, ggen_client: Any, ggen_workspace: Any, mode: str
) -> None:
    data = write(ggen_workspace, "data/big.nt", ntriples(BIG, padding=PADDING))
    size = data.stat().st_size
    assert PROGRESS_STEP < size < 2 * PROGRESS_STEP, size  # one report on the way, one at the end
    async with ggen_client(graph_host(), mode=mode) as client:
        load = Recorder()
        loaded = await client.call_tool(
            "graph_load", {"file": "data/big.nt", "graph": "urn:g:big"}, progress_callback=load
        )
        assert not loaded.is_error, tool_text(loaded)

        export = Recorder()
        exported = await client.call_tool(
            "graph_export",
            {"graph": "urn:g:big", "format": "ntriples", "output": "out/big.nt"},
            progress_callback=export,
        )
        assert not exported.is_error, tool_text(exported)

        clear = Recorder()
        cleared = await client.call_tool("graph_clear", {"graph": "urn:g:big"}, progress_callback=clear)
        assert not cleared.is_error, tool_text(cleared)
        assert cleared.structured_content["triples_removed"] == BIG
    # Checked once the session is closed: the SDK client runs each progress callback as a task of its own, so
    # the last one may still be pending when call_tool returns; closing the session waits for them all.
    load.check(size)  # bytes parsed of the file's bytes
    export.check(2)  # serialized, counted
    clear.check(2)  # counted, removed


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_update_and_validate_report_their_steps(graph_host: Any, ggen_client: Any, mode: str) -> None:
    shapes = (
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:Book ; sh:property [ sh:path ex:title ; sh:minCount 1 ] .\n"
    )
    async with ggen_client(graph_host(), mode=mode) as client:
        update = Recorder()
        updated = await client.call_tool(
            "graph_update",
            {"sparql": "INSERT DATA { <http://example.org/b> a <http://example.org/Book> }"},
            progress_callback=update,
        )
        assert not updated.is_error, tool_text(updated)

        validate = Recorder()
        validated = await client.call_tool("graph_validate", {"shapes_content": shapes}, progress_callback=validate)
        assert not validated.is_error, tool_text(validated)
        assert validated.structured_content["conforms"] is False  # the book has no title

        query = Recorder()
        asked = await client.call_tool("graph_query", {"sparql": "ASK { ?s ?p ?o }"}, progress_callback=query)
        assert not asked.is_error, tool_text(asked)
    # After the session closed, as above: every progress callback has run.
    update.check(2)  # checked, applied
    validate.check(3)  # counted, copied, validated
    assert [(p, t) for p, t, _ in query.seen] == [(0, 1), (1, 1)], query.seen  # running, answered
