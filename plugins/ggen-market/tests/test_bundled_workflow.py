"""The whole workflow against the registry bundled inside ggen-market, through MCP sessions."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ggen_market.store import resolve_template_ref

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
SQL = "io.ggen.sql.ddl"


async def call(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def fail(client: Any, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return tool_text(result)


async def test_search_info_install_generate_update_remove(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path
) -> None:
    host = ggen_host(["market", "template", "graph"])
    assert host.record("template").status == "loaded", host.record("template").error
    async with ggen_client(host, mode="legacy") as client:
        found = await call(client, "market_search", {"query": "sql"})
        assert found["registry"] == "bundled" and found["stale"] is False
        assert [r["id"] for r in found["results"]] == [SQL]
        info = await call(
            client, "market_info", {"package_id": SQL, "health": True, "examples": True, "dependencies": True}
        )
        assert info["templates"] == [f"{SQL}:schema.sql.tmpl"] and info["installed_version"] is None
        assert info["health"]["score"] >= 70 and info["versions"][0]["dependencies"] == {}
        assert any("project_gen" in e for e in info["examples"])

        installed = await call(client, "market_install", {"package": SQL})
        assert installed["status"] == "installed" and installed["version"] == "1.0.0"
        assert installed["templates"] == [f"{SQL}:schema.sql.tmpl"]
        assert installed["path"] == f".ggen/packs/{SQL}/1.0.0"
        lock_bytes = (ggen_workspace / "ggen.lock").read_bytes()
        lock = tomllib.loads(lock_bytes.decode())
        assert lock["version"] == "1.0" and lock["packs"][0]["id"] == SQL
        assert lock["packs"][0]["sha256"] == info["versions"][0]["sha256"]
        assert lock["packs"][0]["source"] == f"bundled:archives/{SQL}-1.0.0.tar.gz"

        again = await call(client, "market_install", {"package": SQL})
        assert again["status"] == "already_installed" and "nothing changed" in again["message"]
        assert (ggen_workspace / "ggen.lock").read_bytes() == lock_bytes
        pinned = await call(client, "market_install", {"package": f"{SQL}@1.0.0"})
        assert pinned["status"] == "already_installed" and "records =1.0.0" in pinned["message"]
        assert tomllib.loads((ggen_workspace / "ggen.lock").read_text())["packs"][0]["requirement"] == "=1.0.0"

        generated = await call(client, "project_gen", {"template": f"{SQL}:schema.sql.tmpl"})
        assert generated["files_created"] == ["schema.sql"]
        with sqlite3.connect(":memory:") as db:
            db.executescript((ggen_workspace / "schema.sql").read_text())
            assert {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")} >= {"books"}

        updated = await call(client, "market_update", {})
        assert updated["changes"] == [
            {"id": SQL, "from_version": "1.0.0", "to_version": "1.0.0", "status": "up_to_date", "note": None}
        ]
        removed = await call(client, "market_remove", {"package": SQL})
        assert removed["removed"] == [f"{SQL}@1.0.0"]
        assert not (ggen_workspace / ".ggen" / "packs" / SQL).exists()
        assert tomllib.loads((ggen_workspace / "ggen.lock").read_text()).get("packs", []) == []
        assert "not installed" in await fail(client, "market_remove", {"package": SQL})
        assert "not found" in await fail(client, "project_gen", {"template": f"{SQL}:schema.sql.tmpl"})


async def test_list_recommend_cache_status_offline_search_and_resources(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path
) -> None:
    async with ggen_client(ggen_host(["market"]), mode="auto") as client:
        listed = await call(client, "market_list", {})
        assert listed["total"] == 4 and listed["categories"] == {"python": 1, "rust": 1, "sql": 1, "typescript": 1}
        tagged = await call(client, "market_list", {"tag": "serde"})
        assert [p["id"] for p in tagged["packs"]] == ["io.ggen.rust.serde"]
        offline = await call(client, "market_search", {"query": "typescript", "offline": True})
        assert [r["id"] for r in offline["results"]] == ["io.ggen.typescript.interfaces"]
        await call(client, "market_install", {"package": "io.ggen.python.models"})
        recommended = await call(client, "market_recommend", {"explain": True})
        assert recommended["based_on"] == ["io.ggen.python.models"]
        assert recommended["recommendations"] and all(
            r["id"] != "io.ggen.python.models" for r in recommended["recommendations"]
        )
        assert all(r["reasons"] for r in recommended["recommendations"])
        by_pack = await call(client, "market_recommend", {"based_on": SQL, "limit": 2})
        assert len(by_pack["recommendations"]) == 2 and by_pack["recommendations"][0]["reasons"] is None
        assert "not in the registry" in await fail(client, "market_recommend", {"based_on": "io.nope"})

        status = await call(client, "market_cache_status", {})
        assert status["package_count"] == 4 and status["category_count"] == 4 and status["is_stale"] is False
        assert status["cached_packs"] == [
            {"id": "io.ggen.python.models", "version": "1.0.0", "size": status["cached_packs"][0]["size"]}
        ]
        assert status["installed_count"] == 1 and status["breaker"] == "closed" and status["total_size"] > 0
        synced = await call(client, "market_sync", {"dry_run": True})
        assert synced["status"] in {"dry_run"} and synced["package_count"] == 4

        packs = json.loads((await client.read_resource("ggen://packs")).contents[0].text)
        assert packs["packs"][0]["id"] == "io.ggen.python.models" and packs["packs"][0]["intact"] is True
        assert "io.ggen.python.models:dataclasses.py.tmpl" in packs["packs"][0]["templates"]
        index = json.loads((await client.read_resource("ggen://market/index")).contents[0].text)
        assert set(index["packs"]) == {
            "io.ggen.python.models",
            "io.ggen.rust.serde",
            SQL,
            "io.ggen.typescript.interfaces",
        }
        assert "not in the registry" in await fail(client, "market_info", {"package_id": "io.ggen.sql.dd"})
        assert "did you mean io.ggen.sql.ddl" in await fail(client, "market_info", {"package_id": "io.ggen.sql.dd"})


async def test_tampered_install_is_restored_and_refs_never_escape(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path
) -> None:
    async with ggen_client(ggen_host(["market"]), mode="legacy") as client:
        await call(client, "market_install", {"package": SQL})
        template = ggen_workspace / ".ggen" / "packs" / SQL / "1.0.0" / "templates" / "schema.sql.tmpl"
        original = template.read_bytes()
        template.write_text("tampered")
        restored = await call(client, "market_install", {"package": SQL})
        assert restored["status"] == "installed" and template.read_bytes() == original

    assert resolve_template_ref(f"{SQL}:schema.sql.tmpl", ggen_workspace) == template.resolve()
    assert resolve_template_ref(f"{SQL}:templates/schema.sql.tmpl", ggen_workspace) == template.resolve()
    assert resolve_template_ref(f"{SQL}:", ggen_workspace) == template.parent.resolve()
    for escape in (
        f"{SQL}:../../../../ggen.lock",
        f"{SQL}:/etc/passwd",
        f"{SQL}:graphs/../../gpack.toml",
        "../x:y",
        f"{SQL}:missing.tmpl",
        "io.not.installed:schema.sql.tmpl",
        "no-colon",
    ):
        assert resolve_template_ref(escape, ggen_workspace) is None, escape
    (template.parent / "leak").symlink_to("/etc")
    assert resolve_template_ref(f"{SQL}:leak/passwd", ggen_workspace) is None


async def test_bad_arguments_and_settings(ggen_host: Any, ggen_client: Any) -> None:
    async with ggen_client(ggen_host(["market"]), mode="legacy") as client:
        assert "package" in await fail(client, "market_install", {"package": "../../etc"})
        assert "not a valid pack id" in await fail(client, "market_install", {"package": "a..b"})
        assert "not a version range" in await fail(client, "market_install", {"package": SQL, "version": "banana"})
        assert "no version of io.ggen.sql.ddl satisfies ^2" in await fail(
            client, "market_install", {"package": SQL, "version": "^2"}
        )
        assert "not in the registry" in await fail(client, "market_install", {"package": "io.nope"})
        assert "limit" in await fail(client, "market_search", {"query": "x", "limit": 1000})
        assert "not installed" in await fail(client, "market_update", {"package": SQL})
    host = ggen_host(["market"], market={"registry_url": "http://10.1.2.3/"})
    async with ggen_client(host, mode="legacy") as client:
        assert "plain http to a non-loopback host" in await fail(client, "market_search", {"query": "x"})
    host = ggen_host(["market"], market={"registry_url": "file:///srv/registry/"})
    async with ggen_client(host, mode="legacy") as client:
        assert "allow_file_urls" in await fail(client, "market_search", {"query": "x"})
    broken = ggen_host(["market"], market={"max_members": "lots"})
    assert broken.record("market").status == "failed_register"
    assert "market.max_members" in broken.record("market").error
