"""Cursor pagination of tools/list, resources/list, resources/templates/list and prompts/list (``list_page_size``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.pagination import encode_cursor

pytestmark = pytest.mark.anyio


async def walk(fetch: Callable[[str | None], Awaitable[Any]], field: str) -> tuple[list[Any], int]:
    """Every item, following nextCursor; and how many pages it took."""
    items: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        result = await fetch(cursor)
        pages += 1
        items += getattr(result, field)
        cursor = result.next_cursor
        if cursor is None:
            return items, pages


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_lists_come_in_pages(fixture_site: Path, ggen_host: Any, ggen_client: Any, mode: str) -> None:
    host = ggen_host(["demo", "graph"], list_page_size=2)
    async with ggen_client(host, mode=mode) as client:
        first = await client.list_tools()
        assert len(first.tools) == 2 and first.next_cursor is not None
        tools, pages = await walk(lambda c: client.list_tools(cursor=c), "tools")
        assert [t.name for t in tools] == list(host.tools) and pages == (len(host.tools) + 1) // 2
        resources, _ = await walk(lambda c: client.list_resources(cursor=c), "resources")
        assert [str(r.uri) for r in resources] == list(host.resources)
        templates, pages = await walk(lambda c: client.list_resource_templates(cursor=c), "resource_templates")
        assert [t.uri_template for t in templates] == ["demo://items/{id}", "ggen://graphs/{name}"] and pages == 1
        prompts, _ = await walk(lambda c: client.list_prompts(cursor=c), "prompts")
        assert {p.name for p in prompts} == {
            "demo_explain",
            "design_ontology",
            "query_graph",
            "review_against_ontology",
        }
        past_the_end = await client.list_tools(cursor=encode_cursor(10_000))
        assert past_the_end.tools == [] and past_the_end.next_cursor is None
        for bad in ("nonsense", encode_cursor(1)[:-1] + "!", "Z2dlbi1vZmZzZXQ6LTE"):
            with pytest.raises(MCPError, match="invalid cursor"):
                await client.list_tools(cursor=bad)


async def test_default_page_holds_every_tool(fixture_site: Path, ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(None)
    async with ggen_client(host) as client:
        listed = await client.list_tools()
    assert len(listed.tools) == len(host.tools) and listed.next_cursor is None
