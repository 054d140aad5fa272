"""The operations on a pyoxigraph store, as the store worker process runs them.

Every method takes and returns plain, picklable values so that it can run in another process. Writes
are serialized by a lock (pyoxigraph's bulk loader must not race other writes); reads run concurrently.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyoxigraph as ox

from ggen_graph import bound_patterns
from ggen_graph.errors import (
    GraphNotFound,
    QuerySyntaxError,
    query_runtime_error,
    query_syntax_error,
    rdf_syntax_error,
)
from ggen_graph.formats import DATASET_FORMATS, FORMATS
from ggen_graph.rdfxml_prolog import refuse_entity_declarations
from ggen_graph.replica import MemoryReplica
from ggen_graph.results import collect
from ggen_graph.terms import substitutions
from ggen_mcp_core import ToolError

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
COUNT_NAMED = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
NO_NETWORK = "graph workers have no network: SERVICE and LOAD reach no host"


def graph_node(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    """The pyoxigraph graph name for an IRI, or the default graph for None."""
    if graph is None:
        return ox.DefaultGraph()
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise ToolError(f"graph {graph!r} is not a valid IRI: {exc}") from None


class StoreOps:
    """Load, query, update, export, list and clear on one pyoxigraph store."""

    def __init__(
        self,
        store: ox.Store,
        *,
        replica_triples: int = 0,
        on_write_start: Callable[[], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self.store = store
        self.write_lock = threading.Lock()
        self.replica = MemoryReplica(store, replica_triples)
        self.on_write_start = on_write_start  # told when a write holds the lock (it may change the store)
        self.on_progress = on_progress or _no_progress  # told how far a load, clear or export has come

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One write at a time, and the in-memory copy dropped around it."""
        with self.write_lock, self.replica.writing():
            if self.on_write_start is not None:
                self.on_write_start()
            yield

    def ping(self) -> str:
        return "pong"

    def count(self, graph: str | None = None) -> int:
        """Triples in one graph (the default graph for None)."""
        return _single_count(self.store.query(COUNT, default_graph=graph_node(graph)))

    def count_all(self) -> int:
        """Triples in the whole dataset (default graph and every named graph)."""
        return _single_count(self.store.query(COUNT_ALL))

    def load(
        self,
        *,
        format: str,
        data: bytes | None = None,
        path: str | None = None,
        graph: str | None = None,
        base_iri: str | None = None,
        replace: bool = False,
        bulk: bool = False,
    ) -> dict[str, int]:
        """Parse RDF into the store; returns ``triples_added`` and ``graph_size``."""
        dataset = format in DATASET_FORMATS
        if dataset and (graph is not None or replace):
            raise ToolError(
                f"{format} names its own graphs: load it without graph and replace "
                "(or convert it to a triple format to put it in one graph)"
            )
        total = len(data) if data is not None else os.path.getsize(path) if path is not None else 0
        with self._writing():
            if replace:
                self._drop(graph)
            before = self.count_all() if dataset else self.count(graph)
            self.on_progress(0, total, "parsing")
            self._parse_into(format, data, path, graph, base_iri, bulk, total)
            self.on_progress(total, total, "counting the graph")
            after = self.count_all() if dataset else self.count(graph)
        return {"triples_added": after - before, "graph_size": after}

    def _parse_into(
        self,
        format: str,
        data: bytes | None,
        path: str | None,
        graph: str | None,
        base_iri: str | None,
        bulk: bool,
        total: int,
    ) -> None:
        if format == "rdfxml":
            refuse_entity_declarations(data=data, path=path)
        options: dict[str, Any] = {"format": FORMATS[format], "base_iri": base_iri}
        if graph is not None:
            options["to_graph"] = graph_node(graph)
        loader = self.store.bulk_load if bulk else self.store.load
        try:
            with _source(data, path) as raw:
                loader(input=io.BufferedReader(CountingReader(raw, total, self.on_progress), READ_BUFFER), **options)
        except SyntaxError as exc:
            raise rdf_syntax_error(exc, format) from None
        except OSError as exc:
            raise ToolError(f"loading failed: {exc}") from None

    def query(
        self,
        *,
        sparql: str,
        limit: int,
        timeout: float,
        graph: str | None = None,
        bindings: dict[str, str] | None = None,
        prefixes: dict[str, str] | None = None,
        typed: bool = True,
    ) -> Any:
        """Run a read-only query and collect at most ``limit`` rows (or triples) before the deadline."""
        deadline = time.monotonic() + timeout
        subs = _subs(bindings)
        options: dict[str, Any] = {"prefixes": prefixes or None}
        if graph is not None:
            if not self._exists(graph):
                raise GraphNotFound(f"graph {graph!r} does not exist; {self._known()}")
            options["default_graph"] = graph_node(graph)
        try:
            result = bound_patterns.query(self.replica.reader(), sparql, subs, **options)
            return collect(result, limit, deadline, timeout, typed)
        except SyntaxError as exc:
            raise query_syntax_error(exc, sparql) from None
        except RuntimeError as exc:
            raise query_runtime_error(exc) from None
        except OSError as exc:  # SERVICE evaluates lazily: the error comes with the rows
            raise ToolError(f"the query failed: {exc} ({NO_NETWORK})") from None

    def update(self, *, sparql: str, prefixes: dict[str, str] | None = None) -> dict[str, int]:
        """Run a SPARQL update in one transaction; returns the dataset size before and after."""
        with self._writing():
            before = self.count_all()
            try:
                self.store.update(sparql, prefixes=prefixes or None)
            except SyntaxError as exc:
                raise query_syntax_error(exc, sparql) from None
            except RuntimeError as exc:
                raise ToolError(f"the update failed: {exc}") from None
            except OSError as exc:
                raise ToolError(f"the update failed: {exc} ({NO_NETWORK})") from None
            return {"before": before, "after": self.count_all()}

    def export(
        self, *, format: str, max_bytes: int, graph: str | None = None, prefixes: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Serialize a graph (or, for nquads/trig without graph, the dataset), cut at ``max_bytes``."""
        options: dict[str, Any] = {"format": FORMATS[format]}
        if graph is not None or format not in DATASET_FORMATS:
            options["from_graph"] = graph_node(graph)
        if prefixes and format in {"turtle", "trig", "rdfxml"}:
            options["prefixes"] = prefixes
        if graph is not None and not self._exists(graph):
            raise GraphNotFound(f"graph {graph!r} does not exist; {self._known()}")
        self.on_progress(0, 2, "serializing")
        data = self.store.dump(**options)
        assert data is not None
        self.on_progress(1, 2, "counting the triples")
        triples = self.count(graph) if "from_graph" in options else self.count_all()
        self.on_progress(2, 2, "serialized")
        return {"data": data[:max_bytes], "total_bytes": len(data), "triples": triples}

    def graphs(self) -> list[tuple[str | None, int]]:
        """The default graph (None) and every named graph, with their sizes."""
        sizes: dict[str, int] = {node.value: 0 for node in self.store.named_graphs() if isinstance(node, ox.NamedNode)}
        solutions = self.store.query(COUNT_NAMED)
        assert isinstance(solutions, ox.QuerySolutions)
        for row in solutions:
            if isinstance(row[0], ox.NamedNode):
                sizes[row[0].value] = int(row[1].value)
        listed: list[tuple[str | None, int]] = [(None, self.count(None))]
        return listed + sorted(sizes.items())

    def clear(self, *, graph: str | None = None) -> int:
        """Remove one graph (or empty the default graph); returns the triples removed."""
        with self._writing():
            if graph is not None and not self._exists(graph):
                raise GraphNotFound(f"graph {graph!r} does not exist; {self._known()}")
            removed = self.count(graph)
            self.on_progress(1, 2, f"removing {removed} triples")
            self._drop(graph)
            self.on_progress(2, 2, "removed")
            return removed

    def _drop(self, graph: str | None) -> None:
        node = graph_node(graph)
        if isinstance(node, ox.DefaultGraph):
            self.store.clear_graph(node)
        elif self.store.contains_named_graph(node):
            self.store.remove_graph(node)

    def _exists(self, graph: str) -> bool:
        return bool(self.store.contains_named_graph(graph_node(graph)))

    def _known(self) -> str:
        names = sorted(node.value for node in self.store.named_graphs() if isinstance(node, ox.NamedNode))
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        return f"named graphs: {shown}" if names else "the store has no named graphs"


READ_BUFFER = 1024 * 1024  # bytes the parser reads at a time
PROGRESS_STEP = 4 * 1024 * 1024  # a load reports progress at most once per this many bytes read


def _no_progress(done: int, total: int, message: str) -> None:
    """The progress callback when nobody listens."""


@contextlib.contextmanager
def _source(data: bytes | None, path: str | None) -> Iterator[Any]:
    """The input of a load as a raw stream: the file (opened here), or the inline bytes."""
    if path is None:
        yield io.BytesIO(data or b"")
        return
    with open(path, "rb", buffering=0) as handle:
        yield handle


class CountingReader(io.RawIOBase):
    """A raw stream that reports the bytes read so far (every ``PROGRESS_STEP`` bytes) while a parser reads it."""

    def __init__(self, raw: Any, total: int, report: Callable[[int, int, str], None]) -> None:
        self.raw = raw
        self.total = total
        self.report = report
        self.done = 0
        self.next_report = PROGRESS_STEP

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(buffer) or 0
        self.done += count
        if self.done >= self.next_report:
            self.next_report = self.done + PROGRESS_STEP
            self.report(min(self.done, self.total), self.total, "parsing")
        return count


def _subs(bindings: dict[str, str] | None) -> Any:
    try:
        return substitutions(bindings)
    except ValueError as exc:
        raise ToolError(f"invalid binding: {exc}") from None


def _single_count(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> int:
    assert isinstance(result, ox.QuerySolutions)
    for solution in result:
        value = solution[0]
        return int(value.value) if isinstance(value, ox.Literal) else 0
    return 0


__all__ = ["QuerySyntaxError", "StoreOps", "graph_node"]
