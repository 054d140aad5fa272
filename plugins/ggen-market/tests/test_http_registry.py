"""The workflow against a real registry served over HTTP on 127.0.0.1: dependencies, ranges, sync,
update, prune, stale answers when the registry is down, the breaker, offline installs and concurrency."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import Behaviour, market_cache, write_pack
from test_bundled_workflow import call, fail

pytestmark = pytest.mark.anyio
BASE, APP = "io.example.base", "io.example.app"
APP_TEMPLATE = {
    "hello.tmpl": '---\nto: "{{ name }}.txt"\nvariables:\n  - name: name\n    default: hello\n---\n'
    "app says hello to {{ name }}\n"
}


def two_packs(version: str = "1.0.0") -> list[tuple[Any, ...]]:
    return [(BASE, version), (APP, version, {BASE: "^1"}, {"templates": APP_TEMPLATE, "category": "apps"})]


def lock_of(workspace: Path) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in tomllib.loads((workspace / "ggen.lock").read_text()).get("packs", [])}


async def test_install_with_dependencies_generate_sync_update_and_prune(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry(two_packs())
    host = ggen_host(["market", "template"], market={"registry_url": registry.url})
    async with ggen_client(host, mode="legacy") as client:
        found = await call(client, "market_search", {"query": "app", "category": "apps"})
        assert [r["id"] for r in found["results"]] == [APP] and found["registry"] == registry.url
        info = await call(client, "market_info", {"package_id": APP, "dependencies": True})
        assert info["versions"][0]["dependencies"] == {BASE: "^1"}

        installed = await call(client, "market_install", {"package": APP})
        assert [(p["id"], p["dependency"], p["status"]) for p in installed["packs"]] == [
            (BASE, True, "installed"),
            (APP, False, "installed"),
        ]
        assert installed["message"] == f"installed {APP} 1.0.0 and 1 dependencies"
        lock = lock_of(ggen_workspace)
        assert lock[APP]["dependencies"] == [f"{BASE}@^1"] and lock[APP]["requirement"] == "*"
        assert "requirement" not in lock[BASE]
        assert lock[APP]["source"] == f"{registry.url}archives/{APP}-1.0.0.tar.gz"

        generated = await call(client, "project_gen", {"template": f"{APP}:hello.tmpl", "vars": {"name": "world"}})
        assert generated["files_created"] == ["world.txt"]
        assert (ggen_workspace / "world.txt").read_text() == "app says hello to world\n"

        for pack_id, version in ((BASE, "1.1.0"), (APP, "1.1.0")):
            write_pack(
                registry.src,
                pack_id,
                version,
                dependencies={BASE: "^1.1"} if pack_id == APP else None,
                templates=APP_TEMPLATE if pack_id == APP else None,
            )
        registry.rebuild()
        dry = await call(client, "market_sync", {"dry_run": True})
        assert dry["status"] == "dry_run" and dry["updated"] == [APP, BASE] and dry["added"] == []
        still = await call(client, "market_info", {"package_id": APP})
        assert still["pack"]["version"] == "1.0.0"  # the dry run left the cache alone
        synced = await call(client, "market_sync", {})
        assert synced["status"] == "updated" and synced["updated"] == [APP, BASE]
        unchanged = await call(client, "market_sync", {})
        assert unchanged["status"] == "not_modified"
        assert registry.server.requests[-1][1].get("If-None-Match")

        updated = await call(client, "market_update", {})
        assert {c["id"]: (c["from_version"], c["to_version"], c["status"]) for c in updated["changes"]} == {
            APP: ("1.0.0", "1.1.0", "updated"),
            BASE: ("1.0.0", "1.1.0", "updated"),
        }
        lock = lock_of(ggen_workspace)
        assert lock[APP]["version"] == lock[BASE]["version"] == "1.1.0" and lock[APP]["requirement"] == "*"
        assert not (ggen_workspace / ".ggen" / "packs" / APP / "1.0.0").exists()
        assert (ggen_workspace / ".ggen" / "packs" / APP / "1.1.0" / "gpack.toml").is_file()
        again = await call(client, "market_update", {"package": APP})
        assert again["updated"] == 0 and again["changes"][0]["status"] == "up_to_date"

        assert f"needed by {APP}" in await fail(client, "market_remove", {"package": BASE})
        removed = await call(client, "market_remove", {"package": APP, "prune": True})
        assert removed["removed"] == [f"{APP}@1.1.0"] and removed["pruned"] == [f"{BASE}@1.1.0"]
        assert removed["archives_deleted"] == 4
        assert lock_of(ggen_workspace) == {}
        assert not list((ggen_workspace / ".ggen" / "packs").iterdir())


async def test_ranges_pins_and_held_back_updates(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry(
        [
            (BASE, "1.0.0"),
            (BASE, "1.0.4"),
            (BASE, "1.2.0"),
            (BASE, "2.0.0-rc.1"),
            ("io.example.pinned", "1.0.0"),
            ("io.example.pinned", "1.1.0"),
        ]
    )
    host = ggen_host(["market"], market={"registry_url": registry.url})
    async with ggen_client(host, mode="legacy") as client:
        ranged = await call(client, "market_install", {"package": BASE, "version": "~1.0"})
        assert ranged["version"] == "1.0.4"
        pinned = await call(client, "market_install", {"package": "io.example.pinned@1.0.0"})
        assert pinned["version"] == "1.0.0" and lock_of(ggen_workspace)["io.example.pinned"]["requirement"] == "=1.0.0"
        report = {c["id"]: c for c in (await call(client, "market_update", {}))["changes"]}
        assert report[BASE]["status"] == "pinned" and "~1.0" in report[BASE]["note"]
        assert report["io.example.pinned"]["status"] == "pinned" and "=1.0.0" in report["io.example.pinned"]["note"]
        widened = await call(client, "market_install", {"package": BASE, "version": "^1"})
        assert widened["status"] == "already_installed" and widened["version"] == "1.0.4"
        assert "records ^1" in widened["message"] and lock_of(ggen_workspace)[BASE]["requirement"] == "^1"
        moved = await call(client, "market_update", {"package": BASE})
        assert moved["changes"][0]["to_version"] == "1.2.0" and lock_of(ggen_workspace)[BASE]["requirement"] == "^1"
        replaced = await call(client, "market_install", {"package": f"{BASE}@1.0.0"})
        assert "replaced 1.2.0 with" in replaced["message"] and lock_of(ggen_workspace)[BASE]["version"] == "1.0.0"
        pre = await call(client, "market_install", {"package": BASE, "version": "2.0.0-rc.1"})
        assert pre["version"] == "2.0.0-rc.1"


async def test_registry_down_answers_stale_and_breaker_opens(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any, fast_settings: dict[str, Any]
) -> None:
    registry = make_registry(two_packs())
    settings = {**fast_settings, "registry_url": registry.url, "cache_ttl": 0, "breaker_threshold": 2}
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        await call(client, "market_install", {"package": APP})
        registry.server.behaviours["/index.json"] = Behaviour(status=503)
        first = await call(client, "market_search", {"query": "app"})
        assert first["stale"] is True and "503" in first["note"] and first["results"][0]["id"] == APP
        assert registry.server.count("/index.json") >= 3  # the first fetch, then 2 attempts
        listed = await call(client, "market_list", {})
        assert listed["stale"] is True and listed["total"] == 2 and listed["installed"] == [APP, BASE]
        info = await call(client, "market_info", {"package_id": BASE})
        assert info["stale"] is True and "circuit breaker is open" in info["note"]
        before = registry.server.count("/index.json")
        status = await call(client, "market_cache_status", {})
        assert status["breaker"] == "open" and status["is_stale"] is True
        assert (await call(client, "market_recommend", {}))["stale"] is True
        assert registry.server.count("/index.json") == before  # open breaker: no request at all
        assert "circuit breaker is open" in await fail(client, "market_sync", {})
    from ggen_mcp_core.observability import REGISTRY

    breaker_names = {
        m.labels["registry"] for f in REGISTRY.collect() if f.name == "ggen_mcp_market_breaker_state" for m in f.samples
    }
    assert breaker_names == {registry.url.rstrip("/")}
    name = next(iter(breaker_names))
    state = {
        s: REGISTRY.get_sample_value("ggen_mcp_market_breaker_state", {"registry": name, "state": s})
        for s in ("closed", "open", "half_open")
    }
    assert state == {"closed": 0.0, "open": 1.0, "half_open": 0.0}, state
    assert (REGISTRY.get_sample_value("ggen_mcp_market_index_cache_total", {"result": "stale"}) or 0) >= 1


async def test_offline_reinstall_from_cache_and_lock(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any, fast_settings: dict[str, Any]
) -> None:
    registry = make_registry(two_packs())
    settings = {**fast_settings, "registry_url": registry.url}
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        await call(client, "market_install", {"package": APP})
    lock_bytes = (ggen_workspace / "ggen.lock").read_bytes()
    shutil.rmtree(ggen_workspace / ".ggen" / "packs")
    shutil.rmtree(market_cache(ggen_workspace) / "registries")  # no index left either
    registry.server.close()
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        restored = await call(client, "market_install", {"package": APP})
        assert restored["status"] == "installed" and restored["stale_index"] is True
        assert [p["id"] for p in restored["packs"]] == [BASE, APP]
        assert (ggen_workspace / ".ggen" / "packs" / APP / "1.0.0" / "templates" / "hello.tmpl").is_file()
        assert (ggen_workspace / "ggen.lock").read_bytes() == lock_bytes
        shutil.rmtree(ggen_workspace / ".ggen" / "packs" / BASE)
        for archive in (market_cache(ggen_workspace) / "archives").glob(f"{BASE}@*"):
            archive.unlink()
        message = await fail(client, "market_install", {"package": BASE})
        assert "failed after 2 attempt" in message
        assert "no cached index" in await fail(client, "market_search", {"query": "x"})
        assert "no cached index" in await fail(client, "market_search", {"query": "x", "offline": True})


async def test_concurrent_installs_share_the_lockfile(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry([("io.example.one", "1.0.0"), ("io.example.two", "1.0.0"), ("io.example.three", "1.0.0")])
    settings = {"registry_url": registry.url}
    results: dict[str, Any] = {}

    async def install(client: Any, name: str, package: str) -> None:
        results[name] = await call(client, "market_install", {"package": package})

    # Two servers on one workspace (as two processes would be), each running two installs at once.
    async with (
        ggen_client(ggen_host(["market"], market=settings), mode="legacy") as first,
        ggen_client(ggen_host(["market"], market=settings), mode="legacy") as second,
        anyio.create_task_group() as group,
    ):
        group.start_soon(install, first, "one", "io.example.one")
        group.start_soon(install, second, "two", "io.example.two")
        group.start_soon(install, first, "three-a", "io.example.three")
        group.start_soon(install, second, "three-b", "io.example.three")
    assert set(lock_of(ggen_workspace)) == {"io.example.one", "io.example.two", "io.example.three"}
    statuses = sorted([results["three-a"]["status"], results["three-b"]["status"]])
    assert statuses == ["already_installed", "installed"]
    assert [p.name for p in (ggen_workspace / ".ggen" / "packs" / "io.example.three").iterdir()] == ["1.0.0"]
    assert not list((ggen_workspace / ".ggen" / "tmp" / "market").iterdir())


async def test_registry_token_goes_to_the_registry_origin_only(
    ggen_host: Any, ggen_client: Any, make_registry: Any
) -> None:
    registry = make_registry([(BASE, "1.0.0")])
    mirror = make_registry([(BASE, "1.0.0")])  # another origin (port) serving the same archive
    path = f"/archives/{BASE}-1.0.0.tar.gz"
    registry.server.behaviours[path] = Behaviour(status=302, location=mirror.url.rstrip("/") + path)
    settings = {"registry_url": registry.url, "registry_token": "s3cret"}
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        await call(client, "market_install", {"package": BASE})
    index_headers = next(h for p, h in registry.server.requests if p == "/index.json")
    assert index_headers.get("Authorization") == "Bearer s3cret"
    assert [h.get("Authorization") for p, h in mirror.server.requests if p == path] == [None]
