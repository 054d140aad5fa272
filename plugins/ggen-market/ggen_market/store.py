"""Where the market keeps things, and how ``pack-id:path`` finds an installed file.

In the workspace, only what installing changes::

    ggen.lock                                  what is installed (pinned by sha256)
    .ggen/packs/<id>/<version>/                installed packs (moved into place whole, never half-written)
    .ggen/tmp/market/                          staging of installs (cleaned up)
    .ggen/market.lock                          the file lock installs hold

In the host's cache directory (setting ``cache_dir``), what read-only tools may fill, never the workspace::

    <cache_dir>/market/archives/<id>@<version>.tar.gz   verified archives (offline reinstall)
    <cache_dir>/market/registries/<key>/       the cached index of each registry used
    <cache_dir>/market/bundled-<digest>/       the bundled registry, built on first use
    <cache_dir>/market/tmp/                    downloads (moved into archives/ once verified; cleaned up)
"""

from __future__ import annotations

import os
import shutil
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ggen_market.names import InvalidName, check_relative_path, split_template_ref
from ggen_mcp_core.workspace import LOCKFILE, STATE_DIR

STALE_TMP_SECONDS = 3600


@dataclass(frozen=True)
class Layout:
    """The market's paths: in one workspace (``root``) and in the host's cache directory (``cache``)."""

    root: Path
    cache: Path

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def packs(self) -> Path:
        return self.state / "packs"

    @property
    def archives(self) -> Path:
        return self.cache / "archives"

    @property
    def tmp(self) -> Path:
        return self.state / "tmp" / "market"

    @property
    def downloads(self) -> Path:
        return self.cache / "tmp"

    def registry_cache(self, key: str) -> Path:
        return self.cache / "registries" / key

    def pack_dir(self, pack_id: str, version: str) -> Path:
        return self.packs / pack_id / version

    def archive(self, pack_id: str, version: str) -> Path:
        return self.archives / f"{pack_id}@{version}.tar.gz"

    def ensure(self) -> None:
        for directory in (self.packs, self.archives, self.tmp, self.downloads):
            directory.mkdir(parents=True, exist_ok=True)

    def clean_tmp(self) -> None:
        """Remove leftovers of killed installs (older than an hour, so running ones are left alone)."""
        cutoff = time.time() - STALE_TMP_SECONDS
        for folder in (self.tmp, self.downloads):
            if not folder.is_dir():
                continue
            for child in folder.iterdir():
                try:
                    if child.lstat().st_mtime < cutoff:
                        remove_tree(child)
                except OSError:
                    continue


def remove_tree(path: Path) -> None:
    """Delete a file or directory tree without following links."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def locked_version(workspace_root: Path, pack_id: str) -> str | None:
    """The version of ``pack_id`` in ``ggen.lock``, read leniently (None on any problem)."""
    path = workspace_root / LOCKFILE
    try:
        if path.is_symlink() or path.stat().st_size > 8 * 1024 * 1024:
            return None
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for entry in data.get("packs", []):
        if isinstance(entry, dict) and entry.get("id") == pack_id and isinstance(entry.get("version"), str):
            return str(entry["version"])
    return None


def resolve_template_ref(ref: str, workspace_root: Path) -> Path | None:
    """``<id>:<path>`` -> the file or folder in the installed version, or None (unknown, refused, missing).

    ``<path>`` is looked up under the pack's ``templates/`` first, then from the pack root; an empty path
    (``<id>:``) is the whole ``templates/`` folder, rendered as a template set. ``..``, absolute paths and
    anything that resolves outside the pack directory are refused.
    """
    parts = split_template_ref(ref)
    if parts is None:
        return None
    pack_id, inner = parts
    try:
        relative = check_relative_path(inner) if inner else ""
    except InvalidName:
        return None
    version = locked_version(workspace_root, pack_id)
    if version is None or "/" in version or version.startswith("."):
        return None
    base = Path(os.path.realpath(workspace_root / STATE_DIR / "packs" / pack_id / version))
    candidates = [base / "templates" / relative, base / relative] if relative else [base / "templates"]
    for candidate in candidates:
        real = Path(os.path.realpath(candidate))
        if base in real.parents and (real.is_file() or real.is_dir()):
            return real
    return None
