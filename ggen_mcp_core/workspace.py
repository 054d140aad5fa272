"""The path sandbox and atomic writes that every plugin uses.

Every path a tool takes goes through :meth:`Workspace.resolve`: it refuses NUL bytes, absolute paths
outside the workspace, ``..`` escapes and symlinks that lead out, and for paths that do not exist yet it
checks the real path of the nearest existing parent. Every file a tool writes goes through
:meth:`Workspace.write_atomic` (temporary file in the same directory, fsync, rename), so a killed process
never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ggen_mcp_core.errors import PathOutsideWorkspace

STATE_DIR = ".ggen"


class Workspace:
    """A directory that tools may read and write, and nothing outside it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        root_path = Path(root).expanduser()
        root_path.mkdir(parents=True, exist_ok=True)
        self.root = Path(os.path.realpath(root_path))

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @property
    def state_dir(self) -> Path:
        """``<workspace>/.ggen``: the graph store, pack cache, hook config and other server state."""
        return self.root / STATE_DIR

    def resolve(self, path: str | os.PathLike[str], *, must_exist: bool = False) -> Path:
        """Return the real absolute path of ``path`` inside the workspace, or raise ``PathOutsideWorkspace``.

        :param path: relative to the workspace root, or absolute but inside it.
        :param must_exist: also refuse paths that do not exist.
        """
        text = os.fspath(path)
        if "\x00" in text:
            raise PathOutsideWorkspace("path contains a NUL byte")
        if not text.strip():
            raise PathOutsideWorkspace("path is empty")
        candidate = Path(text).expanduser() if text.startswith("~") else Path(text)
        joined = candidate if candidate.is_absolute() else self.root / candidate
        real = Path(os.path.realpath(joined))
        if not self.contains(real):
            raise PathOutsideWorkspace(
                f"path {text!r} is outside the workspace {self.root}"
                + (" (through a symbolic link)" if self._lexically_inside(joined) else "")
            )
        if must_exist and not real.exists():
            raise PathOutsideWorkspace(f"path {text!r} does not exist in the workspace")
        return real

    def contains(self, real_path: Path) -> bool:
        """True when an already-resolved path is the root or below it."""
        return real_path == self.root or self.root in real_path.parents

    def _lexically_inside(self, joined: Path) -> bool:
        normalized = Path(os.path.normpath(joined))
        return normalized == self.root or self.root in normalized.parents

    def relative(self, real_path: Path) -> str:
        """The workspace-relative POSIX form of a resolved path, for results shown to clients."""
        return real_path.relative_to(self.root).as_posix() or "."

    def read_bytes(self, path: str | os.PathLike[str], *, max_bytes: int) -> bytes:
        """Read a file inside the workspace, refusing files larger than ``max_bytes``."""
        real = self.resolve(path, must_exist=True)
        if not real.is_file():
            raise PathOutsideWorkspace(f"{os.fspath(path)!r} is not a regular file")
        size = real.stat().st_size
        if size > max_bytes:
            raise PathOutsideWorkspace(f"{os.fspath(path)!r} is {size} bytes; the limit is {max_bytes}")
        return real.read_bytes()

    def read_text(self, path: str | os.PathLike[str], *, max_bytes: int) -> str:
        """Read a UTF-8 text file inside the workspace (see :meth:`read_bytes`)."""
        return self.read_bytes(path, max_bytes=max_bytes).decode("utf-8")

    def write_atomic(self, path: str | os.PathLike[str], data: bytes | str, *, mode: int | None = None) -> Path:
        """Write ``data`` to ``path`` inside the workspace atomically and return the real path."""
        real = self.resolve(path)
        if real.is_dir():
            raise PathOutsideWorkspace(f"{os.fspath(path)!r} is a directory")
        real.parent.mkdir(parents=True, exist_ok=True)
        # The parent may have been created through a link just now: check again.
        real = self.resolve(path)
        atomic_write(real, data, mode=mode)
        return real


def atomic_write(target: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same directory and a rename.

    The file is fsynced before the rename and the directory after it, so a crash leaves either the old
    content or the new one, never a mix. ``target`` must already be a checked path.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        elif target.exists():
            os.chmod(tmp_name, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
