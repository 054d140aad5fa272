"""An in-memory copy of a small on-disk store, for reads.

pyoxigraph answers a query from its in-memory store about four times faster than from its on-disk
(RocksDB) store (bench/load.py, docs/performance.md). The store worker therefore keeps a copy of every
store of at most ``graph.memory_replica_triples`` triples in memory and runs queries on it. The copy is
never stale: a write drops it before it starts, queries read the disk while it is gone, and a background
thread copies the store again after the write. A copy that a write overtook is thrown away, not used.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

import pyoxigraph as ox

CHUNK = 10_000


class MemoryReplica:
    """The copy of ``source`` that reads use when it exists (``current``), rebuilt after every write."""

    def __init__(self, source: ox.Store, max_triples: int) -> None:
        self.source = source
        self.max_triples = max_triples
        self.current: ox.Store | None = None
        self.too_large = False  # the last copy stopped at max_triples: reads stay on disk until a write
        self._generation = 0
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._ready = threading.Event()
        if max_triples > 0:
            threading.Thread(target=self._builder, name="ggen-store-replica", daemon=True).start()
            self._wanted.set()

    def reader(self) -> ox.Store:
        """The store a read should use: the copy when it is up to date, else the store on disk."""
        current = self.current  # read once: a write may drop it meanwhile
        return current if current is not None else self.source

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Wrap a write: the copy is dropped before it and rebuilt after it (whether it failed or not)."""
        self._invalidate()
        try:
            yield
        finally:
            self._invalidate()
            if self.max_triples > 0:
                self._wanted.set()

    def wait_ready(self, timeout: float) -> bool:
        """Block until a copy is built or given up (tests and benchmarks); True when reads use memory."""
        self._ready.wait(timeout)
        return self.current is not None

    def _invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self.current = None
            self._ready.clear()

    def _builder(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            with self._lock:
                generation = self._generation
            copy = self._copy(generation)
            with self._lock:
                if generation == self._generation:
                    self.current = copy
                    self.too_large = copy is None
                    self._ready.set()

    def _copy(self, generation: int) -> ox.Store | None:
        """A new in-memory store with every quad of the source; None when the source is too large or a write
        began meanwhile (its own rebuild follows)."""
        copy = ox.Store()
        copied = 0
        quads = self.source.quads_for_pattern(None, None, None, None)
        try:
            while chunk := list(itertools.islice(quads, CHUNK)):
                copied += len(chunk)
                if copied > self.max_triples or generation != self._generation:
                    return None
                copy.extend(chunk)
        except (OSError, RuntimeError):  # the store closed under us (worker shutting down)
            return None
        return copy
