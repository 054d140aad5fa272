"""A template's graph: front-matter RDF loaded into an in-memory store, and the SPARQL the body sees.

Each render gets its own :class:`TemplateGraph` over a ``ggen_graph.engine.MemoryGraph`` (whose store lives
in the graph pack's template-graph worker, a process without network; every source goes there in one
round trip): ``prefixes``
and ``base`` apply to inline Turtle and to every query, ``rdf`` files are read relative to the template's
folder (inside the workspace), ``rdf_inline`` snippets are loaded after them, a named graph of the
workspace store is copied in when the template asks for one, and the front-matter ``sparql`` queries
become ``sparql_results.<name>``. Rows are keyed by bare variable name with values as ``graph_query``
gives them (IRIs as their IRI string, literals as their lexical form).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ggen_mcp_core import ToolError
from ggen_template.errors import TemplateError
from ggen_template.sandbox import register_row_type

if TYPE_CHECKING:
    from ggen_graph.engine import MemoryGraph

    from ggen_template.frontmatter import FrontMatter
    from ggen_template.settings import TemplateSettings

TURTLE_FAMILY = frozenset({"turtle", "trig"})
QueryResult = list["Row"] | bool


@register_row_type
class Row(dict[str, Any]):
    """A SPARQL solution: ``row.name`` and ``row["name"]`` read the variable ``?name``.

    In templates a variable wins over a dict method of the same name, so ``row.values`` is ``?values``
    when the query selects it (the sandbox's ``getattr`` does this). ``row["?name"]`` works too (ggen's
    rows were keyed with the ``?``).
    """

    def __missing__(self, key: str) -> Any:
        if isinstance(key, str) and key.startswith("?") and dict.__contains__(self, key[1:]):
            return dict.__getitem__(self, key[1:])
        raise KeyError(key)


@dataclass
class _Loaded:
    graph: MemoryGraph
    results: dict[str, QueryResult] = field(default_factory=dict)


class GraphCache:
    """Loaded graphs by digest of everything that went into them, with their query results (LRU).

    A template graph is read-only once loaded (queries are checked read-only and templates cannot change
    rows), so the templates of a set, and later calls, share the parse and the queries of identical RDF.
    """

    def __init__(self, size: int = 8, max_triples: int = 2_000_000) -> None:
        self._size = size
        self._max_triples = max_triples
        self._entries: OrderedDict[str, _Loaded] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], MemoryGraph]) -> _Loaded:
        """The entry for ``key``, loading it with ``load()`` on a miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        entry = _Loaded(load())
        if len(entry.graph) <= self._max_triples:
            with self._lock:
                self._entries[key] = entry
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        """Forget every graph."""
        with self._lock:
            self._entries.clear()


GRAPH_CACHE = GraphCache()


