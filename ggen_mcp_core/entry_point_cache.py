"""The ``ggen_mcp.plugins`` entry points, kept in the cache directory between starts (issue 16).

Finding them imports ``importlib_metadata`` and reads the metadata of every installed distribution (about 130
in the development environment) at every start. ``<cache_dir>/entry-points.json`` keeps the ones found (name,
value, the distribution's name and version) under a key naming where they were looked for: the Python
version and every ``sys.path`` entry with its directory's modification time (installing, upgrading or removing
a distribution adds or removes a directory there), plus the size and modification time of each kept
distribution's ``entry_points.txt``. Any change of those, another ``sys.path`` or another working directory
(it is on ``sys.path`` as ``''``), and the entry points are looked up again and the file rewritten. A missing,
unreadable or malformed file is an empty one; the file is written atomically; entry points whose value or
distribution this module cannot represent are never kept (they are looked up at every start).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ggen_mcp_core.cache_file import read_json, write_json

FILE_NAME = "entry-points.json"
FORMAT = 1
VALUE = re.compile(r"^(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?$")  # importlib_metadata's, without extras


@dataclass(frozen=True)
class KeptDistribution:
    """The distribution of a kept entry point: what the host reports of it."""

    name: str
    version: str


@dataclass(frozen=True)
class KeptEntryPoint:
    """An entry point read from the kept file; ``load()`` imports it as ``importlib_metadata`` would."""

    name: str
    value: str
    group: str
    dist: KeptDistribution

    def load(self) -> Any:
        match = VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r}: malformed value {self.value!r}")
        module = importlib.import_module(match.group("module"))
        attributes = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attributes, module)


def entry_points(group: str, cache_dir: Path) -> Sequence[Any]:
    """The entry points of ``group``: the kept ones when nothing they depend on changed, else looked up (and
    kept for the next start)."""
    path = cache_dir / FILE_NAME
    key = _path_key(group)
    kept = _kept(path, key)
    if kept is not None:
        return kept
    import importlib_metadata

    found = list(importlib_metadata.entry_points(group=group))
    _keep(path, key, group, found)
    return found


def _path_key(group: str) -> str:
    """Python, the group, and every ``sys.path`` entry with its directory's modification time."""
    parts = [sys.version, group]
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        try:
            parts.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _file_state(path: str) -> str | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _kept(path: Path, key: str) -> list[KeptEntryPoint] | None:
    data = read_json(path)
    if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == key):
        return None
    items = data.get("entry_points")
    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        fields = ("name", "value", "group", "distribution", "version", "metadata", "state")
        if not (isinstance(item, dict) and all(isinstance(item.get(f), str) for f in fields)):
            return None
        if VALUE.match(item["value"]) is None or _file_state(item["metadata"]) != item["state"]:
            return None
        dist = KeptDistribution(item["distribution"], item["version"])
        found.append(KeptEntryPoint(item["name"], item["value"], item["group"], dist))
    return found


def _keep(path: Path, key: str, group: str, found: list[Any]) -> None:
    entries = []
    for entry_point in found:
        dist = entry_point.dist
        folder = getattr(dist, "_path", None)  # importlib_metadata's PathDistribution: its .dist-info directory
        metadata = str(Path(folder) / "entry_points.txt") if folder is not None else None
        state = _file_state(metadata) if metadata is not None else None
        if dist is None or state is None or VALUE.match(entry_point.value) is None:
            return  # cannot be represented faithfully: looked up at every start
        entries.append(
            {
                "name": entry_point.name,
                "value": entry_point.value,
                "group": group,
                "distribution": dist.name,
                "version": dist.version,
                "metadata": metadata,
                "state": state,
            }
        )
    write_json(path, {"format": FORMAT, "key": key, "entry_points": entries}, "entry points")
