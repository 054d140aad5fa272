"""``notifications/resources/updated`` from the write tools of the graph, market and template packs, to
subscribers only, in both eras; failed writes announce nothing."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import MCPError

from ggen_mcp_core.testing import tool_text
from tests.local_registry import served_registry, write_pack

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


PACKS = "ggen://packs"
PACK = "ggen://packs/io.example.hello"
TEMPLATES = "ggen://templates"
PACK_TEMPLATE = "ggen://templates/io.example.hello%3Atemplates%2Fhello.tmpl"
CREATED = "ggen://templates/greet"
GREETING = "---\nto: greet.txt\n---\nhello {{ 6 * 7 }}\n"


@pytest.fixture
def registry_url(tmp_path: Path) -> Iterator[str]:
    with served_registry(tmp_path / "reg", [("io.example.hello", "1.0.0", "testing")]) as url:
        yield url


def recorder(into: list[str]) -> Callable[[Any], Awaitable[None]]:
    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            into.append(str(root.params.uri))

    return on_message


async def heard(updated: list[str], *uris: str) -> None:
    with anyio.fail_after(10):
        while not set(uris) <= set(updated):
            await anyio.sleep(0.01)


async def failed_writes(client: Any) -> None:
    """Writes that fail: none may announce anything."""
    for name, arguments in [
        ("market_install", {"package": "io.example.nope"}),
        ("market_remove", {"package": "io.example.nope"}),
        ("template_create", {"name": "greet", "content": GREETING}),  # exists, no force
        ("template_create", {"name": "broken", "content": "{% if %}"}),
    ]:
        result = await client.call_tool(name, arguments)
        assert result.is_error, (name, tool_text(result))


async def test_legacy_subscribers_hear_pack_and_template_writes(
    ggen_host: Any, ggen_client: Any, registry_url: str
) -> None:
    host = ggen_host(["market", "template"], market={"registry_url": registry_url})
    updated: list[str] = []
    overheard: list[str] = []
    async with (
        ggen_client(host, mode="legacy", message_handler=recorder(updated)) as client,
        ggen_client(host, mode="legacy", message_handler=recorder(overheard)) as bystander,
    ):
        for uri in (PACKS, PACK, TEMPLATES, PACK_TEMPLATE, CREATED):
            await client.subscribe_resource(uri)
        await call_ok(client, "market_install", {"package": "io.example.hello"})
        await heard(updated, PACKS, PACK, TEMPLATES, PACK_TEMPLATE)
        assert CREATED not in updated
        listing = json.loads((await client.read_resource(TEMPLATES)).contents[0].text)
        assert {t["uri"] for t in listing["templates"]} == {PACK_TEMPLATE}  # announced as listed
        assert "hello from io.example.hello" in (await client.read_resource(PACK_TEMPLATE)).contents[0].text
        assert json.loads((await client.read_resource(PACK)).contents[0].text)["version"] == "1.0.0"
        packs = json.loads((await client.read_resource(PACKS)).contents[0].text)["packs"]
        assert [p["uri"] for p in packs] == [PACK]

        updated.clear()
        await call_ok(client, "template_create", {"name": "greet.tmpl", "content": GREETING})
        await heard(updated, TEMPLATES, CREATED)
        assert "hello {{ 6 * 7 }}" in (await client.read_resource(CREATED)).contents[0].text
        updated.clear()
        await failed_writes(client)
        await call_ok(client, "template_create", {"name": "greet", "content": GREETING, "force": True})
        await heard(updated, CREATED)  # in order on the connection: the failed writes came before
        assert sorted(updated) == sorted([TEMPLATES, CREATED])

        updated.clear()
        await call_ok(client, "market_remove", {"package": "io.example.hello"})
        await heard(updated, PACKS, PACK, TEMPLATES, PACK_TEMPLATE)
        await client.unsubscribe_resource(CREATED)
        updated.clear()
        await call_ok(client, "template_create", {"name": "greet", "content": GREETING, "force": True})
        await heard(updated, TEMPLATES)
        assert CREATED not in updated
        await bystander.list_tools()  # anything sent to it before this answer has arrived
    assert overheard == []


async def test_listen_streams_hear_pack_and_template_writes(
    ggen_host: Any, ggen_client: Any, registry_url: str
) -> None:
    host = ggen_host(["market", "template"], market={"registry_url": registry_url})

    async def next_uris(stream: Any, count: int) -> list[str]:
        with anyio.fail_after(10):
            return [(await stream.__anext__()).uri for _ in range(count)]

    async with (
        ggen_client(host, mode="auto") as client,
        client.listen(resource_subscriptions=[PACKS, PACK, PACK_TEMPLATE, CREATED]) as stream,
    ):
        await call_ok(client, "market_install", {"package": "io.example.hello"})
        installed = await next_uris(stream, 3)
        await call_ok(client, "template_create", {"name": "greet", "content": GREETING})
        created = await next_uris(stream, 1)
        await failed_writes(client)
        await call_ok(client, "market_remove", {"package": "io.example.hello"})
        removed = await next_uris(stream, 3)
    assert created == [CREATED]
    assert sorted(installed) == sorted(removed) == sorted([PACKS, PACK, PACK_TEMPLATE])  # failed writes: nothing


async def test_sync_announces_the_cached_index(ggen_host: Any, ggen_client: Any, registry_url: str) -> None:
    host = ggen_host(["market"], market={"registry_url": registry_url})
    updated: list[str] = []
    async with ggen_client(host, mode="legacy", message_handler=recorder(updated)) as client:
        await client.subscribe_resource("ggen://market/index")
        await call_ok(client, "market_sync", {"dry_run": True})
        await call_ok(client, "market_sync", {})
        await heard(updated, "ggen://market/index")
        await call_ok(client, "market_sync", {})  # not modified: the cache's content did not change
        await client.list_tools()
    assert updated == ["ggen://market/index"]


async def test_unknown_pack_or_template_is_a_clear_error(ggen_host: Any, ggen_client: Any, registry_url: str) -> None:
    host = ggen_host(["market", "template"], market={"registry_url": registry_url})
    async with ggen_client(host, mode="legacy") as client:
        with pytest.raises(MCPError, match=r"pack 'io.example.nope' is not installed \(installed packs: none\)"):
            await client.read_resource("ggen://packs/io.example.nope")
        with pytest.raises(MCPError, match=r"template 'nope' not found"):
            await client.read_resource("ggen://templates/nope")
        await call_ok(client, "market_install", {"package": "io.example.hello"})
        completed = await client.complete(
            types.ResourceTemplateReference(uri="ggen://packs/{id}"), {"name": "id", "value": "io.ex"}
        )
    assert completed.completion.values == ["io.example.hello"]


async def test_update_announces_the_moved_pack(ggen_host: Any, ggen_client: Any, tmp_path: Path) -> None:
    from ggen_market.builder import build_registry

    root = tmp_path / "moving"
    with served_registry(root, [("io.example.hello", "1.0.0", "testing")]) as url:
        host = ggen_host(["market", "template"], market={"registry_url": url, "cache_ttl": 0})
        updated: list[str] = []
        async with ggen_client(host, mode="legacy", message_handler=recorder(updated)) as client:
            for uri in (PACKS, PACK, PACK_TEMPLATE):
                await client.subscribe_resource(uri)
            await call_ok(client, "market_install", {"package": "io.example.hello", "version": "^1"})
            await call_ok(client, "market_update", {})  # nothing newer: nothing changes
            await call_ok(client, "template_list", {})
            await heard(updated, PACKS, PACK, PACK_TEMPLATE)
            assert sorted(updated) == sorted([PACKS, PACK, PACK_TEMPLATE])
            updated.clear()
            write_pack(root / "registry-src", "io.example.hello", "1.1.0")
            build_registry(root / "registry-src", root / "registry", updated="2026-10-02T00:00:00Z")
            index = root / "registry" / "index.json"  # Last-Modified has whole seconds: newer than the cache's
            os.utime(index, (time.time() + 5, time.time() + 5))
            moved = await client.call_tool("market_update", {})
            assert moved.structured_content["updated"] == 1, tool_text(moved)
            await heard(updated, PACKS, PACK, PACK_TEMPLATE)
            assert json.loads((await client.read_resource(PACK)).contents[0].text)["version"] == "1.1.0"