class TemplateGraph:
    """The RDF of one render and the queries run against it; RDF is parsed once, on first use."""

    def __init__(
        self,
        front_matter: FrontMatter,
        settings: TemplateSettings,
        *,
        name: str,
        cache: GraphCache | None = GRAPH_CACHE,
    ) -> None:
        self.front_matter = front_matter
        self.settings = settings
        self.name = name
        self.prefixes = dict(front_matter.prefixes)
        self.base = front_matter.base
        self._cache = cache
        self._sources: list[tuple[str, str, str]] = []
        self._loaded: _Loaded | None = None

    @property
    def graph(self) -> MemoryGraph:
        """The in-memory store with every source loaded (parsed on first use, or shared from the cache)."""
        return self._entry().graph

    def ensure_loaded(self) -> None:
        """Parse the sources now, so RDF syntax errors surface before queries run."""
        self._entry()

    def _entry(self) -> _Loaded:
        if self._loaded is None:
            if self._cache is None:
                self._loaded = _Loaded(self._load_all())
            else:
                self._loaded = self._cache.get(self._digest(), self._load_all)
        return self._loaded

    def _digest(self) -> str:
        digest = hashlib.sha256()
        for part in (self._turtle_header(), self.base or "", *(x for source in self._sources for x in source[:2])):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()

    def _load_all(self) -> MemoryGraph:
        from ggen_graph.engine import InputRejected, MemoryGraph, RdfInput

        graph = MemoryGraph(max_input_bytes=self.settings.max_rdf_bytes)
        graph.add_prefixes(self.prefixes)
        inputs = [RdfInput(self._header_for(fmt) + text, fmt, self.base) for text, fmt, _ in self._sources]
        try:
            graph.load_many(inputs, timeout=self.settings.query_timeout * 6)
        except InputRejected as rejected:
            _, fmt, label = self._sources[rejected.index]
            raise self._load_error(rejected.error, label, self._header_for(fmt)) from None
        except ToolError as exc:  # the worker ended or overran the deadline
            raise TemplateError(f"loading the template's RDF: {exc}", template=self.name) from None
        return graph

    def load_front_matter(
        self,
        template_dir: Path,
        read_file: Callable[[Path], str],
        store_graph: Callable[[str], str] | None = None,
        *,
        graph_given: bool = False,
    ) -> None:
        """Add ``graph`` (from the workspace store), ``rdf`` files, then ``rdf_inline`` snippets; the
        ``rdf_example`` files only when no graph is given (``graph_given``: the call named one)."""
        fm = self.front_matter
        if fm.graph and store_graph is not None:
            self._add(store_graph(fm.graph), "ntriples", f"workspace graph {fm.graph!r}")
        examples = [] if graph_given or fm.graph else fm.rdf_example
        for reference in [*fm.rdf, *examples]:
            path = template_dir / reference
            self._add(read_file(path), self._format_of(reference), f"rdf file {reference!r}")
        for index, snippet in enumerate(fm.rdf_inline):
            self.load_turtle(snippet, f"rdf_inline[{index}]")

    def load_turtle(self, snippet: str, label: str) -> None:
        """Add a Turtle snippet (the front matter's prefixes apply)."""
        self._add(snippet, "turtle", label)

    def load_store_graph(self, ntriples: str, label: str) -> None:
        """Add triples exported from the workspace store (N-Triples)."""
        self._add(ntriples, "ntriples", label)

    def _add(self, text: str, fmt: str, label: str) -> None:
        if self._loaded is not None:
            raise RuntimeError("the graph is already loaded")
        self._sources.append((text, fmt, label))

    def _format_of(self, reference: str) -> str:
        from ggen_graph.engine import format_from_name

        try:
            return str(format_from_name(None, reference))
        except ValueError as exc:
            raise TemplateError(str(exc), template=self.name) from None

    def _header_for(self, fmt: str) -> str:
        return self._turtle_header() if fmt in TURTLE_FAMILY else ""

    def _load_error(self, error: Exception, label: str, header: str) -> TemplateError:
        if isinstance(error, ToolError):
            return TemplateError(f"{label}: {_shift_lines(error, header)}", template=self.name)
        return TemplateError(f"{label}: {error}", template=self.name)

    def _turtle_header(self) -> str:
        return "".join(f"@prefix {p.rstrip(':')}: <{iri}> .\n" for p, iri in self.prefixes.items())

    def run_front_matter_queries(self) -> dict[str, QueryResult]:
        """Run every front-matter query: ``{name: rows or bool}``."""
        return {
            name: self.run(query, label=f"sparql query {name!r}") for name, query in self.front_matter.sparql.items()
        }

    def run(self, sparql: str, *, label: str = "sparql()") -> QueryResult:
        """Run a SELECT (rows) or ASK (bool) query with the template's prefixes and base."""
        entry = self._entry()
        text = f"BASE <{self.base}>\n{sparql}" if self.base else sparql
        cached = entry.results.get(text)
        if cached is None:
            cached = self._query(entry.graph, text, label)
            entry.results[text] = cached
        return cached

    def _query(self, graph: MemoryGraph, text: str, label: str) -> QueryResult:
        from ggen_graph.engine import SelectResult

        try:
            result = graph.query(text, limit=self.settings.query_limit, timeout=self.settings.query_timeout)
        except ToolError as exc:
            raise TemplateError(f"{label}: {exc}", template=self.name) from None
        if isinstance(result, bool):
            return result
        if not isinstance(result, SelectResult):
            raise TemplateError(
                f"{label}: only SELECT and ASK queries feed templates (this is CONSTRUCT or DESCRIBE)",
                template=self.name,
            )
        if result.truncated:
            raise TemplateError(
                f"{label}: more than {self.settings.query_limit} rows (template.query_limit); narrow the query",
                template=self.name,
            )
        return [Row(record) for record in result.records()]


