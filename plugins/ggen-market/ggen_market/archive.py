"""Pack archives (``.tar.gz``): safe reading, verification before extraction, deterministic writing.

Reading never uses ``tarfile``'s extraction code (whose filters had bypasses: CVE-2025-4517 and
friends). :func:`scan_archive` walks the members once without writing anything: only regular files and
directories with safe relative names pass; links, devices, FIFOs, sparse files, absolute names, ``..``,
duplicates, too many members and too many bytes (counted on the decompressed stream itself, so headers
cannot hide a bomb) are refused; the pack hash is computed on the way. Only when it matches the pinned
hash does :func:`extract_archive` write the files, each created exclusively by us under a fresh directory,
hashing them again as it goes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from ggen_market.errors import ArchiveRejected, IntegrityError
from ggen_market.names import InvalidName, check_relative_path
from ggen_market.packhash import CHUNK, DEFAULT_LIMITS, FileDigest, Limits, combine, scan_directory

MANIFEST = "gpack.toml"
MAX_MANIFEST_BYTES = 256 * 1024
_HEADER_ALLOWANCE = 64 * 1024  # tar headers and padding on top of the file bytes
_CORRUPT = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError)


@dataclass(frozen=True)
class ArchiveScan:
    """What a verified archive holds (and its ``gpack.toml``, read on the way)."""

    files: tuple[FileDigest, ...]
    pack_hash: str
    manifest: bytes = b""

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


class _CappedReader(io.RawIOBase):
    """A read-only stream that refuses to yield more than ``cap`` bytes (the decompression-bomb guard)."""

    def __init__(self, inner: gzip.GzipFile, cap: int) -> None:
        self._inner = inner
        self._cap = cap
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        self._count += len(data)
        if self._count > self._cap:
            raise ArchiveRejected(f"archive expands to more than {self._cap} bytes (limit max_unpacked_bytes)")
        buffer[: len(data)] = data
        return len(data)


def _open_stream(handle: IO[bytes], limits: Limits) -> tarfile.TarFile:
    cap = limits.max_unpacked_bytes + _HEADER_ALLOWANCE + 1024 * limits.max_members
    gz = gzip.GzipFile(fileobj=handle, mode="rb")
    stream = io.BufferedReader(_CappedReader(gz, cap), buffer_size=CHUNK)
    return tarfile.open(fileobj=stream, mode="r|")


def _member_kind(member: tarfile.TarInfo) -> str | None:
    """None for an acceptable member, else the name of its refused kind."""
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr():
        return "a character device"
    if member.isblk():
        return "a block device"
    if member.isfifo():
        return "a FIFO"
    if member.issparse():
        return "a sparse file"
    if member.isreg() or member.isdir():
        return None
    return f"an unsupported member (type {member.type!r})"


def _check_member(member: tarfile.TarInfo, seen_files: set[str], seen_dirs: set[str], limits: Limits) -> str:
    kind = _member_kind(member)
    if kind is not None:
        raise ArchiveRejected(
            f"archive member {member.name!r} is {kind}; packs may contain only regular files and directories"
        )
    try:
        name = check_relative_path(member.name)
    except InvalidName as exc:
        raise ArchiveRejected(f"archive member refused: {exc}") from None
    parents = {"/".join(name.split("/")[:i]) for i in range(1, name.count("/") + 1)}
    if member.isdir():
        if name in seen_files:
            raise ArchiveRejected(f"archive member {name!r} is both a file and a directory")
        seen_dirs.add(name)
    else:
        if name in seen_files:
            raise ArchiveRejected(f"archive has two members named {name!r}")
        if name in seen_dirs:
            raise ArchiveRejected(f"archive member {name!r} is both a file and a directory")
        if member.size > limits.max_file_bytes:
            raise ArchiveRejected(
                f"archive member {name!r} is {member.size} bytes; the limit is {limits.max_file_bytes}"
            )
    if parents & seen_files:
        raise ArchiveRejected(f"archive member {name!r} lies under a path that is a file")
    seen_dirs.update(parents)
    return name


class _Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def close(self) -> None: ...


def _iterate(handle: IO[bytes], limits: Limits, sink: Callable[[str], _Writer] | None = None) -> ArchiveScan:
    """Walk the archive; ``sink(name, chunks)`` receives each file's content when given."""
    seen_files: set[str] = set()
    seen_dirs: set[str] = set()
    files: list[FileDigest] = []
    manifest: list[bytes] = []
    total = 0
    count = 0

    def keep(name: str) -> _Writer | None:
        writer = sink(name) if sink is not None else None
        return _Tee(writer, manifest) if name == MANIFEST else writer

    with _open_stream(handle, limits) as tar:
        for member in tar:
            count += 1
            if count > limits.max_members:
                raise ArchiveRejected(f"archive has more than {limits.max_members} members (limit max_members)")
            name = _check_member(member, seen_files, seen_dirs, limits)
            if member.isdir():
                continue
            total += member.size
            if total > limits.max_unpacked_bytes:
                raise ArchiveRejected(f"archive expands to more than {limits.max_unpacked_bytes} bytes")
            seen_files.add(name)
            files.append(_read_member(tar, member, name, keep))
    if MANIFEST not in seen_files:
        raise ArchiveRejected(f"archive has no {MANIFEST} at its root; it is not a pack")
    return ArchiveScan(tuple(files), combine(files), b"".join(manifest))


