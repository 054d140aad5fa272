"""Pack ids, install specs (``id[@version]``) and the relative paths a pack may contain.

Every name that comes from a user, a registry index, an archive or a manifest passes through here before
it touches the file system.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ggen_market.semver import Range, VersionError, parse_range

MAX_ID_LENGTH = 128
MAX_SPEC_LENGTH = 200
MAX_PATH_LENGTH = 1024
MAX_SEGMENT_LENGTH = 255
_PACK_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


class InvalidName(ValueError):
    """A pack id, spec or path that is not allowed; the message says why."""


def check_pack_id(pack_id: str) -> str:
    """Return ``pack_id`` when it is a valid pack id (reverse-DNS style, e.g. ``io.ggen.sql.ddl``)."""
    if not isinstance(pack_id, str) or not pack_id:
        raise InvalidName("pack id is empty")
    if len(pack_id) > MAX_ID_LENGTH:
        raise InvalidName(f"pack id is longer than {MAX_ID_LENGTH} characters")
    if ".." in pack_id or not _PACK_ID.match(pack_id):
        raise InvalidName(
            f"{pack_id!r} is not a valid pack id: use letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit, without '..' (e.g. io.ggen.sql.ddl)"
        )
    return pack_id


def is_pack_id(pack_id: str) -> bool:
    """True when ``pack_id`` is valid."""
    try:
        check_pack_id(pack_id)
    except InvalidName:
        return False
    return True


@dataclass(frozen=True)
class InstallSpec:
    """What the user asked to install: a pack id and an optional version range."""

    pack_id: str
    requirement: Range | None

    @property
    def requirement_text(self) -> str | None:
        return None if self.requirement is None else self.requirement.text


def parse_spec(package: str, version: str | None = None) -> InstallSpec:
    """Parse ``id`` or ``id@version`` plus an optional separate ``version`` (exact or a range like ``^1.2``)."""
    text = package.strip()
    if len(text) > MAX_SPEC_LENGTH:
        raise InvalidName(f"package spec is longer than {MAX_SPEC_LENGTH} characters")
    pack_id, at, inline = text.partition("@")
    check_pack_id(pack_id)
    if at and not inline.strip():
        raise InvalidName(f"{package!r}: nothing after '@' (write id@1.2.0 or id@^1.2)")
    if at and version and inline.strip() != version.strip():
        raise InvalidName(f"{package!r} names version {inline!r} but version is {version!r}: give one")
    wanted = (inline if at else version or "").strip()
    if not wanted:
        return InstallSpec(pack_id, None)
    try:
        return InstallSpec(pack_id, parse_range(wanted, bare="exact"))
    except VersionError as exc:
        raise InvalidName(str(exc)) from None


def check_relative_path(path: str) -> str:
    """Return the normalised POSIX form of a path inside a pack, or raise :class:`InvalidName`.

    Refused: empty names, NUL and other control characters, backslashes, drive letters and colons,
    absolute paths, ``..`` segments, and overlong names. ``./`` segments and a trailing ``/`` are dropped.
    """
    if not isinstance(path, str) or not path:
        raise InvalidName("empty path")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidName(f"path is longer than {MAX_PATH_LENGTH} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in path):
        raise InvalidName(f"path {path!r} contains control characters")
    if "\\" in path or ":" in path:
        raise InvalidName(f"path {path!r} contains '\\' or ':'")
    if path.startswith("/"):
        raise InvalidName(f"path {path!r} is absolute")
    segments = [s for s in path.split("/") if s not in {"", "."}]
    if not segments:
        raise InvalidName(f"path {path!r} names no file")
    for segment in segments:
        if segment == "..":
            raise InvalidName(f"path {path!r} climbs out with '..'")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidName(f"path {path!r} has a segment longer than {MAX_SEGMENT_LENGTH} characters")
    return "/".join(segments)


def split_template_ref(ref: str) -> tuple[str, str] | None:
    """Split ``pack-id:path`` into its parts, or return None when ``ref`` is not such a reference."""
    pack_id, colon, path = ref.partition(":")
    if not colon or not is_pack_id(pack_id):
        return None
    return pack_id, path
