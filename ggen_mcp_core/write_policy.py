"""The write policy: which workspace paths no user-directed write may touch.

The host's :class:`~ggen_mcp_core.workspace.Workspace` holds one :class:`WritePolicy` and checks every
user-directed write against it (graph exports, template outputs and injections, applied plans, saved
templates, hook-started regeneration). No pack keeps a list of its own.

Protected by default:

- ``.git`` at any depth: the directory itself and everything under it (hooks there run code on the next
  ``git commit``; a nested repository's hooks do the same);
- ``.ggen`` at any depth: the server's state at the root (written through ``Workspace.state_path`` and
  ``Workspace.write_state``, never through the user-write path), and a nested workspace's state below;
- ``ggen.lock`` at the workspace root: the market pack's lockfile (written only through
  ``Workspace.lockfile_writer()``).

Operators add workspace-relative paths with the setting ``protected_paths``
(``GGEN_MCP_PROTECTED_PATHS``); each protects itself and, when it is a directory, everything under it.

Components are compared case-folded, in Unicode NFC, without trailing dots and spaces, so ``.GIT/config``
and ``GGEN.LOCK`` are refused too: on a case-insensitive file system (macOS, Windows, some mounts) they
are the same files.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

STATE_DIR = ".ggen"
GIT_DIR = ".git"
LOCKFILE = "ggen.lock"
SETTING = "protected_paths"
SETTING_ENV = "GGEN_MCP_PROTECTED_PATHS"


def fold(component: str) -> str:
    """A path component as the policy compares it: NFC, case-folded, trailing dots and spaces dropped."""
    return unicodedata.normalize("NFC", component).casefold().rstrip(" .") or component


@dataclass(frozen=True)
class ProtectedEntry:
    """One protected path: ``parts`` (folded) at the root, or one component at any depth (``anywhere``)."""

    shown: str
    parts: tuple[str, ...]
    anywhere: bool = False
    operator: bool = False

    def matches(self, folded: Sequence[str]) -> bool:
        """True when a workspace-relative path (folded components) is this entry or lies under it."""
        if self.anywhere:
            return self.parts[0] in folded
        return tuple(folded[: len(self.parts)]) == self.parts

    def reason(self) -> str:
        """Why a write under this entry is refused, naming the setting."""
        if self.operator:
            return f"{self.shown} is protected by the setting {SETTING} ({SETTING_ENV})"
        return (
            f"{self.shown} is protected by the write policy (built in: .git/, .ggen/, ggen.lock; operators add "
            f"paths with the setting {SETTING}, {SETTING_ENV})"
        )


BUILT_IN = (
    ProtectedEntry(f"{GIT_DIR}/", (GIT_DIR,), anywhere=True),
    ProtectedEntry(f"{STATE_DIR}/", (STATE_DIR,), anywhere=True),
    ProtectedEntry(LOCKFILE, (LOCKFILE,)),
)


def operator_entry(text: str) -> ProtectedEntry:
    """An operator's workspace-relative path as an entry; ``ValueError`` naming the problem otherwise."""
    raw = text.strip()
    if not raw or "\x00" in raw:
        raise ValueError(f"{text!r} is not a path")
    path = PurePosixPath(raw.replace("\\", "/"))
    if path.is_absolute():
        raise ValueError(f"{text!r} is absolute; give a path relative to the workspace")
    parts = [part for part in path.parts if part != "."]
    if not parts:
        raise ValueError(f"{text!r} names the whole workspace")
    if ".." in parts:
        raise ValueError(f"{text!r} contains '..'")
    shown = "/".join(parts) + ("/" if raw.endswith("/") else "")
    return ProtectedEntry(shown, tuple(fold(part) for part in parts), operator=True)


def normalize_setting(values: Iterable[str]) -> list[str]:
    """Validate the setting's values (raises ``ValueError`` naming the bad one) and return them stripped."""
    return [operator_entry(value).shown for value in values]


class WritePolicy:
    """The protected paths of one workspace: the built-in ones plus the operator's."""

    def __init__(self, operator_paths: Iterable[str] = ()) -> None:
        self.entries: tuple[ProtectedEntry, ...] = (*BUILT_IN, *(operator_entry(p) for p in operator_paths))

    def match(self, parts: Sequence[str]) -> ProtectedEntry | None:
        """The entry that protects a workspace-relative path (its components), or None."""
        folded = [fold(part) for part in parts if part not in ("", ".")]
        for entry in self.entries:
            if entry.matches(folded):
                return entry
        return None

    def describe(self) -> list[str]:
        """Every protected path as shown to people (for docs, errors and ``ggen-mcp config``)."""
        return [entry.shown for entry in self.entries]
