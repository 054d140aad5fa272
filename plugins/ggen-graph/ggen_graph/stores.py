"""The graph store a workspace uses: embedded (on-disk pyoxigraph in a worker process) or a remote endpoint.

:func:`store_for` returns the store for a workspace and settings, opening it on first use and keeping it
open for later calls. Every method is blocking; tools call them through ``ctx.run_sync``.
"""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ggen_graph.prefixes import PrefixRegistry
from ggen_graph.progress import LISTENER
from ggen_graph.result_cache import ResultCache
from ggen_graph.settings import GraphSettings
from ggen_graph.worker_client import WorkerClient
from ggen_graph.worker_options import WorkerOptions

STORE_DIR = "store"
PREFIX_FILE = "graph-prefixes.json"
MAX_OPEN_STORES = 8


class GraphStore(Protocol):
    """What the graph tools need from a store (embedded or remote); every operation is a coroutine."""

    kind: str
    prefixes: PrefixRegistry
    settings: GraphSettings

    async def load(
        self,
        *,
        format: str,
        data: bytes | None = None,
        path: str | None = None,
        graph: str | None = None,
        base_iri: str | None = None,
        replace: bool = False,
        bulk: bool = False,
    ) -> dict[str, int]: ...

    async def query(
        self,
        *,
        sparql: str,
        limit: int,
        graph: str | None = None,
        bindings: dict[str, str] | None = None,
        typed: bool = True,
    ) -> Any: ...

    async def update(self, *, sparql: str) -> dict[str, int]: ...

    async def export(self, *, format: str, max_bytes: int, graph: str | None = None) -> dict[str, Any]: ...

    async def count(self, graph: str | None = None) -> int: ...

    async def graphs(self) -> list[tuple[str | None, int]]: ...

    async def clear(self, *, graph: str | None = None) -> int: ...

    def close(self) -> None: ...


@dataclass
class EmbeddedStore:
    """An on-disk pyoxigraph store run by a worker process (killed and restarted at a deadline)."""

    path: Path
    settings: GraphSettings
    prefixes: PrefixRegistry
    kind: str = "embedded"

    def __post_init__(self) -> None:
        self.worker = WorkerClient(
            str(self.path),
            threads=self.settings.worker_threads,
            replica_triples=self.settings.memory_replica_triples,
            options=WorkerOptions.from_settings(self.settings),
        )
        self.results = ResultCache(self.settings.result_cache_entries)
        self._prefixes_seen: tuple[dict[str, str] | None, tuple[tuple[str, str], ...]] = (None, ())

    def _prefixes_key(self, prefixes: dict[str, str]) -> tuple[tuple[str, str], ...]:
        """The prefixes as part of a result cache key, sorted once per version of the registry's mapping (it
        hands out the same dict until the file changes)."""
        seen, frozen = self._prefixes_seen
        if seen is not prefixes:
            frozen = _frozen(prefixes)
            self._prefixes_seen = (prefixes, frozen)
        return frozen

    async def _write(self, op: str, kwargs: dict[str, Any], deadline_s: float) -> Any:
        """Every write goes through here: cached results are dropped before and after it."""
        self.results.bump()
        try:
            return await self.worker.call_async(op, kwargs, deadline_s=deadline_s, what=op, progress=LISTENER.get())
        finally:
            self.results.bump()

    async def load(self, **kwargs: Any) -> dict[str, int]:
        outcome: dict[str, int] = await self._write("load", kwargs, self.settings.load_timeout)
        return outcome

    async def query(
        self,
        *,
        sparql: str,
        limit: int,
        graph: str | None = None,
        bindings: dict[str, str] | None = None,
        typed: bool = True,
    ) -> Any:
        seconds = self.settings.query_timeout
        prefixes = self.prefixes.read()
        kwargs = {
            "typed": typed,
            "sparql": sparql,
            "limit": limit,
            "timeout": seconds,
            "graph": graph,
            "bindings": bindings,
            "prefixes": prefixes,
        }
        key = (sparql, limit, graph, typed, _frozen(bindings), self._prefixes_key(prefixes))
        cached = self.results.get(key)
        if cached is not None:
            return cached
        version = self.results.version
        result = await self.worker.call_async("query", kwargs, deadline_s=seconds)
        self.results.put(key, version, result)
        return result

    async def update(self, *, sparql: str) -> dict[str, int]:
        kwargs = {"sparql": sparql, "prefixes": self.prefixes.read()}
        outcome: dict[str, int] = await self._write("update", kwargs, self.settings.update_timeout)
        return outcome

    async def export(self, *, format: str, max_bytes: int, graph: str | None = None) -> dict[str, Any]:
        kwargs = {"format": format, "max_bytes": max_bytes, "graph": graph, "prefixes": self.prefixes.read()}
        outcome: dict[str, Any] = await self.worker.call_async(
            "export", kwargs, deadline_s=self.settings.load_timeout, what="export", progress=LISTENER.get()
        )
        return outcome

    async def count(self, graph: str | None = None) -> int:
        return int(await self.worker.call_async("count", {"graph": graph}, deadline_s=self.settings.query_timeout))

    async def graphs(self) -> list[tuple[str | None, int]]:
        return list(await self.worker.call_async("graphs", deadline_s=self.settings.query_timeout))

    async def clear(self, *, graph: str | None = None) -> int:
        seconds = self.settings.update_timeout
        return int(await self._write("clear", {"graph": graph}, seconds))

    def close(self) -> None:
        self.worker.close()


