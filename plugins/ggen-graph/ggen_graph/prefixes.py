"""The prefixes a workspace's graphs declared, kept beside the store for queries, exports and stats.

Loads record the ``@prefix``/``PREFIX`` lines of Turtle and TriG and the ``xmlns`` declarations of RDF/XML
(from the first part of the input), so that later queries may write ``ex:Thing`` without declaring
``ex:`` again and exports use the same short names.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from ggen_mcp_core import atomic_write

WELL_KNOWN = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "sh": "http://www.w3.org/ns/shacl#",
}
SCAN_BYTES = 256 * 1024
MAX_PREFIXES = 500
RECHECK_SECONDS = 1.0

_TURTLE = re.compile(rb"(?im)^\s*(?:@prefix|prefix)\s+([A-Za-z][\w.\-]*)?:\s*<([^<>\s]*)>")
_XMLNS = re.compile(rb"xmlns:([A-Za-z_][\w.\-]*)\s*=\s*[\"']([^\"']+)[\"']")


def extract(head: bytes, format: str) -> dict[str, str]:
    """The prefix declarations in the first bytes of an RDF document."""
    if format in {"turtle", "trig"}:
        found = _TURTLE.findall(head[:SCAN_BYTES])
    elif format == "rdfxml":
        found = _XMLNS.findall(head[:SCAN_BYTES])
    else:
        return {}
    return {
        (name or b"").decode("utf-8", "replace"): iri.decode("utf-8", "replace")
        for name, iri in found
        if name  # the empty prefix stays per document
    }


class PrefixRegistry:
    """A JSON file of prefix -> namespace, updated atomically after each load."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int] | None, dict[str, str]] = (None, dict(WELL_KNOWN))
        self._checked = -RECHECK_SECONDS

    def read(self) -> dict[str, str]:
        """The recorded prefixes over the well-known ones (the file is checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return self._cached[1]
        self._checked = now
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        cached_stamp, cached = self._cached
        if stamp == cached_stamp:
            return cached
        try:
            recorded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            recorded = {}
        merged = dict(WELL_KNOWN)
        if isinstance(recorded, dict):
            merged.update({str(k): str(v) for k, v in recorded.items()})
        self._cached = (stamp, merged)
        return merged

    def add(self, prefixes: dict[str, str]) -> None:
        """Record new declarations (a later load's namespace for a name wins)."""
        if not prefixes:
            return
        with self._lock:
            current = {k: v for k, v in self.read().items() if WELL_KNOWN.get(k) != v}
            if all(current.get(k) == v for k, v in prefixes.items()):
                return
            current.update(prefixes)
            if len(current) > MAX_PREFIXES:
                current = dict(list(current.items())[-MAX_PREFIXES:])
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(current, indent=2, sort_keys=True))
            self._checked = -RECHECK_SECONDS  # this process wrote it: read it again next time
