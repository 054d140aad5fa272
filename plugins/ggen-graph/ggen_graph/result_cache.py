"""Query results kept per store version, so a repeated query skips the store worker.

Every write through the store (load, update, clear) moves the version on before and after it, so a cached
result never outlives the data it was computed from, even when a write fails half way or its worker is
killed. Only small results are kept (``MAX_ROWS``), at most ``entries`` of them, least recently used first
out. The hit/miss counter is ``ggen_mcp_graph_query_cache_total``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from ggen_mcp_core.observability import counter

MAX_ROWS = 200

LOOKUPS = counter(
    "ggen_mcp_graph_query_cache", "graph_query results served from the result cache, or not.", ("outcome",)
)


class ResultCache:
    """An LRU of query results for one store, invalidated by :meth:`bump` (every write)."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self.version = 0
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def bump(self) -> None:
        """The store is changing: forget every result."""
        with self._lock:
            self.version += 1
            self._results.clear()

    def get(self, key: Hashable) -> Any | None:
        """The cached result for ``key`` at the current version, or None."""
        if self.entries <= 0:
            return None
        with self._lock:
            hit = self._results.get((self.version, key))
            if hit is not None:
                self._results.move_to_end((self.version, key))
        LOOKUPS.labels(outcome="hit" if hit is not None else "miss").inc()
        return hit

    def put(self, key: Hashable, version: int, result: Any) -> None:
        """Keep ``result`` if it is small and no write started since ``version`` was read."""
        if self.entries <= 0 or getattr(result, "count", MAX_ROWS + 1) > MAX_ROWS:
            return
        with self._lock:
            if version != self.version:
                return
            self._results[(version, key)] = result
            while len(self._results) > self.entries:
                self._results.popitem(last=False)
