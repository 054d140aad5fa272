"""Build a registry (``index.json`` plus ``archives/``) from pack source directories.

This is ``ggen-mcp market build-registry SRC_DIR OUT_DIR`` and how the bundled registry is made. Every
directory under ``SRC_DIR`` that holds a ``gpack.toml`` is one pack version (several directories may hold
versions of the same id). The output is deterministic: the same sources and ``updated`` give the same bytes.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ggen_market.archive import write_archive
from ggen_market.errors import MarketError
from ggen_market.manifest import MANIFEST, Manifest, read_manifest, template_files
from ggen_market.packhash import DEFAULT_LIMITS, Limits
from ggen_market.semver import parse_version
from ggen_mcp_core import atomic_write


@dataclass(frozen=True)
class BuiltPack:
    """One archive the builder wrote."""

    id: str
    version: str
    archive: str
    size: int
    sha256: str


def find_pack_dirs(src: Path) -> list[Path]:
    """Directories under ``src`` holding a ``gpack.toml`` (not descending into a pack), sorted."""
    found: list[Path] = []
    for current, dirs, files in os.walk(src, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if MANIFEST in files:
            found.append(Path(current))
            dirs[:] = []
    return sorted(found)


def default_updated() -> str:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; RFC 3339 UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.isdigit() else int(time.time())
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_registry(
    src: Path, out: Path, *, base_url: str | None = None, updated: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Any], list[BuiltPack]]:
    """Write ``out/archives/<id>-<version>.tar.gz`` and ``out/index.json``; return the index and the packs.

    :param base_url: written before each archive path (default: paths relative to ``index.json``).
    :param updated: the index's ``updated`` time (default: the newest pack ``updated``, else
        :func:`default_updated`).
    """
    pack_dirs = find_pack_dirs(src)
    if not pack_dirs:
        raise MarketError(f"no pack sources under {src}: each pack is a directory with a {MANIFEST}")
    archives = out / "archives"
    archives.mkdir(parents=True, exist_ok=True)
    packs: dict[str, dict[str, Any]] = {}
    built: list[BuiltPack] = []
    for pack_dir in pack_dirs:
        manifest = read_manifest(pack_dir)
        name = f"{manifest.id}-{manifest.version}.tar.gz"
        target = archives / name
        tmp = archives / f".{name}.tmp"
        pack_hash = write_archive(pack_dir, tmp, limits)
        os.replace(tmp, target)
        size = target.stat().st_size
        href = f"{base_url.rstrip('/')}/archives/{name}" if base_url else f"archives/{name}"
        entry = packs.setdefault(manifest.id, _pack_entry(manifest))
        if manifest.version in entry["versions"]:
            raise MarketError(f"{manifest.id} {manifest.version} appears twice under {src}")
        entry["versions"][manifest.version] = _version_entry(pack_dir, manifest, href, size, pack_hash)
        built.append(BuiltPack(manifest.id, manifest.version, f"archives/{name}", size, pack_hash))
    for entry in packs.values():
        versions = [parse_version(v) for v in entry["versions"]]
        releases = [v for v in versions if not v.is_prerelease]
        entry["latest_version"] = str(max(releases or versions))
    stamps = [e["updated"] for e in packs.values() if e.get("updated")]
    index = {"updated": updated or (max(stamps) if stamps else default_updated()), "packs": packs}
    text = json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(out / "index.json", text.encode("utf-8"))
    return index, built


def _pack_entry(manifest: Manifest) -> dict[str, Any]:
    meta = manifest.gpack
    entry: dict[str, Any] = {
        "id": meta.id,
        "name": meta.name,
        "description": meta.description,
        "tags": sorted(set(meta.tags)),
        "keywords": sorted(set(meta.keywords)),
        "downloads": 0,
        "versions": {},
    }
    for key in ("category", "author", "license", "homepage", "repository", "documentation", "updated"):
        value = getattr(meta, key)
        if value:
            entry[key] = value
    return entry


def _version_entry(pack_dir: Path, manifest: Manifest, href: str, size: int, pack_hash: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "version": manifest.version,
        "url": href,
        "size": size,
        "sha256": pack_hash,
        "dependencies": dict(sorted(manifest.dependencies.items())),
        "templates": template_files(pack_dir, manifest),
    }
    if manifest.gpack.updated:
        entry["published"] = manifest.gpack.updated
    return entry
