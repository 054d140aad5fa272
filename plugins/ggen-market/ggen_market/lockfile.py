"""``ggen.lock`` (ggen's TOML lockfile) and the file lock that serialises installs in a workspace.

The file is ggen's: ``version = "1.0"``, ``generated`` (RFC 3339) and one ``[[packs]]`` table per pack
with ``id``, ``version``, ``sha256`` (the pack hash), ``source`` and ``dependencies`` (sorted
``"id@requirement"``). ggen-mcp adds ``requirement``: the range the user asked for when the pack was
installed directly (absent for packs installed only as dependencies), which ``market_update`` honours.
Entries are sorted by id. It is always written whole through an atomic rename, so a killed process
leaves the old file or the new one. The schema is fixed and every value is a string or a list of
strings, so it is written here directly (TOML basic strings share JSON's escapes) and read back with the
standard library's ``tomllib``; no TOML-writing dependency is needed.

The host's write policy refuses ``ggen.lock`` to every ordinary write path; this module is its one writer,
through the capability ``Workspace.lockfile_writer()``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ggen_market.errors import MarketError
from ggen_market.names import InvalidName, check_pack_id
from ggen_market.semver import VersionError, parse_version
from ggen_mcp_core import Workspace
from ggen_mcp_core.workspace import LOCKFILE

HEADER = (
    "# ggen.lock: the template packs installed in this workspace, pinned by sha256.\n"
    "# Written by ggen-mcp's market tools; commit it, do not edit it by hand.\n"
)


@dataclass
class LockEntry:
    """One installed pack."""

    id: str
    version: str
    sha256: str
    source: str
    dependencies: list[str] = field(default_factory=list)
    requirement: str | None = None

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "version": self.version, "sha256": self.sha256, "source": self.source}
        if self.dependencies:
            data["dependencies"] = sorted(self.dependencies)
        if self.requirement is not None:
            data["requirement"] = self.requirement
        return data

    def dependency_ids(self) -> list[str]:
        return [dep.partition("@")[0] for dep in self.dependencies]


@dataclass
class Lockfile:
    """The whole lockfile."""

    packs: dict[str, LockEntry] = field(default_factory=dict)
    generated: str | None = None

    def get(self, pack_id: str) -> LockEntry | None:
        return self.packs.get(pack_id)

    def upsert(self, entry: LockEntry) -> None:
        self.packs[entry.id] = entry

    def render(self) -> str:
        """The whole file: a header, ``version``, ``generated`` and one ``[[packs]]`` table per pack."""
        generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = [HEADER.rstrip("\n"), f"version = {toml_value('1.0')}", f"generated = {toml_value(generated)}"]
        for pack_id in sorted(self.packs):
            lines += ["", "[[packs]]"]
            lines += [f"{key} = {toml_value(value)}" for key, value in self.packs[pack_id].to_toml().items()]
        return "\n".join(lines) + "\n"

    def dependants(self, pack_id: str) -> list[str]:
        """Ids of locked packs that depend on ``pack_id``."""
        return sorted(e.id for e in self.packs.values() if pack_id in e.dependency_ids())


def toml_value(value: str | list[str]) -> str:
    """A TOML basic string (or array of them): JSON's escapes are TOML's, plus DEL, which TOML forbids raw."""
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def read_lockfile(workspace: Workspace) -> Lockfile:
    """Read ``ggen.lock`` (an empty lockfile when there is none)."""
    path = workspace.root / LOCKFILE
    if not path.exists():
        return Lockfile()
    try:
        data = tomllib.loads(workspace.read_text(LOCKFILE, max_bytes=8 * 1024 * 1024))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MarketError(f"{LOCKFILE} is not valid TOML ({exc}); fix it or move it away") from None
    entries = data.get("packs", data.get("pack", []))
    if not isinstance(entries, list):
        raise MarketError(f"{LOCKFILE}: 'packs' must be an array of tables ([[packs]])")
    lock = Lockfile(generated=data.get("generated") if isinstance(data.get("generated"), str) else None)
    for raw in entries:
        entry = _entry(raw)
        lock.packs[entry.id] = entry
    return lock


def _entry(raw: Any) -> LockEntry:
    if not isinstance(raw, dict):
        raise MarketError(f"{LOCKFILE}: every [[packs]] entry must be a table")
    try:
        entry = LockEntry(
            id=check_pack_id(str(raw["id"])),
            version=str(parse_version(str(raw["version"]))),
            sha256=str(raw["sha256"]).lower(),
            source=str(raw.get("source", "")),
            dependencies=[str(d) for d in raw.get("dependencies", [])],
            requirement=str(raw["requirement"]) if raw.get("requirement") is not None else None,
        )
    except KeyError as exc:
        raise MarketError(f"{LOCKFILE}: a [[packs]] entry lacks {exc.args[0]!r}") from None
    except (InvalidName, VersionError) as exc:
        raise MarketError(f"{LOCKFILE}: {exc}") from None
    if len(entry.sha256) != 64 or any(c not in "0123456789abcdef" for c in entry.sha256):
        raise MarketError(f"{LOCKFILE}: {entry.id} has a sha256 that is not 64 hex characters")
    return entry


def write_lockfile(workspace: Workspace, lock: Lockfile) -> None:
    """Write ``ggen.lock`` atomically, through the host's lockfile capability."""
    workspace.lockfile_writer().write(lock.render())


@contextlib.contextmanager
def workspace_lock(state_dir: Path, timeout: float) -> Iterator[None]:
    """Hold ``.ggen/market.lock`` exclusively (``flock``): one install, update or remove at a time.

    Blocks (polling) up to ``timeout`` seconds; works across threads and processes alike because each
    call opens its own file description.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "market.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise MarketError(
                        f"another install is still running in this workspace after {timeout:g} s; try again"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
