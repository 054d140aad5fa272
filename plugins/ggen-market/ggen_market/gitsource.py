"""Packs published as ``git_url`` + ``git_rev`` (ggen's original form), fetched with the ``git`` command.

git runs without a shell, with a timeout, a scrubbed environment (no user or system config, no prompts,
no hooks), only the https protocol (plus file when ``allow_file_urls`` is on), at exactly the pinned
40-hex commit, into a temporary directory outside the installed packs. The tree is then checked like an
archive (regular files only) and its pack hash compared with the pinned ``sha256``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ggen_market.errors import IntegrityError, MarketError, RegistryUnavailable, UrlRefused
from ggen_market.packhash import Limits, combine, scan_directory


def _env(home: Path, allow_file: bool, ceiling: Path) -> dict[str, str]:
    return {
        "GIT_CEILING_DIRECTORIES": str(ceiling),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ALLOW_PROTOCOL": "https:file" if allow_file else "https",
        "GIT_ASKPASS": "/bin/false",
        "GIT_LFS_SKIP_SMUDGE": "1",
    }


def _git(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    command = [
        "git",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "submodule.recurse=false",
        "-c",
        "protocol.allow=never",
        *args,
    ]
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise MarketError("the git command is not installed; it is needed for git_url packs") from None
    except subprocess.TimeoutExpired:
        raise RegistryUnavailable(f"git {args[0]} took longer than {timeout:g} s (market.git_timeout)") from None


def fetch_git(url: str, rev: str, destination: Path, *, allow_file: bool, timeout: float) -> None:
    """Fetch commit ``rev`` of ``url`` into ``destination`` (created) and check it out."""
    if url.startswith("-") or not (url.startswith("https://") or (allow_file and url.startswith("file://"))):
        raise UrlRefused(f"git_url {url!r}: only https:// (or file:// with market.allow_file_urls) is allowed")
    protocol = ["-c", "protocol.https.allow=always"] + (["-c", "protocol.file.allow=always"] if allow_file else [])
    destination.mkdir(parents=True)
    home = destination.parent / f".{destination.name}-home"
    home.mkdir()
    env = _env(home, allow_file, destination.parent)
    try:
        steps = [
            ["init", "--quiet", "."],
            [*protocol, "fetch", "--quiet", "--no-tags", "--depth", "1", "--end-of-options", url, rev],
        ]
        for args in steps:
            done = _git(args, destination, env, timeout)
            if done.returncode != 0:
                if args[-1] == rev:  # a server that refuses fetching a commit by id: fetch everything
                    done = _git(
                        [
                            *protocol,
                            "fetch",
                            "--quiet",
                            "--no-tags",
                            "--end-of-options",
                            url,
                            "+refs/heads/*:refs/remotes/origin/*",
                        ],
                        destination,
                        env,
                        timeout,
                    )
                if done.returncode != 0:
                    raise RegistryUnavailable(f"git could not fetch {url}: {done.stderr.strip()[:500]}")
        done = _git(["-c", "advice.detachedHead=false", "checkout", "--quiet", rev, "--"], destination, env, timeout)
        if done.returncode != 0:
            raise IntegrityError(f"commit {rev} is not in {url}: {done.stderr.strip()[:300]}")
        head = _git(["rev-parse", "HEAD"], destination, env, timeout).stdout.strip()
        if head != rev:
            raise IntegrityError(f"git checked out {head}, not the pinned commit {rev}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def verify_tree(root: Path, expected_hash: str, limits: Limits) -> None:
    """Refuse a checked-out tree with links or devices, over the caps, or whose pack hash differs."""
    actual = combine(scan_directory(root, limits))
    if actual != expected_hash.lower():
        raise IntegrityError(
            f"pack hash mismatch: the git tree holds {actual} but {expected_hash} is pinned; nothing was installed"
        )
