"""Builders of hostile pack archives (each breaks one safety rule) shared by the market tests."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

MANIFEST = b'[gpack]\nid = "io.evil.pack"\nname = "Evil"\nversion = "1.0.0"\n'


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"x", **attrs: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.isreg() else None)


def build(path: Path, members: Callable[[tarfile.TarFile], None], *, manifest: bytes = MANIFEST) -> Path:
    """A ``.tar.gz`` with a valid ``gpack.toml`` plus whatever ``members`` adds."""
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _add(tar, "gpack.toml", manifest)
        members(tar)
    return path


def zip_slip(tar: tarfile.TarFile) -> None:
    _add(tar, "../../escaped.txt", b"owned")


def absolute(tar: tarfile.TarFile) -> None:
    _add(tar, "/tmp/ggen-market-absolute.txt", b"owned")


def symlink(tar: tarfile.TarFile) -> None:
    _add(tar, "templates/link", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd")


def hardlink(tar: tarfile.TarFile) -> None:
    _add(tar, "templates/hard", b"", type=tarfile.LNKTYPE, linkname="gpack.toml")


def char_device(tar: tarfile.TarFile) -> None:
    _add(tar, "templates/null", b"", type=tarfile.CHRTYPE, devmajor=1, devminor=3)


def block_device(tar: tarfile.TarFile) -> None:
    _add(tar, "templates/sda", b"", type=tarfile.BLKTYPE, devmajor=8, devminor=0)


def fifo(tar: tarfile.TarFile) -> None:
    _add(tar, "templates/pipe", b"", type=tarfile.FIFOTYPE)


def duplicate(tar: tarfile.TarFile) -> None:
    _add(tar, "templates/a.tmpl", b"one")
    _add(tar, "templates/a.tmpl", b"two")


def many_members(count: int) -> Callable[[tarfile.TarFile], None]:
    def add(tar: tarfile.TarFile) -> None:
        for number in range(count):
            _add(tar, f"templates/f{number}.tmpl", b"")

    return add


def huge_member(size: int) -> Callable[[tarfile.TarFile], None]:
    """One member of ``size`` zero bytes: tiny compressed, huge expanded (a bomb)."""

    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), self.left)
            buffer[:n] = b"\x00" * n
            self.left -= n
            return n

    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("templates/bomb.bin")
        info.size = size
        tar.addfile(info, io.BufferedReader(Zeros()))

    return add


HOSTILE: dict[str, Callable[[tarfile.TarFile], None]] = {
    "zip-slip": zip_slip,
    "absolute path": absolute,
    "symbolic link": symlink,
    "hard link": hardlink,
    "character device": char_device,
    "block device": block_device,
    "FIFO": fifo,
    "duplicate member": duplicate,
}
