"""``notifications/resources/updated`` from the graph pack's write tools, to subscribers only, in both eras."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
TURTLE = "@prefix ex: <http://example.org/> . ex:a ex:b ex:c ."
NAMED = "ggen://graphs/urn%3Ax%3Abooks"
DEFAULT = "ggen://graphs/default"


async def call_ok(client: Any, name: str, arguments: dict[str, Any]) -> None:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, tool_text(result)


async def test_legacy_subscribers_hear_graph_writes(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["graph"])
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            updated.append(str(root.params.uri))

    async with ggen_client(host, mode="legacy", message_handler=on_message) as client:
        await client.subscribe_resource(NAMED)
        await client.subscribe_resource("ggen://graphs")
        await call_ok(client, "graph_load", {"content": TURTLE})  # the default graph: only the list changes
        with anyio.fail_after(5):
            while "ggen://graphs" not in updated:
                await anyio.sleep(0.01)
        assert NAMED not in updated
        updated.clear()
        await call_ok(client, "graph_load", {"content": TURTLE, "graph": "urn:x:books"})
        await call_ok(client, "graph_clear", {"graph": "urn:x:books"})
        await call_ok(client, "graph_update", {"sparql": "INSERT DATA { <urn:s> <urn:p> <urn:o> }"})
        with anyio.fail_after(5):
            while updated.count("ggen://graphs") < 3:
                await anyio.sleep(0.01)
        assert updated.count(NAMED) == 2  # load and clear; the update left it alone and it no longer exists
        await client.unsubscribe_resource("ggen://graphs")
        await client.unsubscribe_resource(NAMED)
        updated.clear()
        await call_ok(client, "graph_load", {"content": TURTLE, "graph": "urn:x:books"})
        await call_ok(client, "graph_list", {})
    assert updated == []


async def test_listen_streams_hear_graph_writes(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["graph"])
    async with (
        ggen_client(host, mode="auto") as client,
        client.listen(resource_subscriptions=[NAMED, DEFAULT]) as stream,
    ):
        await call_ok(client, "graph_load", {"content": TURTLE, "graph": "urn:x:books"})
        with anyio.fail_after(5):
            first = await stream.__anext__()
        await call_ok(client, "graph_update", {"sparql": "INSERT DATA { <urn:s> <urn:p> <urn:o> }"})
        with anyio.fail_after(5):
            second = {(await stream.__anext__()).uri, (await stream.__anext__()).uri}
    assert first.uri == NAMED
    assert second == {NAMED, DEFAULT}  # an update may touch any graph: each one is announced
