"""The listings of tools registered by reference, kept in the cache directory between starts (issue 16).

``<cache_dir>/tool-specs.json`` holds, per :class:`~ggen_mcp_core.tool_refs.ToolRef` (by its ``spec``), the
listing of the spec it built (:func:`~ggen_mcp_core.tool_refs.listing`: names, description, flags, schemas)
under a key naming the code and settings it came from: the Python, pydantic and pydantic-core versions, the
tool's name and ref, a digest of the pack's settings, and the size and modification time of every ``.py`` file
of each package the spec was built from (the ref's own, the host's, and those of every class its models are
built from: the fingerprint :mod:`ggen_mcp_core.tool_schema_cache` uses). An edit to any of those files, an
upgrade, a reinstall or other settings change the key: the tool's module is imported and its spec built and
checked again at start, and its new listing replaces the old one (one entry per ref, never a pile). A
missing, unreadable or malformed file is an empty one; an entry of the wrong shape is ignored; a file that
cannot be written is left alone; the file is written atomically.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ggen_mcp_core.cache_file import read_json, write_json
from ggen_mcp_core.tool_refs import well_formed
from ggen_mcp_core.tool_schema_cache import source_fingerprint, versions

if TYPE_CHECKING:
    from ggen_mcp_core.tool_refs import ToolRef


FILE_NAME = "tool-specs.json"
FORMAT = 1


class ToolSpecCache:
    """Kept listings by ref, in memory and (with ``path``) on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = _read(path) if path is not None else {}
        self._fingerprints: dict[str, str | None] = {}
        self._dirty = False

    def get(self, ref: ToolRef, settings_digest: str) -> dict[str, Any] | None:
        """The listing kept for this ref, code and settings, or None (then build the spec and :meth:`put` it)."""
        entry = self.entries.get(ref.spec)
        if entry is None:
            return None
        packages, data = entry.get("packages"), entry.get("listing")
        if not (isinstance(packages, list) and all(isinstance(p, str) for p in packages)):
            return None
        key = self._key(ref, settings_digest, packages)
        if key is None or entry.get("key") != key or not well_formed(data):
            return None
        assert isinstance(data, dict)
        return data if data["name"] == ref.name else None

    def put(self, ref: ToolRef, settings_digest: str, packages: list[str], data: dict[str, Any]) -> None:
        """Keep the listing of a spec just built and checked (nothing when its packages cannot be fingerprinted)."""
        key = self._key(ref, settings_digest, packages)
        if key is None:
            return
        entry = {"key": key, "packages": packages, "listing": data}
        if self.entries.get(ref.spec) != entry:
            self.entries[ref.spec] = entry
            self._dirty = True

    def forget(self, ref: ToolRef) -> None:
        """Drop the listing of a ref whose code no longer builds it (the next start builds and checks it again)."""
        if self.entries.pop(ref.spec, None) is not None:
            self._dirty = True
            self.save()

    def save(self) -> None:
        """Write the file when something was added (atomically: a concurrent start reads the old or the new)."""
        if self.path is None or not self._dirty:
            return
        if write_json(self.path, {"format": FORMAT, "tools": self.entries}, "tool listings"):
            self._dirty = False

    def _key(self, ref: ToolRef, settings_digest: str, packages: list[str]) -> str | None:
        parts = [f"format {FORMAT}", versions(), ref.name, ref.spec, settings_digest]
        for package in packages:
            if package not in self._fingerprints:
                self._fingerprints[package] = source_fingerprint(package)
            fingerprint = self._fingerprints[package]
            if fingerprint is None:
                return None
            parts.append(f"{package}={fingerprint}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _read(path: Path) -> dict[str, dict[str, Any]]:
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("tools"), dict):
        return {}
    return {ref: entry for ref, entry in data["tools"].items() if isinstance(entry, dict)}
