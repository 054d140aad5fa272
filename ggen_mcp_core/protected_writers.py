"""Capabilities for the two protected places that have one legitimate writer each.

The write policy refuses ``ggen.lock`` and everything under ``.git/`` to every user-directed write. Two
packs must still write there, and get a narrow capability from the host for it:

- :class:`LockfileWriter` (``Workspace.lockfile_writer()``): writes ``ggen.lock`` at the workspace root,
  whole and atomically. Only the market pack's lockfile code (``ggen_market.lockfile``) asks for it.
- :class:`GitHooksWriter` (``Workspace.git_hooks_writer()``): writes or removes one script
  ``.git/hooks/<name>``. Only the hook pack's git-hook installer (``ggen_hook.githooks``) asks for it.

Neither takes a free path: the lockfile writer has no path argument at all, and the hooks writer takes a
bare hook name (``pre-commit``) and checks that the real target is a direct child of the real
``<workspace>/.git/hooks`` (no link out of it, not into ``ggen.lock``, not into another hook's target).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ggen_mcp_core.errors import PathOutsideWorkspace, ProtectedPath
from ggen_mcp_core.workspace import atomic_write
from ggen_mcp_core.write_policy import GIT_DIR, LOCKFILE

if TYPE_CHECKING:
    from ggen_mcp_core.workspace import Workspace

HOOK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,63}$")


class LockfileWriter:
    """Writes ``<workspace>/ggen.lock`` and nothing else (obtain it with ``Workspace.lockfile_writer()``)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self.path = workspace.root / LOCKFILE

    def write(self, text: str) -> Path:
        """Replace ``ggen.lock`` with ``text`` atomically; refused when ``ggen.lock`` is a link or a folder."""
        if self.path.is_symlink():
            raise ProtectedPath(f"{LOCKFILE} is a symbolic link; refusing to write through it (replace it with a file)")
        if self.path.is_dir():
            raise ProtectedPath(f"{LOCKFILE} is a folder; move it away")
        atomic_write(self.path, text)
        return self.path


class GitHooksWriter:
    """Writes and removes scripts in ``<workspace>/.git/hooks/`` (obtain it with
    ``Workspace.git_hooks_writer()``); nothing else under ``.git/``."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self.folder = workspace.root / GIT_DIR / "hooks"

    def path(self, name: str) -> Path:
        """The checked path of hook script ``name``: a bare git hook name, directly in the real hooks folder."""
        if not HOOK_NAME.match(name):
            raise ProtectedPath(f"{name!r} is not a git hook name (lower-case letters, digits and '-')")
        git_dir = self._workspace.root / GIT_DIR
        if git_dir.is_symlink() or not git_dir.is_dir():
            raise PathOutsideWorkspace(f"{GIT_DIR} is not a directory at the workspace root")
        if self.folder.is_symlink() or (self.folder.exists() and not self.folder.is_dir()):
            raise ProtectedPath(f"{GIT_DIR}/hooks is not a plain directory; refusing to write git hooks there")
        target = self.folder / name
        if target.is_symlink():
            raise ProtectedPath(f"{GIT_DIR}/hooks/{name} is a symbolic link; refusing to write through it")
        real = Path(os.path.realpath(target))
        if real.parent != self.folder:
            raise ProtectedPath(f"{GIT_DIR}/hooks/{name} leads outside {GIT_DIR}/hooks")
        return target

    def write(self, name: str, text: str, *, mode: int = 0o755) -> Path:
        """Replace hook script ``name`` with ``text`` atomically, with ``mode``; return its path."""
        target = self.path(name)
        self.folder.mkdir(exist_ok=True)
        atomic_write(target, text, mode=mode)
        return target

    def remove(self, name: str) -> None:
        """Delete hook script ``name`` (nothing when it does not exist)."""
        self.path(name).unlink(missing_ok=True)
