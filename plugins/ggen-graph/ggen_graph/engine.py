"""In-memory RDF for other packs: load RDF text, query it with SPARQL, with deadlines and row caps.

This is the library the template pack uses for front-matter RDF (one :class:`MemoryGraph` per render)::

    from ggen_graph.engine import MemoryGraph

    graph = MemoryGraph()
    graph.add_prefixes({"ex": "http://example.org/"})
    graph.load("@prefix ex: <http://example.org/> . ex:a a ex:Thing .", "turtle")
    result = graph.select("SELECT ?s WHERE { ?s a ?type }", bindings={"type": "http://example.org/Thing"})
    result.rows  # [{"s": "http://example.org/a"}]

Every query is checked first (:func:`check_read_only_query`), bindings are passed to pyoxigraph as RDF
terms (never pasted into the query text), results are capped at ``limit`` rows (``truncated`` tells) and
the call gives up at ``timeout`` seconds (see :mod:`ggen_graph.deadline` for what that means in process).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ggen_graph.deadline import run_with_deadline
from ggen_graph.errors import (
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    RdfSyntaxError,
    query_runtime_error,
    query_syntax_error,
    rdf_syntax_error,
)
from ggen_graph.formats import FORMATS, format_from_name
from ggen_graph.results import ConstructResult, SelectResult, collect
from ggen_graph.sparql_guard import check_read_only_query, query_form
from ggen_graph.terms import TypedValue, substitutions

__all__ = [
    "FORMATS",
    "ConstructResult",
    "MemoryGraph",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "RdfSyntaxError",
    "SelectResult",
    "TypedValue",
    "check_read_only_query",
    "format_from_name",
]

DEFAULT_LIMIT = 10_000
DEFAULT_TIMEOUT = 10.0


class MemoryGraph:
    """An in-memory pyoxigraph store with prefixes, safe bindings, row caps and deadlines."""

    def __init__(self, *, max_input_bytes: int | None = None) -> None:
        self._store = ox.Store()
        self._prefixes: dict[str, str] = {}
        self._max_input_bytes = max_input_bytes

    @property
    def store(self) -> ox.Store:
        """The underlying pyoxigraph store (for callers that need the full API)."""
        return self._store

    @property
    def prefixes(self) -> dict[str, str]:
        """The prefixes later queries may use without declaring them."""
        return dict(self._prefixes)

    def __len__(self) -> int:
        return len(self._store)

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
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if self._max_input_bytes is not None and len(raw) > self._max_input_bytes:
            raise ValueError(f"RDF input is {len(raw)} bytes, over the {self._max_input_bytes}-byte cap")
        name = format_from_name(format)
        before = len(self._store)
        target = ox.NamedNode(graph) if graph else None
        try:
            self._store.load(raw, FORMATS[name], base_iri=base_iri, to_graph=target)
        except SyntaxError as exc:
            raise rdf_syntax_error(exc, name) from None
        return len(self._store) - before

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

    def ask(
        self, sparql: str, *, bindings: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> bool:
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
        subs = substitutions(bindings)

        def work(deadline: float) -> SelectResult | ConstructResult | bool:
            outcome: SelectResult | ConstructResult | bool = collect(self._run(sparql, subs), limit, deadline, timeout)
            return outcome

        return run_with_deadline(work, timeout)

    def _run(self, sparql: str, subs: dict[ox.Variable, Any] | None) -> Any:
        try:
            return self._store.query(sparql, prefixes=self._prefixes or None, substitutions=subs)
        except SyntaxError as exc:
            raise query_syntax_error(exc) from None
        except RuntimeError as exc:
            raise query_runtime_error(exc) from None