def _shift_lines(exc: ToolError, header: str) -> str:
    """The error text, with the line number moved back past the prefix lines we prepended."""
    shift = header.count("\n")
    line = getattr(exc, "line", None)
    if not shift or line is None:
        return str(exc)
    return str(exc).replace(f"line {line}", f"line {max(line - shift, 1)}")


def local(iri: Any) -> str:
    """``local("<http://ex.org/ns#Book>")`` -> ``Book``: the text after the last ``#`` or ``/``.

    An IRI without either (``urn:isbn:123``, ``ex:Book``) gives the text after its last ``:``.
    """
    text = str(iri).strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    cut = max(text.rfind("#"), text.rfind("/"))
    if cut < 0:
        cut = text.rfind(":")
    return text[cut + 1 :]


def _column_value(row: Any, column: str) -> tuple[bool, Any]:
    if not isinstance(row, Mapping):
        return False, None
    bare = column[1:] if column.startswith("?") else column
    for key in (bare, f"?{bare}"):
        if dict.__contains__(row, key) if isinstance(row, dict) else key in row:
            return True, row[key]
    return False, None


def sparql_column(results: Any, column: str) -> list[Any]:
    """The values of ``column`` (``name`` or ``?name``) in every row that has it."""
    if not isinstance(results, list):
        return []
    values = []
    for row in results:
        found, value = _column_value(row, str(column))
        if found:
            values.append(value)
    return values


def sparql_values(results: Any, column: str) -> list[Any]:
    """Same as :func:`sparql_column` (ggen's name for it)."""
    return sparql_column(results, column)


def sparql_row(results: Any, index: int) -> Any:
    """Row number ``index`` (0-based), or None."""
    if isinstance(results, list) and isinstance(index, int) and -len(results) <= index < len(results):
        return results[index]
    return None


def sparql_first(results: Any, column: str) -> Any:
    """The value of ``column`` in the first row, or ``""``."""
    if isinstance(results, list) and results:
        found, value = _column_value(results[0], str(column))
        if found:
            return value
    return ""


def sparql_empty(results: Any) -> bool:
    """True for an empty result list (an ASK result is never empty)."""
    if isinstance(results, bool):
        return False
    return not (isinstance(results, list) and results)


def sparql_count(results: Any) -> int:
    """The number of rows (an ASK result counts as 1)."""
    if isinstance(results, bool):
        return 1
    return len(results) if isinstance(results, list) else 0


FUNCTION_NAMES = (
    "sparql",
    "local",
    "sparql_column",
    "sparql_row",
    "sparql_first",
    "sparql_values",
    "sparql_empty",
    "sparql_count",
)


def body_functions(graph: TemplateGraph, named: Mapping[str, QueryResult]) -> dict[str, Callable[..., Any]]:
    """The functions a template body may call: ``sparql``, ``local`` and the ``sparql_*`` helpers.

    ``sparql(query=..., var=...)`` runs SPARQL against the template's graph (or returns the result of the
    front-matter query of that name); with ``var`` it returns that variable in the first row, or ``""``.
    """

    def sparql(query: str, var: str | None = None) -> Any:
        text = str(query)
        result = named[text] if text in named else graph.run(text)
        if var is None:
            return result
        return sparql_first(result, str(var))

    return {
        "sparql": sparql,
        "local": local,
        "sparql_column": sparql_column,
        "sparql_row": sparql_row,
        "sparql_first": sparql_first,
        "sparql_values": sparql_values,
        "sparql_empty": sparql_empty,
        "sparql_count": sparql_count,
    }
