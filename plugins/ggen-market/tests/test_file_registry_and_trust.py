"""A file:// registry, a registry that changes a published version, category sync, vanished packs, health."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import market_cache, write_pack
from ggen_market.health import health_of
from ggen_market.index import parse_index
from ggen_market.related import score
from test_bundled_workflow import call, fail

pytestmark = pytest.mark.anyio


async def test_file_registry_sees_changes_without_sync(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry([("io.local.pack", "1.0.0")], serve=False)
    settings = {"registry_url": registry.out.as_uri() + "/", "allow_file_urls": True}
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        installed = await call(client, "market_install", {"package": "io.local.pack"})
        assert installed["packs"][0]["source"] == (registry.out / "archives" / "io.local.pack-1.0.0.tar.gz").as_uri()
        write_pack(registry.src, "io.local.pack", "1.1.0")
        registry.rebuild()
        info = await call(client, "market_info", {"package_id": "io.local.pack"})
        assert info["pack"]["version"] == "1.1.0" and info["installed_version"] == "1.0.0"
        assert (await call(client, "market_update", {}))["updated"] == 1
        (registry.out / "archives" / "io.local.pack-1.1.0.tar.gz").write_bytes(b"changed on disk")
        shutil.rmtree(ggen_workspace / ".ggen" / "packs")
        shutil.rmtree(market_cache(ggen_workspace) / "archives")
        assert "is 15 bytes but the registry declares" in await fail(
            client, "market_install", {"package": "io.local.pack"}
        )


async def test_a_registry_may_not_change_a_published_version(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry([("io.example.stable", "1.0.0")])
    async with ggen_client(
        ggen_host(["market"], market={"registry_url": registry.url, "cache_ttl": 0}), mode="legacy"
    ) as client:
        await call(client, "market_install", {"package": "io.example.stable"})
        lock = (ggen_workspace / "ggen.lock").read_bytes()
        shutil.rmtree(ggen_workspace / ".ggen" / "packs")
        shutil.rmtree(registry.src)
        write_pack(registry.src, "io.example.stable", "1.0.0", templates={"other.tmpl": "swapped content"})
        registry.rebuild()
        message = await fail(client, "market_install", {"package": "io.example.stable"})
        assert "a published version must never change" in message and "ggen.lock pins" in message
        assert (ggen_workspace / "ggen.lock").read_bytes() == lock


async def test_category_sync_and_vanished_packs(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry(
        [("io.a.one", "1.0.0", {}, {"category": "alpha"}), ("io.b.one", "1.0.0", {}, {"category": "beta"})]
    )
    async with ggen_client(ggen_host(["market"], market={"registry_url": registry.url}), mode="legacy") as client:
        await call(client, "market_install", {"package": "io.b.one"})
        write_pack(registry.src, "io.a.two", "1.0.0", category="alpha")
        write_pack(registry.src, "io.b.two", "1.0.0", category="beta")
        shutil.rmtree(registry.src / "io.b.one-1.0.0")
        registry.rebuild()
        alpha = await call(client, "market_sync", {"category": "alpha"})
        assert (alpha["added"], alpha["updated"], alpha["removed"]) == (["io.a.two"], [], [])
        assert alpha["package_count"] == 3  # beta is still as it was cached
        listed = await call(client, "market_list", {"category": "beta"})
        assert [p["id"] for p in listed["packs"]] == ["io.b.one"]
        beta = await call(client, "market_sync", {"category": "beta"})
        assert (beta["added"], beta["removed"]) == (["io.b.two"], ["io.b.one"])
        report = await call(client, "market_update", {})
        assert report["changes"] == [
            {
                "id": "io.b.one",
                "from_version": "1.0.0",
                "to_version": "1.0.0",
                "status": "unavailable",
                "note": "the registry no longer lists this pack",
            }
        ]
        recommended = await call(client, "market_recommend", {"category": "beta", "explain": True})
        assert [r["id"] for r in recommended["recommendations"]] == ["io.b.two"]


def test_health_and_relatedness_scores() -> None:
    doc = {
        "packs": {
            "io.old": {
                "id": "io.old",
                "name": "Old",
                "latest_version": "0.1.0",
                "updated": "2020-01-01T00:00:00Z",
                "versions": {
                    "0.1.0": {"version": "0.1.0", "git_url": "https://h/r.git", "git_rev": "a" * 40, "sha256": "b" * 64}
                },
            },
            "io.new": {
                "id": "io.new",
                "name": "New",
                "latest_version": "2.0.0",
                "license": "MIT",
                "downloads": 1000,
                "description": "A long enough description of the pack.",
                "homepage": "https://example.org",
                "updated": datetime.now(UTC).isoformat(),
                "tags": ["x", "y"],
                "category": "c",
                "versions": {
                    "2.0.0": {
                        "version": "2.0.0",
                        "url": "a.tar.gz",
                        "size": 5,
                        "sha256": "c" * 64,
                        "templates": ["templates/a.tmpl"],
                        "dependencies": {"io.old": "0.1"},
                    }
                },
            },
        }
    }
    index = parse_index(json.dumps(doc).encode())
    old_score, old_reasons = health_of(index.packs["io.old"])
    new_score, new_reasons = health_of(index.packs["io.new"])
    assert new_score == 100 and all(r.startswith("+") for r in new_reasons)
    assert old_score == 25 and "+0 no license declared" in old_reasons
    assert "+0 not updated for over a year (or no date)" in old_reasons
    value, reasons = score(index.packs["io.new"], [index.packs["io.old"]])
    assert value > 4 and "dependency relation with io.old" in reasons and any("popular" in r for r in reasons)
