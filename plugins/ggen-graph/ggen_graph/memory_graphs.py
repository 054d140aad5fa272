"""Template graphs as the graph worker runs them: many small in-memory stores, each known by an id.

The server's :class:`ggen_graph.engine.MemoryGraph` is a handle; the pyoxigraph store it loads and queries
lives here, in a worker process without network (:mod:`ggen_graph.store_worker`). The stores form an LRU
bounded by count and by triples; a store that was evicted, or lost with a restarted worker, is reported
as :class:`GraphGone` and the handle loads it again from its own copy of the inputs (every load of a
handle carries the number of loads before it, so a store is never queried with part of its data).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ggen_graph import bound_patterns
from ggen_graph.errors import GraphGone, query_runtime_error, query_syntax_error, rdf_syntax_error, to_wire
from ggen_graph.formats import FORMATS
from ggen_graph.rdfxml_prolog import refuse_entity_declarations
from ggen_graph.results import collect
from ggen_graph.store_ops import NO_NETWORK
from ggen_graph.terms import substitutions
from ggen_mcp_core import ToolError

MAX_GRAPHS = 64
MAX_TRIPLES = 1_000_000  # about 350 MiB in memory: well inside the default graph.worker_memory_mb


@dataclass
class _Graph:
    store: ox.Store
    loads: int = 0
    size: int = 0


class MemoryGraphs:
    """The worker's template graphs (the ``graph_*`` operations of a ``graphs`` worker)."""

    def __init__(self, max_graphs: int = MAX_GRAPHS, max_triples: int = MAX_TRIPLES) -> None:
        self.max_graphs = max_graphs
        self.max_triples = max_triples
        self._graphs: OrderedDict[str, _Graph] = OrderedDict()
        self._lock = threading.Lock()

    def ping(self) -> str:
        return "pong"

    def graph_load(
        self, *, id: str, loads: list[dict[str, Any]], before: int, drop: list[str] | None = None
    ) -> dict[str, Any]:
        """Apply ``loads`` (each ``data``, ``format``, ``base_iri``, ``graph_name``) to graph ``id``, which must
        have had exactly ``before`` loads (0: a new graph). Returns the triples each added, the graph's size,
        and ``error``: None, or the index of the input that failed and the error as wire values (the
        graph is then forgotten: never query part of the inputs)."""
        self._drop(drop)
        # A new graph is published once loaded: a concurrent query never sees part of its inputs.
        graph = _Graph(ox.Store()) if before == 0 else self._graph_for_load(id, before)
        added = []
        for index, load in enumerate(loads):
            try:
                added.append(_load(graph, **load))
            except ToolError as exc:
                self._forget(id)
                return {"added": added, "size": graph.size, "error": (index, to_wire(exc))}
            except BaseException:
                self._forget(id)
                raise
        if before == 0:
            with self._lock:
                self._graphs[id] = graph
        self._evict()
        return {"added": added, "size": graph.size, "error": None}

    def graph_query(
        self,
        *,
        id: str,
        sparql: str,
        limit: int,
        timeout: float,
        prefixes: dict[str, str],
        bindings: dict[str, str] | None = None,
        drop: list[str] | None = None,
    ) -> Any:
        """Run a read-only query on graph ``id``; at most ``limit`` rows, given up at ``timeout`` seconds."""
        self._drop(drop)
        deadline = time.monotonic() + timeout
        store = self._get(id).store
        try:
            result = bound_patterns.query(store, sparql, substitutions(bindings), prefixes=prefixes or None)
            return collect(result, limit, deadline, timeout)
        except SyntaxError as exc:
            raise query_syntax_error(exc, sparql) from None
        except RuntimeError as exc:
            raise query_runtime_error(exc) from None
        except OSError as exc:
            raise ToolError(f"the query failed: {exc} ({NO_NETWORK})") from None

    def graph_dump(self, *, id: str) -> bytes:
        """Graph ``id``'s default graph as N-Triples."""
        data = self._get(id).store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        assert data is not None
        return data

    def graph_drop(self, *, ids: list[str]) -> None:
        """Forget these graphs."""
        self._drop(ids)

    def _graph_for_load(self, id: str, before: int) -> _Graph:
        with self._lock:
            graph = self._graphs.get(id)
            if graph is None or graph.loads != before:
                self._graphs.pop(id, None)
                raise GraphGone(id)
            self._graphs.move_to_end(id)
            return graph

    def _get(self, id: str) -> _Graph:
        with self._lock:
            graph = self._graphs.get(id)
            if graph is None:
                raise GraphGone(id)
            self._graphs.move_to_end(id)
            return graph

    def _forget(self, id: str) -> None:
        with self._lock:
            self._graphs.pop(id, None)

    def _drop(self, ids: list[str] | None) -> None:
        if ids:
            with self._lock:
                for id in ids:
                    self._graphs.pop(id, None)

    def _evict(self) -> None:
        """Forget the least recently used graphs while there are too many (never the newest)."""
        with self._lock:
            total = sum(graph.size for graph in self._graphs.values())
            while len(self._graphs) > 1 and (len(self._graphs) > self.max_graphs or total > self.max_triples):
                _, oldest = self._graphs.popitem(last=False)
                total -= oldest.size


def _load(graph: _Graph, *, data: bytes, format: str, base_iri: str | None, graph_name: str | None) -> int:
    if format == "rdfxml":
        refuse_entity_declarations(data=data)
    before = graph.size
    target = ox.NamedNode(graph_name) if graph_name else None
    try:
        graph.store.load(data, FORMATS[format], base_iri=base_iri, to_graph=target)
    except SyntaxError as exc:
        raise rdf_syntax_error(exc, format) from None
    graph.size = len(graph.store)
    graph.loads += 1
    return graph.size - before


__all__ = ["MAX_GRAPHS", "MAX_TRIPLES", "MemoryGraphs"]
