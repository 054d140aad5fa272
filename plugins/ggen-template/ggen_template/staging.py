"""Where project writes stage their files: ``.ggen/tmp/template/``, swept of what killed writes left there.

Each write (one ``SetWriter.write``) gets its own folder ``.ggen/tmp/template/apply-<random>/`` and holds an
exclusive ``flock`` on the ``lock`` file inside it for as long as it runs. The kernel drops that lock when the
process ends, however it ends (kill -9 included). Hence the rule for stale files, with no clock in it:

    an ``apply-*`` folder whose lock no one holds belongs to no live write, and is removed.

Every write sweeps by that rule before it creates its own folder. Sweeping and creating happen under an
exclusive lock on ``.ggen/tmp/template/sweep.lock``, so a sweep never sees a folder between its creation and
its lock. A slow write is never swept; a killed one is swept by the next write, in this process or in another
one sharing the workspace. Where locks cannot be taken at all (a file system without them), nothing is swept.

The folder is on the workspace's file system, so moving a staged file onto its target stays one atomic
``os.replace``. A target on another file system (a mount inside the workspace) cannot be renamed into from
there (EXDEV): only such a target is staged beside itself, as ``.<name>.<random>.ggen-tmp``, and its path is
appended to the folder's ``outside`` list before the file is created, so the sweep removes it too when the
write was killed. The same holds for the temporary files that put back replaced files on a rollback.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace

STAGING_DIR = ("tmp", "template")  # under the workspace's .ggen/
FOLDER_PREFIX = "apply-"
LOCK_NAME = "lock"
OUTSIDE_NAME = "outside"
SWEEP_LOCK = "sweep.lock"
STAGED_SUFFIX = ".ggen-tmp"

_OPEN = os.O_RDWR | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
# flock belongs to an open file, so threads of one process exclude each other too; but on NFS Linux emulates
# it with POSIX locks, which belong to the process. So this process also serializes its own sweeps and never
# sweeps the folders it knows to be live.
_LOCAL = threading.RLock()
_LIVE: set[Path] = set()


class Staging:
    """The staging folder of one write: ``open`` sweeps, then creates and locks the folder; ``close`` removes
    it with whatever is still in it (also a context manager)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.folder: Path | None = None
        self.swept = 0
        self._fd: int | None = None
        self._device = -1
        self._outside: list[Path] = []

    def __enter__(self) -> Staging:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> Staging:
        """Sweep the stale folders, then create and lock this write's one."""
        base = _make_base(self.workspace)
        with _LOCAL:
            guard = os.open(base / SWEEP_LOCK, _OPEN | os.O_CREAT, 0o600)
            try:
                if _lock(guard, wait=True):
                    self.swept = sweep(base, self.workspace)
                self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=base))
                _LIVE.add(self.folder)
                try:
                    self._fd = os.open(self.folder / LOCK_NAME, _OPEN | os.O_CREAT | os.O_EXCL, 0o600)
                    _lock(self._fd, wait=False)
                except BaseException:
                    self.close()
                    raise
            finally:
                os.close(guard)
        self._device = os.stat(self.folder).st_dev
        return self

    def write(self, target: Path, data: bytes, mode: int, *, beside: bool = False) -> str:
        """Write ``data`` to a new temporary file for ``target`` (fsynced, with ``mode``); return its path.

        In the staging folder when ``target``'s folder is on the same file system, else (or with ``beside``)
        beside ``target``, recorded in the ``outside`` list first.
        """
        if beside or not self.same_file_system(target.parent):
            path, fd = self._create_beside(target)
        else:
            fd, name = tempfile.mkstemp(dir=self.folder, suffix=STAGED_SUFFIX)
            path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return str(path)

    def same_file_system(self, directory: Path) -> bool:
        """Whether ``directory`` is on the staging folder's file system (same ``st_dev``)."""
        return os.stat(directory).st_dev == self._device

    def _create_beside(self, target: Path) -> tuple[Path, int]:
        assert self.folder is not None
        for _ in range(100):
            path = target.parent / f".{target.name}.{secrets.token_hex(4)}{STAGED_SUFFIX}"
            with open(self.folder / OUTSIDE_NAME, "a", encoding="utf-8") as record:
                record.write(f"{path}\n")
            self._outside.append(path)
            try:
                return path, os.open(path, _CREATE, 0o600)
            except FileExistsError:
                self._outside.pop()  # not ours to remove
        raise FileExistsError(f"no free temporary name beside {target}")

    def close(self) -> None:
        """Remove the folder (and any file still staged beside a target), then release the lock."""
        for path in self._outside:
            with contextlib.suppress(OSError):
                if path.is_file() and not path.is_symlink():
                    path.unlink()
        self._outside.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            with _LOCAL:
                _LIVE.discard(self.folder)
        if self._fd is not None:
            os.close(self._fd)  # releases the lock, after the folder is gone
            self._fd = None


def sweep(base: Path, workspace: Workspace) -> int:
    """Remove the ``apply-*`` folders under ``base`` that no live write holds (and the files their ``outside``
    lists name); return how many. Call with the sweep lock held."""
    removed = 0
    for entry in sorted(base.iterdir()):
        if not entry.name.startswith(FOLDER_PREFIX) or entry in _LIVE or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            fd: int | None = os.open(entry / LOCK_NAME, _OPEN)
        except FileNotFoundError:
            fd = None  # killed between creating the folder and its lock: no one can hold it
        except OSError:
            continue
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # held by a live write (or locks do not work here: leave it)
            _remove_outside(entry / OUTSIDE_NAME, workspace)
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
        finally:
            if fd is not None:
                os.close(fd)
    return removed


def _remove_outside(record: Path, workspace: Workspace) -> None:
    """Unlink the files a killed write staged beside their targets: only names of the staging pattern, inside
    the workspace, regular files (not links)."""
    try:
        lines = record.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        path = Path(line)
        if not (path.is_absolute() and path.name.startswith(".") and path.name.endswith(STAGED_SUFFIX)):
            continue
        with contextlib.suppress(OSError):
            if workspace.contains(Path(os.path.realpath(path.parent))) and path.is_file() and not path.is_symlink():
                path.unlink()


def _make_base(workspace: Workspace) -> Path:
    """``.ggen/tmp/template`` (server state, through the host's state facility), its missing levels below
    ``.ggen`` created with mode 0o700."""
    workspace.state_path().mkdir(exist_ok=True)
    for depth in range(1, len(STAGING_DIR) + 1):
        with contextlib.suppress(FileExistsError):
            workspace.state_path(*STAGING_DIR[:depth]).mkdir(mode=0o700)
    base = workspace.state_path(*STAGING_DIR)
    if not base.is_dir():
        raise NotADirectoryError(f"{base} is not a folder")
    return base


def _lock(fd: int, *, wait: bool) -> bool:
    """Take an exclusive flock; False when the file system has no locks (ENOLCK, EOPNOTSUPP...)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
