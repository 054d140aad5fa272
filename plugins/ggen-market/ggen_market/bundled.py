"""The registry bundled inside ggen-market, so the server works offline with real packs on day one.

Pack sources ship as package data under ``ggen_market/packs/<id>/``. On first use they are built with
:func:`ggen_market.builder.build_registry` into ``<cache_dir>/market/bundled-<digest>/``,
where ``<digest>`` is the hash of the sources, so an upgraded ggen-market builds afresh and the archives
and their sha256 are reproducible (the build is deterministic). No archive is kept in git.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ggen_market.builder import build_registry
from ggen_market.packhash import hash_directory

SOURCES = Path(__file__).parent / "packs"
BUNDLED_UPDATED = "2026-11-01T00:00:00Z"


@functools.lru_cache(maxsize=8)
def sources_digest(sources: Path = SOURCES) -> str:
    """A short digest of the bundled pack sources (names and contents; computed once per process)."""
    return hashlib.sha256(hash_directory(sources).encode()).hexdigest()[:16]


def ensure_bundled(cache_root: Path, sources: Path = SOURCES) -> Path:
    """Build the bundled registry under ``cache_root`` unless it is there; return its directory."""
    target = cache_root / f"bundled-{sources_digest(sources)}"
    if (target / "index.json").is_file():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundled-", dir=cache_root))
    try:
        build_registry(sources, staging, updated=BUNDLED_UPDATED)
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / "index.json").is_file():  # another process won the race with a good build
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
