"""Files the host keeps between starts under ``<cache_dir>``: read leniently, written atomically.

A kept file only saves work (tool schemas, schema verdicts, tool listings, entry points), so a missing,
unreadable or malformed one reads as None and a write that fails is logged at debug level and skipped: the
next start does the work again. Writes go through the host's one atomic write, so a concurrent start reads
the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger("ggen_mcp.cache_file")


def read_json(path: Path | None) -> Any:
    """The JSON value in ``path``; None when there is no path, no file, or no JSON in it."""
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path | None, data: Any, what: str) -> bool:
    """Write ``data`` as JSON to ``path`` atomically (its folder created); False when it could not be
    written (``what`` names the file in the debug line)."""
    if path is None:
        return False
    from ggen_mcp_core.workspace import atomic_write  # the host's one atomic write (outside any workspace)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(data))
    except OSError as exc:
        log.debug(f"{what} not saved", path=str(path), error=str(exc))
        return False
    return True
