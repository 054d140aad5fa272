"""What the market tools promise over MCP: install progress with a determinate total it reaches, paged
listings (``cursor`` in, ``next_cursor`` out), and a description on every output field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_bundled_workflow import call, fail

pytestmark = pytest.mark.anyio

BASE, APP, LEAF = "io.example.base", "io.example.app", "io.example.leaf"
Reports = list[tuple[float, float | None, str | None]]


def recorder() -> tuple[Reports, Any]:
    """A list of progress reports and the callback that appends to it (one per call)."""
    reports: Reports = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        reports.append((value, total, message))

    return reports, on_progress


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_install_progress_is_determinate_and_reaches_its_total(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any, mode: str
) -> None:
    registry = make_registry([(BASE, "1.0.0"), (LEAF, "1.0.0"), (APP, "1.0.0", {BASE: "^1", LEAF: "^1"})])
    first, on_first = recorder()
    reports, on_progress = recorder()

    async with ggen_client(ggen_host(["market"], market={"registry_url": registry.url}), mode=mode) as client:
        result = await client.call_tool("market_install", {"package": APP}, progress_callback=on_first)
        assert not result.is_error
        assert [p["id"] for p in result.structured_content["packs"]][-1] == APP
        await call(client, "market_install", {"package": LEAF})  # already installed: nothing to report
        await call(client, "market_remove", {"package": APP})
        await client.call_tool("market_install", {"package": APP}, progress_callback=on_progress)
    # Checked once the session is closed: the SDK client runs each progress callback as a task of its own, so
    # the last one may still be pending when call_tool returns; closing the session waits for them all.
    assert {total for _, total, _ in first} == {7.0}, first  # fetch + extract for 3 packs, then the commit
    values = [value for value, _, _ in first]
    assert values == sorted(values) and values[0] == 0 and values[-1] == 7.0, first
    assert [m for _, _, m in first if m and m.startswith("fetching")] == [
        f"fetching {BASE} 1.0.0",
        f"fetching {LEAF} 1.0.0",
        f"fetching {APP} 1.0.0",
    ]
    assert first[-1][2] == "3 pack(s) installed"
    # only the app was missing the second time: one fetch, one extract, the commit
    assert [(v, t) for v, t, _ in reports] == [(0, 3.0), (1, 3.0), (2, 3.0), (3.0, 3.0)], reports


async def test_list_and_search_page_with_cursors(ggen_host: Any, ggen_client: Any, ggen_workspace: Path) -> None:
    async with ggen_client(ggen_host(["market"]), mode="auto") as client:
        whole = await call(client, "market_list", {})
        assert whole["total"] == 4 and whole["next_cursor"] is None
        names = [p["id"] for p in whole["packs"]]
        paged: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = await call(client, "market_list", {"limit": 3} | ({"cursor": cursor} if cursor else {}))
            assert page["total"] == 4 and page["categories"] == whole["categories"]
            paged += [p["id"] for p in page["packs"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == names and pages == 2

        everything = await call(client, "market_search", {"query": "", "sort": "name", "limit": 100})
        first = await call(client, "market_search", {"query": "", "sort": "name", "limit": 2})
        assert first["total"] == 4 and first["next_cursor"] is not None
        rest = await call(client, "market_search", {"query": "", "sort": "name", "cursor": first["next_cursor"]})
        assert rest["next_cursor"] is None
        assert [r["id"] for r in first["results"] + rest["results"]] == [r["id"] for r in everything["results"]]

        assert "cursor" in await fail(client, "market_list", {"cursor": "abc"})
        assert "cursor" in await fail(client, "market_search", {"query": "", "cursor": "99"})
        empty_last = await call(client, "market_list", {"cursor": "4"})
        assert empty_last["packs"] == [] and empty_last["next_cursor"] is None


def _undescribed(schema: dict[str, Any], where: str) -> list[str]:
    missing = []
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("description"):
            missing.append(f"{where}.{name}")
    for name, definition in schema.get("$defs", {}).items():
        missing += _undescribed(definition, f"{where}/{name}")
    return missing


async def test_every_output_field_of_market_and_hook_tools_is_described(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path
) -> None:
    async with ggen_client(ggen_host(["market", "hook"]), mode="auto") as client:
        tools = (await client.list_tools()).tools
    checked = [t for t in tools if t.name.startswith(("market_", "hook_"))]
    assert len(checked) >= 14 and all(t.output_schema for t in checked)
    missing = [m for t in checked for m in _undescribed(t.output_schema or {}, t.name)]
    assert missing == []


async def test_market_tools_fit_their_context_budget(ggen_host: Any, ggen_client: Any) -> None:
    """Issue 16: what the model reads of the market tools in ``tools/list`` (name, description, input
    schema as compact JSON) stays within the pack's 3,300 bytes (bench/context_cost.py's PACK_BUDGETS)."""
    async with ggen_client(ggen_host(["market"]), mode="auto") as client:
        tools = [t for t in (await client.list_tools()).tools if t.name.startswith("market_")]
    visible = [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools]
    size = sum(len(json.dumps(v, separators=(",", ":"))) for v in visible)
    assert len(tools) == 9 and size <= 3300, size


async def test_sync_progress_counts_its_steps(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry([(BASE, "1.0.0"), (LEAF, "1.0.0")])
    fresh, on_fresh = recorder()
    reports, on_progress = recorder()

    async with ggen_client(ggen_host(["market"], market={"registry_url": registry.url}), mode="legacy") as client:
        synced = await client.call_tool("market_sync", {"force": True}, progress_callback=on_fresh)
        assert not synced.is_error and synced.structured_content["status"] == "updated"
        again = await client.call_tool("market_sync", {}, progress_callback=on_progress)
        assert not again.is_error
    # After the session closed, as above: every progress callback has run.
    assert [(v, t) for v, t, _ in fresh] == [(1, 3), (2, 3), (3, 3)] and fresh[-1][2] == "index cached", fresh
    if again.structured_content["status"] == "not_modified":
        assert reports == [(1, 1, "the cached index is current")]
    else:  # a registry without validators sends the index again
        assert [(v, t) for v, t, _ in reports] == [(1, 3), (2, 3), (3, 3)]
