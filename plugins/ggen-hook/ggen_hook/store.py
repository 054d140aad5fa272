"""``.ggen/hooks.toml``: reading it strictly, writing it atomically, one writer at a time.

The file is state the hook tools own, but it lives in the workspace, so anyone who can write the workspace
can edit it. Reading therefore validates every entry (unknown keys, unknown events, bad names, duplicate
names or ids, oversized fields are all refused, naming the entry) and the run-time checks (commands
allowed, allowlist, executable) are applied again on every run, never trusted from registration.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ggen_hook.models import HookRecord
from ggen_mcp_core import ToolError, Workspace
from ggen_mcp_core.workspace import STATE_DIR

HOOKS_NAME = "hooks.toml"  # server state: written through Workspace.write_state, never the user-write path
LOCK_NAME = "hooks.lock"
HOOKS_FILE = f"{STATE_DIR}/{HOOKS_NAME}"
LOCK_FILE = f"{STATE_DIR}/{LOCK_NAME}"
MAX_FILE_BYTES = 1024 * 1024
LOCK_WAIT = 10.0
FORMAT_VERSION = 1
HEADER = (
    "# ggen-mcp hooks: written by hook_register and hook_remove (atomically).\n"
    "# Every entry is validated when read; an invalid file stops hooks until it is fixed.\n"
)


@dataclass
class Loaded:
    """What a read of the hooks file found: the valid records and a problem per invalid part."""

    hooks: list[HookRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def require_valid(self) -> list[HookRecord]:
        """The records, or a ``ToolError`` listing what is wrong with the file."""
        if self.problems:
            raise ToolError(
                f"{HOOKS_FILE} is invalid: "
                + "; ".join(self.problems[:5])
                + ("; ..." if len(self.problems) > 5 else "")
                + ". Fix or remove the entries (hook_validate lists every problem); no hook runs until then."
            )
        return self.hooks


def read_hooks(workspace: Workspace) -> Loaded:
    """Parse and validate the hooks file; a missing file is an empty list."""
    try:
        if not workspace.resolve(HOOKS_FILE).exists():
            return Loaded()
        raw = workspace.read_bytes(HOOKS_FILE, max_bytes=MAX_FILE_BYTES)
        document = tomllib.loads(raw.decode("utf-8"))
    except ToolError as exc:
        return Loaded(problems=[str(exc)])
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Loaded(problems=[f"not valid TOML ({exc})"])
    return _parse(document)


def _parse(document: dict[str, Any]) -> Loaded:
    loaded = Loaded()
    unknown = sorted(set(document) - {"version", "hooks"})
    if unknown:
        loaded.problems.append(f"unknown top-level keys {unknown}")
    if document.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        loaded.problems.append(f"version {document.get('version')!r} is not {FORMAT_VERSION}")
    entries = document.get("hooks", [])
    if not isinstance(entries, list):
        loaded.problems.append("`hooks` must be an array of tables ([[hooks]])")
        return loaded
    for index, entry in enumerate(entries, start=1):
        label = _label(index, entry)
        try:
            record = HookRecord.model_validate(entry)
        except ValidationError as exc:
            loaded.problems.append(f"{label}: {_describe(exc)}")
            continue
        _check_unique(loaded, record, label)
    return loaded


def _label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"hook #{index}" + (f" ({str(name)[:64]!r})" if isinstance(name, str) else "")


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        parts.append(f"{location}: {error['msg']}" if location else error["msg"])
    return "; ".join(parts)


def _check_unique(loaded: Loaded, record: HookRecord, label: str) -> None:
    for other in loaded.hooks:
        if other.name == record.name:
            loaded.problems.append(f"{label}: duplicate name {record.name!r}")
            return
        if other.hook_id == record.hook_id:
            loaded.problems.append(f"{label}: duplicate hook_id {record.hook_id!r}")
            return
    loaded.hooks.append(record)


def write_hooks(workspace: Workspace, hooks: list[HookRecord]) -> None:
    """Replace the hooks file with ``hooks`` (temp file, fsync, rename)."""
    entries = [hook.model_dump(exclude_none=True) for hook in hooks]
    for entry in entries:
        if not entry["vars"]:
            del entry["vars"]
    write_raw_entries(workspace, entries)


def read_raw_entries(workspace: Workspace) -> list[dict[str, Any]]:
    """The ``[[hooks]]`` tables as parsed, valid or not (so a tampered entry can still be removed)."""
    if not workspace.resolve(HOOKS_FILE).exists():
        return []
    try:
        document = tomllib.loads(workspace.read_bytes(HOOKS_FILE, max_bytes=MAX_FILE_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ToolError(f"{HOOKS_FILE} is not valid TOML ({exc}); fix it by hand or delete it") from None
    entries = document.get("hooks", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ToolError(f"{HOOKS_FILE}: `hooks` must be an array of tables; fix it by hand or delete it")
    return entries


def write_raw_entries(workspace: Workspace, entries: list[dict[str, Any]]) -> None:
    """Write ``entries`` as the ``[[hooks]]`` array of a fresh hooks file, atomically, owner-only."""
    import tomli_w

    document = {"version": FORMAT_VERSION, "hooks": entries}
    workspace.write_state(HOOKS_NAME, HEADER + tomli_w.dumps(document), mode=0o600)


@contextlib.contextmanager
def locked(workspace: Workspace) -> Iterator[None]:
    """Hold the workspace's hook lock (``flock``) for a read-modify-write, across processes."""
    path = workspace.state_path(LOCK_NAME)
    path.parent.mkdir(parents=True, exist_ok=True)
    path = workspace.state_path(LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        _acquire(fd)
        yield
    finally:
        os.close(fd)


def _acquire(fd: int) -> None:
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise ToolError(f"{HOOKS_FILE} is locked by another hook_register or hook_remove; try again") from None
            time.sleep(0.02)
