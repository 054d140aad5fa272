"""kill -9 in the middle of an install, leftovers of killed installs, and the ``ggen-mcp market`` commands."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import signal
import time
import tomllib
from pathlib import Path
from typing import Any

import anyio
import click
import pytest
from click.testing import CliRunner
from conftest import Behaviour, market_cache, wait_for, write_pack
from ggen_market.builder import build_registry
from ggen_market.cli import add_commands
from ggen_market.packhash import hash_directory
from test_bundled_workflow import call

pytestmark = pytest.mark.anyio
GOOD, BIG = "io.example.good", "io.example.big"


def _child_install(workspace: str, registry_url: str, package: str) -> None:
    """What ``ggen-mcp call market_install`` runs, in a forked process the test can SIGKILL."""
    from ggen_mcp_core.calls import call_tool
    from ggen_mcp_core.events import RequestInfo
    from ggen_mcp_core.testing import make_host

    host = make_host(Path(workspace), ["market"], market={"registry_url": registry_url})
    anyio.run(
        functools.partial(call_tool, host, "market_install", {"package": package}, request=RequestInfo(transport="cli"))
    )
    os._exit(0)


def start_install(workspace: Path, registry_url: str, package: str) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("fork").Process(
        target=_child_install, args=(str(workspace), registry_url, package), daemon=True
    )
    process.start()
    return process


def kill(process: multiprocessing.process.BaseProcess) -> None:
    if process.pid is not None and process.is_alive():
        os.kill(process.pid, signal.SIGKILL)
    process.join(10)


def assert_consistent(workspace: Path) -> dict[str, Any]:
    """ggen.lock parses, and every pack it names is on disk intact; no other version dir exists."""
    lock = {p["id"]: p for p in tomllib.loads((workspace / "ggen.lock").read_text())["packs"]}
    packs = workspace / ".ggen" / "packs"
    for pack_dir in packs.iterdir():
        assert pack_dir.name in lock, f"{pack_dir.name} is on disk but not in ggen.lock"
        entry = lock[pack_dir.name]
        assert [v.name for v in pack_dir.iterdir()] == [entry["version"]]
        assert hash_directory(pack_dir / entry["version"]) == entry["sha256"]
    return lock


def test_kill_9_during_download_and_extraction_leaves_a_valid_state(ggen_workspace: Path, make_registry: Any) -> None:
    many = {f"t{n}.tmpl": f"template {n}\n" for n in range(400)}
    registry = make_registry([(GOOD, "1.0.0"), (BIG, "1.0.0", {}, {"templates": many})])
    archive_path = f"/archives/{BIG}-1.0.0.tar.gz"
    archive = (registry.out / archive_path.lstrip("/")).read_bytes()
    registry.server.behaviours[archive_path] = Behaviour(body=archive, trickle=0.1)
    settings = {"registry_url": registry.url}
    anyio.run(_install_in_process, ggen_workspace, settings, GOOD)
    lock_bytes = (ggen_workspace / "ggen.lock").read_bytes()
    tmp = ggen_workspace / ".ggen" / "tmp" / "market"
    downloads = market_cache(ggen_workspace) / "tmp"

    process = start_install(ggen_workspace, registry.url, BIG)
    try:
        assert wait_for(lambda: any(p.stat().st_size > 0 for p in downloads.glob("dl-*")), timeout=60)
    finally:
        kill(process)
    assert (ggen_workspace / "ggen.lock").read_bytes() == lock_bytes
    assert not (ggen_workspace / ".ggen" / "packs" / BIG).exists()
    assert_consistent(ggen_workspace)

    del registry.server.behaviours[archive_path]
    process = start_install(ggen_workspace, registry.url, BIG)
    try:
        wait_for(lambda: any(tmp.glob("stage-*")) or not process.is_alive(), timeout=60)
    finally:
        kill(process)
    assert GOOD in assert_consistent(ggen_workspace)

    leftovers = [*tmp.iterdir(), *downloads.iterdir()]
    assert leftovers
    for leftover in leftovers:  # as if the kill had happened an hour ago
        os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    installed = anyio.run(_install_in_process, ggen_workspace, settings, BIG)
    assert installed["version"] == "1.0.0"
    assert set(assert_consistent(ggen_workspace)) == {GOOD, BIG}
    assert not list(tmp.iterdir()) and not list(downloads.iterdir())


async def _install_in_process(workspace: Path, settings: dict[str, Any], package: str) -> dict[str, Any]:
    from ggen_mcp_core.testing import make_host, open_client

    async with open_client(make_host(workspace, ["market"], market=settings), mode="legacy") as client:
        return await call(client, "market_install", {"package": package})


async def test_a_stray_directory_in_place_is_replaced_by_the_verified_pack(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any
) -> None:
    registry = make_registry([(GOOD, "1.0.0")])
    stray = ggen_workspace / ".ggen" / "packs" / GOOD / "1.0.0"
    (stray / "templates").mkdir(parents=True)
    (stray / "templates" / "hello.tmpl").write_text("half written")
    async with ggen_client(ggen_host(["market"], market={"registry_url": registry.url}), mode="legacy") as client:
        await call(client, "market_install", {"package": GOOD})
    assert (stray / "templates" / "hello.tmpl").read_text().startswith("---")
    assert_consistent(ggen_workspace)


def test_build_registry_and_hash_commands(tmp_path: Path) -> None:
    group = click.Group()
    add_commands(group)
    write_pack(tmp_path / "src", "io.example.cli", "2.0.0")
    runner = CliRunner()
    result = runner.invoke(
        group,
        [
            "market",
            "build-registry",
            str(tmp_path / "src"),
            str(tmp_path / "out"),
            "--base-url",
            "https://packs.example.org/registry/",
            "--updated",
            "2026-01-01T00:00:00Z",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "io.example.cli 2.0.0  archives/io.example.cli-2.0.0.tar.gz" in result.output
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    entry = index["packs"]["io.example.cli"]["versions"]["2.0.0"]
    assert entry["url"] == "https://packs.example.org/registry/archives/io.example.cli-2.0.0.tar.gz"
    hashed = runner.invoke(group, ["market", "hash", str(tmp_path / "src" / "io.example.cli-2.0.0")])
    assert hashed.output.strip() == entry["sha256"]
    empty = runner.invoke(group, ["market", "build-registry", str(tmp_path / "out" / "archives"), str(tmp_path / "x")])
    assert empty.exit_code == 1 and "no pack sources" in empty.output
    (tmp_path / "src" / "io.example.cli-2.0.0" / "link").symlink_to("/etc/passwd")
    refused = runner.invoke(group, ["market", "hash", str(tmp_path / "src" / "io.example.cli-2.0.0")])
    assert refused.exit_code == 1 and "symbolic link" in refused.output


def test_the_command_comes_through_the_plugin_hook(tmp_path: Path) -> None:
    from ggen_market.bundled import BUNDLED_UPDATED, SOURCES

    from ggen_mcp_core.testing import make_host

    group = click.Group()
    assert make_host(tmp_path / "ws", ["market"]).register_commands(group) == []
    out = tmp_path / "registry"
    done = CliRunner().invoke(group, ["market", "build-registry", str(SOURCES), str(out), "--updated", BUNDLED_UPDATED])
    assert done.exit_code == 0, done.output
    again, _ = build_registry(SOURCES, tmp_path / "again", updated=BUNDLED_UPDATED)
    assert json.loads((out / "index.json").read_text()) == again  # deterministic: same sources, same index
    assert (out / "archives" / "io.ggen.sql.ddl-1.0.0.tar.gz").read_bytes() == (
        tmp_path / "again" / "archives" / "io.ggen.sql.ddl-1.0.0.tar.gz"
    ).read_bytes()
    assert set(again["packs"]) == {
        "io.ggen.python.models",
        "io.ggen.typescript.interfaces",
        "io.ggen.sql.ddl",
        "io.ggen.rust.serde",
    }
