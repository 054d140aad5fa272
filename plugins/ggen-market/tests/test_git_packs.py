"""Packs published as ggen's git_url + git_rev, fetched with the git command from a repository made here."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import Registry, write_pack
from ggen_market.packhash import hash_directory
from test_bundled_workflow import call, fail

pytestmark = pytest.mark.anyio
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]


def commit_all(repo: Path, message: str) -> str:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True, capture_output=True)
    subprocess.run([*GIT, "commit", "-q", "-m", message], cwd=repo, check=True, capture_output=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(tmp_path: Path, pack_id: str) -> tuple[Path, str, str]:
    """A git repository holding a pack: returns (repo, first commit, its pack hash); HEAD moves on."""
    repo = write_pack(tmp_path / "repos", pack_id, templates={"v.tmpl": "first"})
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    first = commit_all(repo, "first")
    digest = hash_directory(repo)
    (repo / "templates" / "v.tmpl").write_text("second")
    commit_all(repo, "second")
    return repo, first, digest


def publish_git(registry: Registry, pack_id: str, url: str, rev: str, sha256: str) -> None:
    index = registry.index()
    index["packs"][pack_id] = {
        "id": pack_id,
        "name": pack_id,
        "latest_version": "1.0.0",
        "versions": {"1.0.0": {"version": "1.0.0", "git_url": url, "git_rev": rev, "sha256": sha256}},
    }
    registry.save_index(index)


async def test_git_packs_install_at_the_pinned_commit_and_are_checked(
    ggen_host: Any,
    ggen_client: Any,
    ggen_workspace: Path,
    make_registry: Any,
    tmp_path: Path,
    fast_settings: dict[str, Any],
) -> None:
    registry = make_registry()
    repo, first, digest = make_repo(tmp_path, "io.git.pack")
    publish_git(registry, "io.git.pack", repo.as_uri(), first, digest)
    publish_git(registry, "io.git.wronghash", repo.as_uri(), first, "e" * 64)
    publish_git(registry, "io.git.norev", repo.as_uri(), "1" * 40, digest)
    publish_git(registry, "io.git.ext", "ext::sh -c touch% /tmp/pwned", first, digest)
    linked, link_rev, _ = make_repo(tmp_path / "l", "io.git.link")
    (linked / "templates" / "evil").symlink_to("/etc/passwd")
    link_rev = commit_all(linked, "link")
    publish_git(registry, "io.git.link", linked.as_uri(), link_rev, "0" * 64)

    settings = {**fast_settings, "registry_url": registry.url, "allow_file_urls": True}
    pwned = Path("/tmp") / "pwned"
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        installed = await call(client, "market_install", {"package": "io.git.pack"})
        assert installed["templates"] == ["io.git.pack:v.tmpl"]
        pack = ggen_workspace / ".ggen" / "packs" / "io.git.pack" / "1.0.0"
        assert (pack / "templates" / "v.tmpl").read_text() == "first" and not (pack / ".git").exists()
        lock = tomllib.loads((ggen_workspace / "ggen.lock").read_text())["packs"][0]
        assert lock["source"] == f"{repo.as_uri()}#{first}" and lock["sha256"] == digest
        info = await call(client, "market_info", {"package_id": "io.git.pack"})
        assert info["versions"][0]["source"] == "git"
        lock_bytes = (ggen_workspace / "ggen.lock").read_bytes()
        assert "pack hash mismatch: the git tree holds" in await fail(
            client, "market_install", {"package": "io.git.wronghash"}
        )
        assert f"commit {'1' * 40} is not in" in await fail(client, "market_install", {"package": "io.git.norev"})
        assert "only https://" in await fail(client, "market_install", {"package": "io.git.ext"})
        assert "symbolic link" in await fail(client, "market_install", {"package": "io.git.link"})
        assert (ggen_workspace / "ggen.lock").read_bytes() == lock_bytes
        assert not pwned.exists()
        assert sorted(p.name for p in (ggen_workspace / ".ggen" / "packs").iterdir()) == ["io.git.pack"]

    strict = {**settings, "allow_file_urls": False}
    async with ggen_client(ggen_host(["market"], market=strict), mode="legacy") as client:
        await call(client, "market_remove", {"package": "io.git.pack", "prune": True})
        assert "allow_file_urls" in await fail(client, "market_install", {"package": "io.git.pack"})
