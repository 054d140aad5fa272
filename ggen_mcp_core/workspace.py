"""The path sandbox, the write policy and the atomic writes that every plugin uses.

Three ways to write, kept apart in the API:

- **User-directed writes** (a path a client named, a template's ``to:``, a plan's target, a graph export):
  :meth:`Workspace.write_atomic`, or :meth:`Workspace.resolve_for_write` for a writer that stages its files
  itself and renames them into place (it calls it again for each final target just before the rename).
  They are checked against the write policy (:mod:`ggen_mcp_core.write_policy`): ``.git`` (any depth),
  ``.ggen/``, ``ggen.lock`` and the operator's ``protected_paths`` are refused with :class:`ProtectedPath`,
  judged on the path as written *and* on its real path (a symbolic link into ``.git/hooks`` is refused),
  component by component, case-insensitively.
- **Server state** under ``.ggen/``: :meth:`Workspace.state_path` and :meth:`Workspace.write_state`. Only
  these reach ``.ggen/``; they never reach outside it.
- **Capabilities** for the two protected files that do have a legitimate writer:
  :meth:`Workspace.lockfile_writer` (``ggen.lock``, for the market pack's lockfile code) and
  :meth:`Workspace.git_hooks_writer` (``.git/hooks/<name>``, for the hook pack's git-hook installer).
  Each writes one fixed place and nothing else; no ordinary write path can reach them.

Every path a tool takes goes through :meth:`Workspace.resolve`: it refuses NUL bytes, absolute paths
outside the workspace, ``..`` escapes, symlinks that lead out and paths longer than the file system allows
(a component over ``NAME_MAX`` or the whole over ``PATH_MAX`` bytes), and for paths that do not exist yet
it checks the real path of the nearest existing parent. Every write is atomic (temporary file in the same
directory, fsync, rename), so a killed process never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ggen_mcp_core.errors import FileTooLarge, NotARegularFile, PathOutsideWorkspace, PathTooLong, ProtectedPath
from ggen_mcp_core.write_policy import LOCKFILE, STATE_DIR, WritePolicy

if TYPE_CHECKING:
    from ggen_mcp_core.protected_writers import GitHooksWriter, LockfileWriter

__all__ = ["LOCKFILE", "STATE_DIR", "Workspace", "atomic_write"]

DEFAULT_NAME_MAX = 255
DEFAULT_PATH_MAX = 4096


class Workspace:
    """A directory that tools may read and write, and nothing outside it; it owns the write policy."""

    def __init__(self, root: str | os.PathLike[str], *, protected_paths: Iterable[str] = ()) -> None:
        """:param protected_paths: the operator's additions to the protected paths (setting ``protected_paths``)."""
        root_path = Path(root).expanduser()
        root_path.mkdir(parents=True, exist_ok=True)
        self.root = Path(os.path.realpath(root_path))
        self.policy = WritePolicy(protected_paths)
        self.name_max = _pathconf(self.root, "PC_NAME_MAX", DEFAULT_NAME_MAX)
        self.path_max = _pathconf(self.root, "PC_PATH_MAX", DEFAULT_PATH_MAX)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # -- paths -----------------------------------------------------------------------------------------

    def resolve(self, path: str | os.PathLike[str], *, must_exist: bool = False) -> Path:
        """Return the real absolute path of ``path`` inside the workspace, or raise ``PathOutsideWorkspace``.

        This is for reading and locating; a write goes through :meth:`resolve_for_write` (or the methods
        built on it), which also applies the write policy.

        :param path: relative to the workspace root, or absolute but inside it.
        :param must_exist: also refuse paths that do not exist.
        :raises PathTooLong: a component over ``NAME_MAX`` bytes or the path over ``PATH_MAX`` bytes.
        """
        text = os.fspath(path)
        joined = self._joined(text)
        real = Path(os.path.realpath(joined))
        if not self.contains(real):
            raise PathOutsideWorkspace(
                f"path {text!r} is outside the workspace {self.root}"
                + (" (through a symbolic link)" if self._lexically_inside(joined) else "")
            )
        self._check_length(str(real), text)
        if must_exist and not real.exists():
            raise PathOutsideWorkspace(f"path {text!r} does not exist in the workspace")
        return real

    def _joined(self, text: str) -> Path:
        if "\x00" in text:
            raise PathOutsideWorkspace("path contains a NUL byte")
        if not text.strip():
            raise PathOutsideWorkspace("path is empty")
        self._check_length(text, text)
        candidate = _expand_home(text) if text.startswith("~") else Path(text)
        joined = candidate if candidate.is_absolute() else self.root / candidate
        self._check_length(str(joined), text)
        return joined

    def _check_length(self, full: str, shown: str) -> None:
        """Refuse what the file system would refuse with ENAMETOOLONG, naming the limit."""
        for component in full.split(os.sep):
            size = len(os.fsencode(component))
            if size > self.name_max:
                raise PathTooLong(
                    f"path {_short(shown)!r} has a component of {size} bytes ({_short(component)!r}); "
                    f"the file system's limit is {self.name_max} bytes per name (NAME_MAX)"
                )
        size = len(os.fsencode(full))
        if size > self.path_max:
            raise PathTooLong(
                f"path {_short(shown)!r} is {size} bytes long; the file system's limit is {self.path_max} bytes "
                "for a whole path (PATH_MAX)"
            )

    def contains(self, real_path: Path) -> bool:
        """True when an already-resolved path is the root or below it."""
        return real_path == self.root or self.root in real_path.parents

    def _lexically_inside(self, joined: Path) -> bool:
        normalized = Path(os.path.normpath(joined))
        return normalized == self.root or self.root in normalized.parents

    def relative(self, real_path: Path) -> str:
        """The workspace-relative POSIX form of a resolved path, for results shown to clients."""
        return real_path.relative_to(self.root).as_posix() or "."

    # -- reading ---------------------------------------------------------------------------------------

    def read_bytes(self, path: str | os.PathLike[str], *, max_bytes: int) -> bytes:
        """Read a file inside the workspace, refusing files larger than ``max_bytes``.

        Raises :class:`PathOutsideWorkspace`, :class:`NotARegularFile` or :class:`FileTooLarge` (all
        :class:`WorkspaceError`).
        """
        real = self.resolve(path, must_exist=True)
        if not real.is_file():
            raise NotARegularFile(f"{os.fspath(path)!r} is not a regular file")
        size = real.stat().st_size
        if size > max_bytes:
            raise FileTooLarge(f"{os.fspath(path)!r} is {size} bytes; the limit is {max_bytes}")
        return real.read_bytes()

    def read_text(self, path: str | os.PathLike[str], *, max_bytes: int) -> str:
        """Read a UTF-8 text file inside the workspace (see :meth:`read_bytes`)."""
        return self.read_bytes(path, max_bytes=max_bytes).decode("utf-8")

    # -- user-directed writes (the write policy applies) ----------------------------------------------

    def protection(self, path: str | os.PathLike[str]) -> str | None:
        """Why a user-directed write to ``path`` would be refused (the message), or None when allowed."""
        try:
            self.resolve_for_write(path)
        except ProtectedPath as exc:
            return str(exc)
        return None

    def resolve_for_write(self, path: str | os.PathLike[str]) -> Path:
        """:meth:`resolve`, then the write policy: the real path of a target a user-directed write may replace.

        Refused (:class:`ProtectedPath`) when the path as written (normalized) or its real path (every link
        followed) is, or lies under, a protected path. A writer that renames its own staged files into place
        calls this again for each final target just before the rename: the file system may have changed
        since it planned (a plan file is data; never trust it to have been checked).
        """
        text = os.fspath(path)
        real = self.resolve(text)
        lexical = Path(os.path.normpath(self._joined(text)))
        for candidate in (lexical, real):
            if candidate != self.root and self.root not in candidate.parents:
                continue  # an absolute alias of the root (the root behind a link): the real path decides
            entry = self.policy.match(candidate.relative_to(self.root).parts)
            if entry is not None:
                raise ProtectedPath(f"refusing to write {self._shown(text, lexical, real)}: {entry.reason()}")
        return real

    def _shown(self, text: str, lexical: Path, real: Path) -> str:
        """A refused target as the client knows it (workspace-relative), plus its real path when different."""
        inside = lexical == self.root or self.root in lexical.parents
        shown = self.relative(lexical) if inside and Path(text).is_absolute() else text
        really = self.relative(real)
        return _short(shown) + (f" (really {really})" if really != self.relative(lexical) or not inside else "")

    def write_atomic(self, path: str | os.PathLike[str], data: bytes | str, *, mode: int | None = None) -> Path:
        """Write ``data`` to a user-directed ``path`` atomically and return the real path.

        The write policy applies (:meth:`resolve_for_write`): protected targets raise :class:`ProtectedPath`
        and nothing is written. Missing parent folders are created, each checked the same way.
        """
        real = self.resolve_for_write(path)
        if real.is_dir():
            raise NotARegularFile(f"{os.fspath(path)!r} is a directory")
        self.make_dirs(real.parent)
        # The parent may have been created through a link just now: check again.
        real = self.resolve_for_write(path)
        atomic_write(real, data, mode=mode)
        return real

    def make_dirs(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Create a user-directed folder and its missing parents, each checked by the write policy; return
        the folders created (outermost first), so a failed write can remove them again."""
        real = self.resolve_for_write(directory)
        missing: list[Path] = []
        while not real.exists():
            missing.append(real)
            real = real.parent
        created = []
        for folder in reversed(missing):
            self.resolve_for_write(folder)
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
                created.append(folder)
        return created

    # -- server state under .ggen/ (never the user-write path) ----------------------------------------

    @property
    def state_dir(self) -> Path:
        """``<workspace>/.ggen``: the graph store, pack cache, hook config, saved plans and other server state.

        Prefer :meth:`state_path`, which also checks that the path stays inside it.
        """
        return self.root / STATE_DIR

    def state_path(self, *parts: str) -> Path:
        """The absolute path of server state ``.ggen/<parts...>`` (e.g. ``state_path("plans", "x.json")``).

        This is the only way a pack should reach ``.ggen/``: the user-write path refuses it. ``parts`` are
        relative (``/`` allowed inside one), with no ``..``; the real path must stay inside ``.ggen/``, which
        must not itself be a symbolic link. Raises :class:`PathOutsideWorkspace` otherwise.
        """
        relative = PurePosixPath(*parts) if parts else PurePosixPath(".")
        text = relative.as_posix()
        if "\x00" in text or relative.is_absolute() or ".." in relative.parts:
            raise PathOutsideWorkspace(f"state path {text!r} must be relative to .ggen/ without '..'")
        state = self.state_dir
        if state.is_symlink():
            raise PathOutsideWorkspace(
                f"{STATE_DIR} is a symbolic link; the server keeps its state only in a real folder"
            )
        path = state / relative if parts else state
        self._check_length(str(path), f"{STATE_DIR}/{text}")
        real = Path(os.path.realpath(path))
        if real != state and state not in real.parents:
            raise PathOutsideWorkspace(f"state path {STATE_DIR}/{text} leads outside {STATE_DIR}/ (symbolic link)")
        return path

    def write_state(self, relative: str, data: bytes | str, *, mode: int | None = None) -> Path:
        """Write server state ``.ggen/<relative>`` atomically (parents created); return its path."""
        path = self.state_path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path = self.state_path(relative)  # a parent created through a link just now: check again
        if path.is_dir():
            raise PathOutsideWorkspace(f"{STATE_DIR}/{relative} is a directory")
        atomic_write(path, data, mode=mode)
        return path

    # -- capabilities for the protected files with a legitimate writer --------------------------------

    def lockfile_writer(self) -> LockfileWriter:
        """The capability to write ``ggen.lock``, for the market pack's lockfile code only.

        It writes that one file and nothing else; every other write path refuses ``ggen.lock``. Calling it
        from any other pack is a review error (a test keeps the call to one module).
        """
        from ggen_mcp_core.protected_writers import LockfileWriter

        return LockfileWriter(self)

    def git_hooks_writer(self) -> GitHooksWriter:
        """The capability to write and remove scripts in ``.git/hooks/``, for the hook pack's git-hook
        installer only. Nothing else may write under ``.git/`` (a test keeps the call to one module)."""
        from ggen_mcp_core.protected_writers import GitHooksWriter

        return GitHooksWriter(self)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 20]}…{text[-15:]}"


def _pathconf(root: Path, name: str, default: int) -> int:
    try:
        value = os.pathconf(root, name)
    except (OSError, ValueError, AttributeError):
        return default
    return value if value > 0 else default


def atomic_write(target: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same directory and a rename.

    The file is fsynced before the rename and the directory after it, so a crash leaves either the old
    content or the new one, never a mix. This is the raw primitive, with no policy: ``target`` must already
    be a checked path (from :meth:`Workspace.resolve_for_write`, :meth:`Workspace.state_path` or a
    capability), or lie outside any workspace (an operator's CLI output). Tools write through the
    :class:`Workspace` methods.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp")
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


def _expand_home(text: str) -> Path:
    """``~`` and ``~user`` as the shell reads them; an unknown user is a clear refusal, not a crash."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise PathOutsideWorkspace(
            f"path {text!r} is outside the workspace (it starts with the home directory of an unknown user)"
        ) from None