class _Tee:
    """Passes writes on (when there is a writer) and keeps a copy, up to the manifest size limit."""

    def __init__(self, writer: _Writer | None, copy: list[bytes]) -> None:
        self.writer = writer
        self.copy = copy
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > MAX_MANIFEST_BYTES:
            raise ArchiveRejected(f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
        self.copy.append(data)
        return self.writer.write(data) if self.writer is not None else len(data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _read_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, name: str, sink: Callable[[str], _Writer | None]
) -> FileDigest:
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - regular members always have a stream
        raise ArchiveRejected(f"archive member {name!r} has no content")
    digest = hashlib.sha256()
    size = 0
    writer = sink(name)
    try:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
            if writer is not None:
                writer.write(chunk)
    finally:
        if writer is not None:
            writer.close()
    if size != member.size:
        raise ArchiveRejected(f"archive member {name!r} is truncated ({size} of {member.size} bytes)")
    return FileDigest(name, size, digest.hexdigest())


def scan_archive(path: Path, limits: Limits) -> ArchiveScan:
    """Check every member of a ``.tar.gz`` pack archive and compute its pack hash; write nothing.

    :raises ArchiveRejected: for a refused member, a cap exceeded, or a corrupt archive.
    """
    try:
        with open(path, "rb") as handle:
            return _iterate(handle, limits)
    except ArchiveRejected:
        raise
    except _CORRUPT as exc:
        raise ArchiveRejected(f"archive is corrupt or not a .tar.gz ({type(exc).__name__}: {exc})") from None


def verify_archive(path: Path, expected_hash: str, limits: Limits) -> ArchiveScan:
    """:func:`scan_archive`, then refuse unless the pack hash equals ``expected_hash``."""
    scan = scan_archive(path, limits)
    if scan.pack_hash != expected_hash.lower():
        raise IntegrityError(
            f"pack hash mismatch: the archive holds {scan.pack_hash} but {expected_hash} is pinned; "
            "nothing was extracted (the registry entry or the archive was changed)"
        )
    return scan


def extract_archive(path: Path, destination: Path, scan: ArchiveScan, limits: Limits) -> None:
    """Write a verified archive's files under ``destination`` (created; must not exist).

    Each file is created with ``O_EXCL|O_NOFOLLOW`` under directories this function made, and hashed
    again while written: the result must equal ``scan`` exactly.
    """
    destination.mkdir(mode=0o755)

    def sink(name: str) -> _Writer:
        target = destination.joinpath(*name.split("/"))
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        return os.fdopen(os.open(target, flags, 0o644), "wb")

    try:
        with open(path, "rb") as handle:
            again = _iterate(handle, limits, sink)
    except ArchiveRejected:
        raise
    except _CORRUPT as exc:
        raise ArchiveRejected(f"archive changed or broke during extraction ({type(exc).__name__})") from None
    if again != scan:
        raise IntegrityError("archive content changed between verification and extraction; nothing installed")


def write_archive(source: Path, target: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """Write ``source`` (a pack directory) as a deterministic ``.tar.gz``; return its pack hash.

    Members are the regular files only, sorted, with mode 0644, owner 0/0, no user names and time 0; the
    gzip header carries no name and time 0, so the same tree always gives the same bytes.
    """
    files = scan_directory(source, limits)
    if MANIFEST not in {f.path for f in files}:
        raise ArchiveRejected(f"{source} has no {MANIFEST}; it is not a pack")
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for item in sorted(files, key=lambda f: f.path.encode("utf-8")):
            info = tarfile.TarInfo(item.path)
            info.size = item.size
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(source / item.path, "rb") as handle:
                tar.addfile(info, handle)
    return combine(files)
