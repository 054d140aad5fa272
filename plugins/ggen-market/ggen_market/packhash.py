"""The pack hash: one sha256 that names a pack's content, whatever archive or git tree carried it.

Definition (also in ``docs/market.md``): take every regular file of the pack, with its path relative to
the pack root in POSIX form (``templates/model.py.tmpl``; nothing under a top-level ``.git/``). Sort the
paths by their UTF-8 bytes. For each file write the line ``<sha256 hex of its content>  <path>\\n`` (two
spaces, as ``sha256sum`` prints). The pack hash is the sha256 hex of those lines concatenated. Directories,
modes, owners and times do not count, so re-packing an archive does not change it. From a shell::

    cd PACK && find . -type f ! -path './.git/*' -printf '%P\\n' | LC_ALL=C sort \\
        | while IFS= read -r f; do sha256sum "$f"; done | sha256sum
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ggen_market.errors import ArchiveRejected
from ggen_market.names import InvalidName, check_relative_path

CHUNK = 1 << 16


@dataclass(frozen=True)
class FileDigest:
    """One file of a pack: its relative POSIX path, size and content sha256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Limits:
    """Caps on what a pack may contain."""

    max_members: int = 2000
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_file_bytes: int = 50 * 1024 * 1024


DEFAULT_LIMITS = Limits()


def combine(files: Iterable[FileDigest]) -> str:
    """The pack hash of a set of files (see the module docstring)."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.path.encode("utf-8")):
        digest.update(f"{item.sha256}  {item.path}\n".encode())
    return digest.hexdigest()


def hash_file(path: Path) -> tuple[int, str]:
    """Size and sha256 hex of a file's content."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def scan_directory(root: Path, limits: Limits = DEFAULT_LIMITS) -> list[FileDigest]:
    """Every regular file under ``root`` (a top-level ``.git`` skipped), checked and hashed.

    :raises ArchiveRejected: for a symbolic link, device, FIFO or socket, a bad name, or a cap exceeded.
    """
    files: list[FileDigest] = []
    total = 0
    for current, dirs, names in os.walk(root, followlinks=False):
        relative_dir = Path(current).relative_to(root)
        if relative_dir == Path("."):
            dirs[:] = [d for d in dirs if d != ".git"]
        for name in sorted(dirs):
            _check_entry(Path(current) / name, relative_dir / name, want_dir=True)
        for name in sorted(names):
            full = Path(current) / name
            relative = _check_entry(full, relative_dir / name, want_dir=False)
            if len(files) >= limits.max_members:
                raise ArchiveRejected(f"pack has more than {limits.max_members} files (limit max_members)")
            size, sha = hash_file(full)
            if size > limits.max_file_bytes:
                raise ArchiveRejected(f"pack file {relative!r} is {size} bytes; the limit is {limits.max_file_bytes}")
            total += size
            if total > limits.max_unpacked_bytes:
                raise ArchiveRejected(f"pack is larger than {limits.max_unpacked_bytes} bytes unpacked")
            files.append(FileDigest(relative, size, sha))
    return files


def _check_entry(full: Path, relative: Path, *, want_dir: bool) -> str:
    try:
        name = check_relative_path(relative.as_posix())
    except InvalidName as exc:
        raise ArchiveRejected(f"pack contains a file with a refused name: {exc}") from None
    mode = os.lstat(full).st_mode
    if stat.S_ISLNK(mode):
        raise ArchiveRejected(f"pack contains a symbolic link {name!r}; packs may hold only files and directories")
    if want_dir and not stat.S_ISDIR(mode):
        raise ArchiveRejected(f"pack contains {name!r}, which is not a directory")
    if not want_dir and not stat.S_ISREG(mode):
        raise ArchiveRejected(f"pack contains {name!r}, which is not a regular file (device, FIFO or socket)")
    return name


def hash_directory(root: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The pack hash of a directory."""
    return combine(scan_directory(root, limits))
