"""In-memory RDF for other packs: load RDF text, query it with SPARQL, with deadlines and row caps.

This is the library the template pack uses for front-matter RDF (one :class:`MemoryGraph` per render)::

    from ggen_graph.engine import MemoryGraph

    graph = MemoryGraph()
    graph.add_prefixes({"ex": "http://example.org/"})
    graph.load("@prefix ex: <http://example.org/> . ex:a a ex:Thing .", "turtle")
    result = graph.select("SELECT ?s WHERE { ?s a ?type }", bindings={"type": "http://example.org/Thing"})
    result.rows  # [["http://example.org/a"]]: one array per row, in the order of result.variables (["s"])
    result.records()  # [{"s": "http://example.org/a"}]

Every query is checked first (:func:`check_read_only_query`), bindings are passed to pyoxigraph as RDF
terms (never pasted into the query text), results are capped at ``limit`` rows (``truncated`` tells) and
the call gives up at ``timeout`` seconds.

pyoxigraph never runs in this process: a :class:`MemoryGraph` is a handle on a store in the shared
template-graph worker (:mod:`ggen_graph.memory_graphs`), a process without network, with a memory limit,
killed at a query's deadline (so a runaway query stops, it is not merely abandoned). The handle keeps its
inputs and loads them again when the worker lost the store (restarted, or the store was evicted).
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from ggen_graph.errors import (
    GraphGone,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    RdfSyntaxError,
    from_wire,
)
from ggen_graph.formats import FORMATS, format_from_name
from ggen_graph.results import ConstructResult, SelectResult
from ggen_graph.sparql_guard import check_read_only_query, query_form
from ggen_graph.template_graphs import forget, take_forgotten, template_graph_worker
from ggen_graph.terms import TypedValue, substitutions
from ggen_mcp_core import ToolError

__all__ = [
    "FORMATS",
    "ConstructResult",
    "InputRejected",
    "MemoryGraph",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "RdfInput",
    "RdfSyntaxError",
    "SelectResult",
    "TypedValue",
    "check_read_only_query",
    "format_from_name",
]

DEFAULT_LIMIT = 10_000
DEFAULT_TIMEOUT = 10.0


class InputRejected(ToolError):
    """Input number ``index`` of :meth:`MemoryGraph.load_many` failed with ``error``."""

    def __init__(self, index: int, error: Exception) -> None:
        self.index = index
        self.error = error
        super().__init__(f"RDF input {index}: {error}")


@dataclass(frozen=True)
class RdfInput:
    """One input of :meth:`MemoryGraph.load_many`: RDF text, its format, base IRI and target graph."""

    data: str | bytes
    format: str = "turtle"
    base_iri: str | None = None
    graph: str | None = None


class MemoryGraph:
    """An in-memory RDF graph with prefixes, safe bindings, row caps and deadlines.

    The store lives in the template-graph worker (see the module docstring); this object holds its id,
    its prefixes and a copy of its inputs (to load them again into a restarted worker).
    """

    def __init__(self, *, max_input_bytes: int | None = None) -> None:
        self.id = uuid.uuid4().hex
        self._prefixes: dict[str, str] = {}
        self._max_input_bytes = max_input_bytes
        self._loads: list[dict[str, Any]] = []
        self._size = 0
        weakref.finalize(self, forget, self.id)

    @property
    def prefixes(self) -> dict[str, str]:
        """The prefixes later queries may use without declaring them."""
        return dict(self._prefixes)

    def __len__(self) -> int:
        return self._size

    def add_prefixes(self, prefixes: dict[str, str]) -> None:
        """Declare prefixes (``{"ex": "http://example.org/"}``) for every later query."""
        for name, iri in prefixes.items():
            self._prefixes[name.rstrip(":")] = iri

    def load(
        self,
        data: str | bytes,
        format: str = "turtle",
        *,
        base_iri: str | None = None,
        graph: str | None = None,
    ) -> int:
        """Parse RDF text into the store (the default graph, or ``graph``); return the triples added.

        Raises :class:`RdfSyntaxError` with the parser's line and column, or ``ValueError`` for an unknown
        format or an input over the size cap.
        """
        try:
            return self.load_many([RdfInput(data, format, base_iri, graph)])[0]
        except InputRejected as rejected:
            raise rejected.error from None

    def load_many(self, inputs: list[RdfInput], *, timeout: float = DEFAULT_TIMEOUT * 6) -> list[int]:
        """Load several inputs in one round trip to the worker; returns the triples each added.

        An input that fails raises :class:`InputRejected` (``index`` says which, ``error`` is what
        :meth:`load` would raise); the graph then keeps none of these inputs.
        """
        loads = []
        for index, item in enumerate(inputs):
            try:
                loads.append(self._prepared(item))
            except ValueError as exc:
                raise InputRejected(index, exc) from None
        outcome = self._with_graph("graph_load", {"loads": loads, "before": len(self._loads)}, timeout, "load")
        if outcome["error"] is not None:
            index, wire = outcome["error"]
            raise InputRejected(index, from_wire(*wire))
        self._loads.extend(loads)
        self._size = outcome["size"]
        added: list[int] = outcome["added"]
        return added

    def _prepared(self, item: RdfInput) -> dict[str, Any]:
        raw = item.data.encode("utf-8") if isinstance(item.data, str) else item.data
        if self._max_input_bytes is not None and len(raw) > self._max_input_bytes:
            raise ValueError(f"RDF input is {len(raw)} bytes, over the {self._max_input_bytes}-byte cap")
        return {
            "data": raw,
            "format": format_from_name(item.format),
            "base_iri": item.base_iri,
            "graph_name": item.graph or None,
        }

    def _reload(self, timeout: float) -> None:
        """Load every earlier input again (the worker lost this graph)."""
        self._call("graph_load", {"loads": self._loads, "before": 0}, timeout, "load", restore=False)

    def _call(self, op: str, kwargs: dict[str, Any], timeout: float, what: str, *, restore: bool = True) -> Any:
        """One operation on this graph; a retry on a new worker (after a crash or a deadline kill of another
        call) first loads the graph there again."""
        arguments = {"id": self.id, **kwargs}
        if op != "graph_dump":
            arguments["drop"] = take_forgotten()
        reload = (lambda: self._reload(timeout)) if restore else None
        return template_graph_worker().call(op, arguments, timeout=timeout, what=what, before_retry=reload)

    def _with_graph(self, op: str, kwargs: dict[str, Any], timeout: float, what: str) -> Any:
        """Run an operation on the graph, loading it again first when the worker lost it."""
        try:
            return self._call(op, kwargs, timeout, what)
        except GraphGone:
            self._reload(timeout)
            return self._call(op, kwargs, timeout, what)

    def ntriples(self, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """The default graph as N-Triples."""
        data: bytes = self._with_graph("graph_dump", {}, timeout, "export")
        return data

    def select(
        self,
        sparql: str,
        *,
        bindings: dict[str, str] | None = None,
        limit: int = DEFAULT_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SelectResult:
        """Run a SELECT query; rows are capped at ``limit`` and the call ends at ``timeout`` seconds."""
        result = self.query(sparql, bindings=bindings, limit=limit, timeout=timeout)
        if not isinstance(result, SelectResult):
            raise QueryRefused(f"select() needs a SELECT query, not {query_form(sparql) or 'this text'}")
        return result

    def ask(self, sparql: str, *, bindings: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """Run an ASK query."""
        result = self.query(sparql, bindings=bindings, timeout=timeout)
        if not isinstance(result, bool):
            raise QueryRefused(f"ask() needs an ASK query, not {query_form(sparql) or 'this text'}")
        return result

    def construct(
        self,
        sparql: str,
        *,
        bindings: dict[str, str] | None = None,
        limit: int = DEFAULT_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ConstructResult:
        """Run a CONSTRUCT or DESCRIBE query; the triples come back as N-Triples text."""
        result = self.query(sparql, bindings=bindings, limit=limit, timeout=timeout)
        if not isinstance(result, ConstructResult):
            form = query_form(sparql) or "this text"
            raise QueryRefused(f"construct() needs CONSTRUCT or DESCRIBE, not {form}")
        return result

    def query(
        self,
        sparql: str,
        *,
        bindings: dict[str, str] | None = None,
        limit: int = DEFAULT_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SelectResult | ConstructResult | bool:
        """Run any read-only query form and return its collected result."""
        check_read_only_query(sparql)
        substitutions(bindings)  # invalid bindings fail here, with pyoxigraph's message
        kwargs = {
            "sparql": sparql,
            "limit": limit,
            "timeout": timeout,
            "prefixes": self._prefixes,
            "bindings": bindings,
        }
        result: SelectResult | ConstructResult | bool = self._with_graph("graph_query", kwargs, timeout, "query")
        return result
