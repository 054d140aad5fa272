"""Registries that misbehave on purpose, served over HTTP on 127.0.0.1.

Each case must end in a clear error, with nothing new in the workspace and ``ggen.lock`` byte-identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hostile
import pytest
from conftest import Behaviour, Registry, snapshot, write_pack
from ggen_market.archive import write_archive
from test_bundled_workflow import call, fail

pytestmark = pytest.mark.anyio
GOOD = "io.example.good"


def publish(registry: Registry, pack_id: str, archive: Path | None = None, **entry: Any) -> str:
    """Add ``pack_id`` 1.0.0 to the registry's index, served from ``archive``; return its URL path."""
    index = registry.index()
    name = f"{pack_id}-1.0.0.tar.gz"
    if archive is not None:
        (registry.out / "archives" / name).write_bytes(archive.read_bytes())
    version = {
        "version": "1.0.0",
        "url": f"archives/{name}",
        "sha256": "0" * 64,
        "size": archive.stat().st_size if archive is not None else 100,
        **entry,
    }
    index["packs"][pack_id] = {
        "id": pack_id,
        "name": pack_id,
        "latest_version": "1.0.0",
        "versions": {"1.0.0": version},
    }
    registry.save_index(index)
    return f"/archives/{name}"


def evil_archive(tmp_path: Path, pack_id: str, members: Any) -> Path:
    manifest = f'[gpack]\nid = "{pack_id}"\nname = "Evil"\nversion = "1.0.0"\n'.encode()
    return hostile.build(tmp_path / f"{pack_id}.tar.gz", members, manifest=manifest)


def honest_archive(tmp_path: Path, pack_id: str, text: str = "hi") -> tuple[Path, str]:
    source = write_pack(tmp_path / "honest", pack_id, templates={"a.tmpl": text})
    target = tmp_path / f"{pack_id}-honest.tar.gz"
    return target, write_archive(source, target)


