"""A remote graph store over the SPARQL 1.1 Protocol (Oxigraph server, Apache Jena Fuseki, GraphDB...).

Queries are POSTed to ``query_endpoint`` and updates to ``update_endpoint`` with httpx; results stream
through pyoxigraph's parsers, so the row cap stops reading early and the deadline is checked between rows
(and bounds every network wait). Loads are parsed here first (syntax errors keep their line and column),
then sent as one ``INSERT DATA`` update. The protocol has no parameter for bindings: they travel as a
``VALUES`` block appended to the query, each value serialized by pyoxigraph's term writer (escaped N-Triples
syntax, so a value cannot change the query's structure).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
import pyoxigraph as ox

from ggen_graph.errors import (
    GraphNotFound,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    rdf_syntax_error,
)
from ggen_graph.formats import DATASET_FORMATS, FORMATS
from ggen_graph.prefixes import PrefixRegistry
from ggen_graph.rdfxml_prolog import refuse_entity_declarations
from ggen_graph.results import collect, collect_triples
from ggen_graph.settings import GraphSettings
from ggen_graph.sparql_guard import check_read_only_query, check_update
from ggen_graph.store_ops import COUNT, COUNT_ALL, COUNT_NAMED
from ggen_graph.terms import substitutions
from ggen_mcp_core import ToolError
from ggen_mcp_core.breaker import CircuitBreaker, backoff_delay

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
ANY_RESULT = f"{RESULTS_JSON}, {NTRIPLES}"
CONSTRUCT_ALL = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
FAILING_STATUSES = {502, 503, 504}  # the endpoint (or its proxy) is down or overloaded: counts for the breaker
T = TypeVar("T")


class EndpointFailing(StoreUnavailable):
    """The endpoint answered 502, 503 or 504."""


class _StreamReader(io.RawIOBase):
    """A file-like reader over an httpx byte stream, with a deadline between chunks."""

    def __init__(self, chunks: Iterator[bytes], deadline: float, timeout: float) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._deadline = deadline
        self._timeout = timeout

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            if time.monotonic() > self._deadline:
                raise QueryTimeout(self._timeout)
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class RemoteStore:
    """The graph tools' store operations against SPARQL 1.1 query and update endpoints."""

    kind = "sparql"

    def __init__(self, settings: GraphSettings, prefixes: PrefixRegistry) -> None:
        self.settings = settings
        self.prefixes = prefixes
        headers = {"User-Agent": "ggen-mcp-graph"}
        if settings.auth_header is not None:
            headers["Authorization"] = settings.auth_header.get_secret_value()
        self.client = httpx.Client(headers=headers, follow_redirects=False, trust_env=False)
        self.breaker = CircuitBreaker(
            str(settings.query_endpoint),
            settings.remote_breaker_threshold,
            settings.remote_breaker_reset,
            what="the SPARQL endpoint",
            unavailable=StoreUnavailable,
            dependency="sparql",  # ggen_mcp_breaker_state{dependency="sparql"}
        )

    # -- protocol -------------------------------------------------------------------------------------

    def _timeout(self, seconds: float) -> httpx.Timeout:
        return httpx.Timeout(seconds, connect=min(seconds, self.settings.connect_timeout))

    def _post_query(
        self, sparql: str, accept: str, graph: str | None, seconds: float, limit: int, typed: bool = True
    ) -> Any:
        params = {"default-graph-uri": graph} if graph is not None else None
        headers = {"Content-Type": "application/sparql-query", "Accept": accept}
        endpoint = str(self.settings.query_endpoint)

        def send() -> Any:
            deadline = time.monotonic() + seconds
            with self.client.stream(
                "POST",
                endpoint,
                content=sparql.encode("utf-8"),
                headers=headers,
                params=params,
                timeout=self._timeout(seconds),
            ) as response:
                _check(response, endpoint)
                reader = io.BufferedReader(_StreamReader(response.iter_bytes(), deadline, seconds))
                if _answers_triples(response, accept):
                    parsed: Any = ox.parse(input=reader, format=ox.RdfFormat.N_TRIPLES)
                    return collect_triples(_Triples(parsed), limit, deadline, seconds)
                parsed = ox.parse_query_results(input=reader, format=ox.QueryResultsFormat.JSON)
                return collect(parsed, limit, deadline, seconds, typed)

        return self._call(send, endpoint, seconds, "query")

    def _post_update(self, sparql: str, seconds: float, what: str = "update") -> None:
        endpoint = self.settings.update_endpoint
        if not endpoint:
            raise ToolError("this server has no graph.update_endpoint configured: the remote store is read-only")
        headers = {"Content-Type": "application/sparql-update"}

        def send() -> None:
            response = self.client.post(
                endpoint, content=sparql.encode("utf-8"), headers=headers, timeout=self._timeout(seconds)
            )
            _check(response, endpoint)

        self._call(send, endpoint, seconds, what)

    def _call(self, send: Callable[[], T], endpoint: str, seconds: float, what: str) -> T:
        """One request through the breaker. A connection that could not be made is retried with backoff
        (the request never reached the endpoint, so even an update is safe to send again); a timeout is the
        caller's deadline and is not retried. Unreachable endpoints and 502/503/504 answers count as
        failures for the breaker; any answer from the endpoint closes it."""
        breaker = self.breaker
        breaker.threshold, breaker.reset = self.settings.remote_breaker_threshold, self.settings.remote_breaker_reset
        breaker.before()
        attempt = 0
        while True:
            try:
                result = send()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                attempt += 1
                if attempt <= self.settings.remote_retries:
                    time.sleep(backoff_delay(attempt, self.settings.remote_backoff))
                    continue
                breaker.failure()
                raise StoreUnavailable(
                    f"the SPARQL endpoint {endpoint} could not be reached ({attempt} attempts): {exc}"
                ) from None
            except httpx.TimeoutException:
                raise QueryTimeout(seconds, what) from None
            except EndpointFailing:
                breaker.failure()
                raise
            except httpx.HTTPError as exc:
                breaker.failure()
                raise StoreUnavailable(f"the SPARQL endpoint {endpoint} could not be reached: {exc}") from None
            except SyntaxError as exc:
                raise StoreUnavailable(
                    f"the SPARQL endpoint {endpoint} sent results that do not parse: {exc}"
                ) from None
            except ToolError:  # the endpoint answered (a refused query, a deadline while reading): it is up
                breaker.success()
                raise
            breaker.success()
            return result

    def probe(self, seconds: float) -> str | None:
        """Why the endpoint cannot serve (unreachable, failing, refusing our credentials), or None when it
        answers ``ASK {}`` within ``seconds``. The probe bypasses an open breaker and feeds it, so the
        breaker closes as soon as the endpoint answers again."""
        endpoint = str(self.settings.query_endpoint)
        headers = {"Content-Type": "application/sparql-query", "Accept": RESULTS_JSON}
        try:
            response = self.client.post(endpoint, content=b"ASK {}", headers=headers, timeout=httpx.Timeout(seconds))
            _check(response, endpoint)
        except httpx.HTTPError as exc:
            self.breaker.failure()
            return f"the SPARQL endpoint {endpoint} could not be reached: {type(exc).__name__}: {exc}"
        except ToolError as exc:
            self.breaker.failure()
            return str(exc)
        self.breaker.success()
        return None

    def _prologue(self, sparql: str) -> str:
        """PREFIX lines for the recorded prefixes the text may use without declaring them.

        A prefix goes in when ``name:`` occurs anywhere in the text (a superset of the names it uses); the
        text's own declarations come later and win (SPARQL lets a later PREFIX redefine a name).
        """
        known = self.prefixes.read()
        return "".join(f"PREFIX {p}: <{known[p]}>\n" for p in sorted(known) if f"{p}:" in sparql)

    def _guarded_query(self, text: str) -> str:
        """The exact text sent to the query endpoint, after the SPARQL guard (the only layer a remote has)."""
        settings = self.settings
        check_read_only_query(
            text,
            allow_service=settings.allow_service,
            service_allowlist=settings.service_allowlist or None,
            max_nesting=settings.max_sparql_nesting,
            parse_bytes=settings.guard_parse_bytes,
            remote=True,
        )
        return text

    def _guarded_update(self, text: str) -> str:
        """The exact text sent to the update endpoint, after the SPARQL guard."""
        check_update(text, max_nesting=self.settings.max_sparql_nesting, parse_bytes=self.settings.guard_parse_bytes)
        return text

    # -- store operations -------------------------------------------------------------------------------

    def _query(
        self,
        *,
        sparql: str,
        limit: int,
        graph: str | None = None,
        bindings: dict[str, str] | None = None,
        typed: bool = True,
    ) -> Any:
        text = self._guarded_query(self._prologue(sparql) + sparql + _values_block(bindings))
        result = self._post_query(text, ANY_RESULT, graph, self.settings.query_timeout, limit, typed)
        if graph is not None and not _has_rows(result) and not self._graph_exists(graph):
            raise GraphNotFound(f"graph {graph!r} does not exist; {self._known()}")
        return result

    def _update(self, *, sparql: str) -> dict[str, int]:
        text = self._guarded_update(self._prologue(sparql) + sparql)
        before = self._count_all()
        self._post_update(text, self.settings.update_timeout)
        return {"before": before, "after": self._count_all()}

    def _load(
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
        dataset = format in DATASET_FORMATS
        if dataset and (graph is not None or replace):
            raise ToolError(f"{format} names its own graphs: load it without graph and replace")
        raw = data if data is not None else _read(path, self.settings.max_remote_load_bytes)
        if len(raw) > self.settings.max_remote_load_bytes:
            raise ToolError(
                f"the input is {len(raw)} bytes; a remote store takes at most "
                f"{self.settings.max_remote_load_bytes} bytes per load (graph.max_remote_load_bytes)"
            )
        body = _insert_data(raw, format, graph, base_iri)
        before = self._count_all() if dataset else self._count(graph)
        clear = (f"DROP SILENT GRAPH <{graph}> ;\n" if graph else "CLEAR SILENT DEFAULT ;\n") if replace else ""
        self._post_update(clear + body, self.settings.load_timeout, "load")
        after = self._count_all() if dataset else self._count(graph)
        return {"triples_added": after - (0 if replace else before), "graph_size": after}

    def _export(self, *, format: str, max_bytes: int, graph: str | None = None) -> dict[str, Any]:
        scratch = ox.Store()
        cap = self.settings.max_copy_triples
        names: list[str | None] = [graph]
        if graph is None and format in DATASET_FORMATS:
            names += [name for name, _ in self._graphs() if name is not None]
        elif graph is not None and not self._graph_exists(graph):
            raise GraphNotFound(f"graph {graph!r} does not exist; {self._known()}")
        for name in names:
            fetched = self._post_query(CONSTRUCT_ALL, NTRIPLES, name, self.settings.load_timeout, cap + 1)
            if fetched.truncated:
                raise ToolError(f"graph {name or 'default'} has more than {cap} triples (graph.max_copy_triples)")
            target = ox.NamedNode(name) if name is not None else None
            scratch.load(fetched.ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=target)
        options: dict[str, Any] = {"format": FORMATS[format]}
        if graph is not None or format not in DATASET_FORMATS:
            options["from_graph"] = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if format in {"turtle", "trig", "rdfxml"}:
            options["prefixes"] = self.prefixes.read()
        out = scratch.dump(**options)
        assert out is not None
        return {"data": out[:max_bytes], "total_bytes": len(out), "triples": len(scratch)}

    def _count(self, graph: str | None = None) -> int:
        result = self._post_query(COUNT, RESULTS_JSON, graph, self.settings.query_timeout, 1)
        return int(result.rows[0][0] or 0) if result.rows else 0

    def _count_all(self) -> int:
        result = self._post_query(COUNT_ALL, RESULTS_JSON, None, self.settings.query_timeout, 1)
        return int(result.rows[0][0] or 0) if result.rows else 0

    def _graphs(self) -> list[tuple[str | None, int]]:
        result = self._post_query(COUNT_NAMED, RESULTS_JSON, None, self.settings.query_timeout, 1_000_000)
        named = sorted((str(g), int(n or 0)) for g, n in result.rows)
        return [(None, self._count(None)), *named]

    def _clear(self, *, graph: str | None = None) -> int:
        if graph is not None and not self._graph_exists(graph):
            raise GraphNotFound(f"graph {graph!r} does not exist; {self._known()}")
        removed = self._count(graph)
        update = f"DROP SILENT GRAPH <{graph}>" if graph else "CLEAR SILENT DEFAULT"
        self._post_update(update, self.settings.update_timeout)
        return removed

    def close(self) -> None:
        self.client.close()

    # -- the async GraphStore interface: each blocking operation in a worker thread ----------------------

    async def query(self, **kwargs: Any) -> Any:
        return await _in_thread(self._query, kwargs)

    async def update(self, **kwargs: Any) -> dict[str, int]:
        return await _in_thread(self._update, kwargs)  # type: ignore[no-any-return]

    async def load(self, **kwargs: Any) -> dict[str, int]:
        return await _in_thread(self._load, kwargs)  # type: ignore[no-any-return]

    async def export(self, **kwargs: Any) -> dict[str, Any]:
        return await _in_thread(self._export, kwargs)  # type: ignore[no-any-return]

    async def count(self, graph: str | None = None) -> int:
        return await _in_thread(self._count, {"graph": graph})  # type: ignore[no-any-return]

    async def graphs(self) -> list[tuple[str | None, int]]:
        return await _in_thread(self._graphs, {})  # type: ignore[no-any-return]

    async def clear(self, **kwargs: Any) -> int:
        return await _in_thread(self._clear, kwargs)  # type: ignore[no-any-return]

    def _graph_exists(self, graph: str) -> bool:
        return any(name == graph for name, _ in self._graphs())

    def _known(self) -> str:
        names = [name for name, _ in self._graphs() if name is not None]
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        return f"named graphs: {shown}" if names else "the store has no named graphs"


async def _in_thread(func: Any, kwargs: dict[str, Any]) -> Any:
    return await anyio.to_thread.run_sync(partial(func, **kwargs), abandon_on_cancel=True)


class _Triples:
    """Quads parsed from N-Triples, iterated as the triples ``collect`` serializes."""

    def __init__(self, quads: Any) -> None:
        self._quads = quads

    def __iter__(self) -> Iterator[Any]:
        for quad in self._quads:
            yield quad.triple


def _answers_triples(response: httpx.Response, accept: str) -> bool:
    """Whether the endpoint sent triples (CONSTRUCT, DESCRIBE) rather than SPARQL results (SELECT, ASK):
    the response's content type says, so the query form need not be read from the text."""
    if accept != ANY_RESULT:
        return accept == NTRIPLES
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in {NTRIPLES, "text/plain"}


def _has_rows(result: Any) -> bool:
    if isinstance(result, bool):
        return result
    return bool(getattr(result, "count", 0))


def _values_block(bindings: dict[str, str] | None) -> str:
    subs = substitutions(bindings)
    if not subs:
        return ""
    names = " ".join(f"?{var.value}" for var in subs)
    values = " ".join(str(term) for term in subs.values())
    return f"\nVALUES ({names}) {{ ({values}) }}"


def _insert_data(raw: bytes, format: str, graph: str | None, base_iri: str | None) -> str:
    """An ``INSERT DATA`` update holding the parsed input, grouped by graph."""
    groups: dict[str | None, list[str]] = {}
    if format == "rdfxml":
        refuse_entity_declarations(data=raw)
    try:
        for quad in ox.parse(input=raw, format=FORMATS[format], base_iri=base_iri):
            name = graph if graph is not None else _graph_name(quad.graph_name)
            groups.setdefault(name, []).append(f"{quad.triple} .")
    except SyntaxError as exc:
        raise rdf_syntax_error(exc, format) from None
    parts = []
    for name, lines in groups.items():
        block = "\n".join(lines)
        parts.append(f"GRAPH <{name}> {{\n{block}\n}}" if name else block)
    return "INSERT DATA {\n" + "\n".join(parts) + "\n}"


def _graph_name(node: Any) -> str | None:
    return node.value if isinstance(node, ox.NamedNode) else None


def _read(path: str | None, cap: int) -> bytes:
    if path is None:
        raise ToolError("nothing to load: give file or content")
    with open(path, "rb") as handle:
        return handle.read(cap + 1)


def _check(response: httpx.Response, endpoint: str) -> None:
    if response.status_code < 400:
        return
    response.read()
    text = response.text.strip()[:2000]
    if response.status_code == 400:
        raise QuerySyntaxError(f"the SPARQL endpoint refused the request: {text}")
    if response.status_code in {401, 403}:
        raise StoreUnavailable(f"the SPARQL endpoint {endpoint} refused our credentials ({response.status_code})")
    if response.status_code in FAILING_STATUSES:
        raise EndpointFailing(f"the SPARQL endpoint {endpoint} answered {response.status_code}: {text}")
    raise StoreUnavailable(f"the SPARQL endpoint {endpoint} answered {response.status_code}: {text}")