_lock = threading.Lock()
_open: OrderedDict[tuple[Any, ...], GraphStore] = OrderedDict()


def store_for(settings: GraphSettings, state_dir: Path) -> GraphStore:
    """The store for a workspace's state directory and these settings, opened on first use."""
    key = _key(settings, state_dir)
    with _lock:
        store = _open.get(key)
        if store is not None:
            _open.move_to_end(key)
            store.settings = settings
            return store
        store = _make(settings, state_dir)
        _open[key] = store
        while len(_open) > MAX_OPEN_STORES:
            _, oldest = _open.popitem(last=False)
            oldest.close()
        return store


_RECENT_MAX = 64
_recent: dict[tuple[int, int], tuple[object, GraphSettings, tuple[Any, ...], GraphStore]] = {}


def store_of(settings: GraphSettings, workspace: Any) -> GraphStore:
    """:func:`store_for` the workspace's state directory, remembered per (settings, workspace) pair, so a call
    skips building the store's path and key (the objects are held, so their ids are not reused)."""
    hit = _recent.get((id(settings), id(workspace)))
    if hit is not None and hit[0] is workspace and hit[1] is settings:
        with _lock:
            if _open.get(hit[2]) is hit[3]:  # still open (not evicted or closed since)
                _open.move_to_end(hit[2])
                hit[3].settings = settings
                return hit[3]
    state_dir = workspace.state_dir
    store = store_for(settings, state_dir)
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[(id(settings), id(workspace))] = (workspace, settings, _key(settings, state_dir), store)
    return store


def open_stores() -> list[GraphStore]:
    """The stores open in this process (for health checks and tests)."""
    with _lock:
        return list(_open.values())


def close_all() -> None:
    """Close every open store (their workers flush and exit); the next call opens them again."""
    with _lock:
        stores = list(_open.values())
        _open.clear()
        _recent.clear()
    for store in stores:
        store.close()


def _frozen(mapping: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(mapping.items())) if mapping else ()


def _key(settings: GraphSettings, state_dir: Path) -> tuple[Any, ...]:
    if settings.store == "sparql":
        auth = settings.auth_header.get_secret_value() if settings.auth_header else None
        return ("sparql", settings.query_endpoint, settings.update_endpoint, auth, str(state_dir))
    return ("embedded", str(state_dir / STORE_DIR))


def _make(settings: GraphSettings, state_dir: Path) -> GraphStore:
    prefixes = PrefixRegistry(state_dir / PREFIX_FILE)
    if settings.store == "sparql":
        from ggen_graph.remote_store import RemoteStore

        return RemoteStore(settings, prefixes)
    (state_dir / STORE_DIR).mkdir(parents=True, exist_ok=True)
    return EmbeddedStore(state_dir / STORE_DIR, settings, prefixes)


atexit.register(close_all)