async def test_every_hostile_registry_fails_cleanly(
    ggen_host: Any,
    ggen_client: Any,
    ggen_workspace: Path,
    make_registry: Any,
    fast_settings: dict[str, Any],
    tmp_path: Path,
) -> None:
    registry = make_registry([(GOOD, "1.0.0")])
    server = registry.server
    cases: list[tuple[str, str]] = []

    def case(pack_id: str, expected: str) -> None:
        cases.append((pack_id, expected))

    path = publish(registry, "io.evil.error500")
    server.behaviours[path] = Behaviour(status=500)
    case("io.evil.error500", "failed after 2 attempt(s): the server answered 500")
    path = publish(registry, "io.evil.hang")
    server.behaviours[path] = Behaviour(hang=10)
    case("io.evil.hang", "timed out")
    archive, digest = honest_archive(tmp_path, "io.evil.truncated", "x" * 5000)
    path = publish(registry, "io.evil.truncated", archive, sha256=digest)
    server.behaviours[path] = Behaviour(body=archive.read_bytes(), truncate_to=archive.stat().st_size // 2)
    case("io.evil.truncated", "failed after 2 attempt(s)")
    archive, digest = honest_archive(tmp_path, "io.evil.closed-early", "y" * 5000)
    path = publish(registry, "io.evil.closed-early", archive, sha256=digest)
    server.behaviours[path] = Behaviour(body=archive.read_bytes()[:100], no_length=True)
    case("io.evil.closed-early", "was cut short: 100 of the")
    archive, _ = honest_archive(tmp_path, "io.evil.checksum")
    publish(registry, "io.evil.checksum", archive, sha256="f" * 64)
    case("io.evil.checksum", "pack hash mismatch")
    publish(registry, "io.evil.declared-huge", size=50_000_000)
    case("io.evil.declared-huge", "over the 200000-byte limit")
    archive, digest = honest_archive(tmp_path, "io.evil.bigger-than-declared", "z" * 3000)
    publish(registry, "io.evil.bigger-than-declared", archive, sha256=digest, size=100)
    case("io.evil.bigger-than-declared", "larger than the 100 bytes the registry declares")
    archive, digest = honest_archive(tmp_path, "io.evil.streamed-bomb", "w" * 3000)
    path = publish(registry, "io.evil.streamed-bomb", archive, sha256=digest, size=200)
    server.behaviours[path] = Behaviour(body=archive.read_bytes(), no_length=True)
    case("io.evil.streamed-bomb", "larger than the 200 bytes the registry declares")
    for kind, members in hostile.HOSTILE.items():
        pack_id = "io.evil." + kind.replace(" ", "-")
        publish(registry, pack_id, evil_archive(tmp_path, pack_id, members))
        case(
            pack_id,
            {"zip-slip": "climbs out with '..'", "absolute path": "is absolute", "duplicate member": "two members"}.get(
                kind, f"is a {kind}"
            ),
        )
    publish(registry, "io.evil.many", evil_archive(tmp_path, "io.evil.many", hostile.many_members(40)))
    case("io.evil.many", "more than 30 members")
    publish(registry, "io.evil.bomb", evil_archive(tmp_path, "io.evil.bomb", hostile.huge_member(3_000_000)))
    case("io.evil.bomb", "bytes")
    for number, target in enumerate(
        [
            "http://10.0.0.1/x.tar.gz",
            "https://169.254.169.254/latest/meta-data",
            "https://192.168.1.10/x.tar.gz",
            "file:///etc/passwd",
        ]
    ):
        path = publish(registry, f"io.evil.redirect{number}")
        server.behaviours[path] = Behaviour(status=302, location=target)
        case(
            f"io.evil.redirect{number}",
            "non-loopback" if number == 0 else "file://" if number == 3 else "private, link-local or reserved",
        )
    archive, digest = honest_archive(tmp_path, "io.other.pack")
    publish(registry, "io.evil.impostor", archive, sha256=digest)
    case("io.evil.impostor", "holds io.other.pack 1.0.0")
    publish(registry, "io.evil.baddep", dependencies={"../../etc": "1"})
    case("io.evil.baddep", "its index entry is invalid")
    publish(registry, "io.cycle.a", dependencies={"io.cycle.b": "1"})
    publish(registry, "io.cycle.b", dependencies={"io.cycle.a": "^1"})
    case("io.cycle.a", "dependency cycle: io.cycle.a -> io.cycle.b -> io.cycle.a")
    index = registry.index()
    index["packs"]["../escape"] = {**index["packs"][GOOD], "id": "../escape"}
    registry.save_index(index)

    settings = {
        **fast_settings,
        "registry_url": registry.url,
        "max_archive_bytes": 200_000,
        "max_members": 30,
        "max_unpacked_bytes": 100_000,
    }
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        await call(client, "market_install", {"package": GOOD})
        lock = (ggen_workspace / "ggen.lock").read_bytes()
        before = snapshot(ggen_workspace)
        for pack_id, expected in cases:
            message = await fail(client, "market_install", {"package": pack_id})
            assert expected in message, f"{pack_id}: {message}"
            assert (ggen_workspace / "ggen.lock").read_bytes() == lock, pack_id
            assert snapshot(ggen_workspace) == before, pack_id
            assert [p.name for p in (ggen_workspace / ".ggen" / "packs").iterdir()] == [GOOD], pack_id
            assert not list((ggen_workspace / ".ggen" / "tmp" / "market").iterdir()), pack_id
        absolute = Path("/tmp") / "ggen-market-absolute.txt"
        assert not (tmp_path / "escaped.txt").exists() and not absolute.exists()
        assert "package" in await fail(client, "market_install", {"package": "../escape"})
        assert "not a valid pack id" in await fail(client, "market_install", {"package": "..escape"})
        assert server.count("/archives/io.evil.error500-1.0.0.tar.gz") == 2
        assert server.count("/archives/io.evil.declared-huge-1.0.0.tar.gz") == 0
        listed = await call(client, "market_list", {"limit": 1000})
        assert "../escape" not in {p["id"] for p in listed["packs"]}


async def test_hostile_indexes(
    ggen_host: Any, ggen_client: Any, make_registry: Any, fast_settings: dict[str, Any]
) -> None:
    registry = make_registry([(GOOD, "1.0.0")])
    settings = {**fast_settings, "registry_url": registry.url, "max_index_bytes": 5000, "cache_ttl": 0}
    registry.server.behaviours["/index.json"] = Behaviour(body=b"{not json")
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        assert "not valid JSON" in await fail(client, "market_search", {"query": "x"})
        registry.server.behaviours["/index.json"] = Behaviour(body=b"x" * 6000)
        assert "larger than the 5000-byte limit" in await fail(client, "market_search", {"query": "x"})
        registry.server.behaviours["/index.json"] = Behaviour(status=302, location="http://10.9.9.9/index.json")
        assert "non-loopback" in await fail(client, "market_search", {"query": "x"})
        registry.server.behaviours["/index.json"] = Behaviour(status=404)
        assert "answered 404" in await fail(client, "market_sync", {})
        del registry.server.behaviours["/index.json"]
        assert (await call(client, "market_search", {"query": "good"}))["total"] == 1
        registry.server.behaviours["/index.json"] = Behaviour(body=b'{"packs": {}}')
        synced = await call(client, "market_sync", {"force": True})
        assert synced["removed"] == [GOOD] and synced["package_count"] == 0
