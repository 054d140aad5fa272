"""The graph pack's errors: each is a ``ToolError``, so the client gets a clear ``isError`` result."""

from __future__ import annotations

import re

from ggen_mcp_core import ToolError

_LINE_COL = re.compile(r"\b(?:at|line)\s+(\d+)(?::(\d+)|\D+?columns?\s+(\d+))")


class RdfSyntaxError(ToolError):
    """RDF text the parser refused; ``line`` and ``column`` come from the parser when it knows them."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}" if where and "line" not in message else message)


class QuerySyntaxError(ToolError):
    """A SPARQL query or update the parser refused, with the parser's line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"SPARQL syntax error{where}: {message}")


class QueryRefused(ToolError):
    """A query or update using a clause this server does not run (updates, SERVICE, LOAD, FROM...)."""


class QueryTimeout(ToolError):
    """A query that did not finish within its deadline."""

    def __init__(self, seconds: float, what: str = "query") -> None:
        self.seconds = seconds
        self.what = what
        hint = (
            "narrow the patterns, add LIMIT, or ask the operator for a longer graph.query_timeout"
            if what == "query"
            else f"ask the operator for a longer deadline for this {what}"
        )
        super().__init__(f"{what} exceeded {seconds:g} s and was stopped; {hint}")


class GraphNotFound(ToolError):
    """A named graph that holds no triples."""


def line_and_column(exc: BaseException) -> tuple[int | None, int | None]:
    """The line and column a pyoxigraph ``SyntaxError`` carries, from its fields or its message."""
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "offset", None)
    if line is not None:
        return int(line), int(column) if column is not None else None
    match = _LINE_COL.search(str(exc))
    if not match:
        return None, None
    col = match.group(2) or match.group(3)
    return int(match.group(1)), int(col) if col else None


def rdf_syntax_error(exc: BaseException, what: str = "RDF") -> RdfSyntaxError:
    """Turn a pyoxigraph parse error into an :class:`RdfSyntaxError` with a message a person can act on."""
    text = str(exc.args[0]) if exc.args else str(exc)
    if "LoadDocumentCallback" in text or "remote context" in text:
        text = "JSON-LD remote @context documents are never fetched; inline the @context in the document"
    elif "ENTITY" in text:
        text = f"RDF/XML entity declarations are not supported (external entities are never resolved): {text}"
    line, column = line_and_column(exc)
    return RdfSyntaxError(f"{what} syntax error: {text}", line, column)


def query_runtime_error(exc: RuntimeError) -> ToolError:
    """A clear error for pyoxigraph's runtime refusals (a binding outside the SELECT projection...)."""
    text = str(exc)
    if "SELECT projection" in text:
        return QueryRefused(f"{text}: a bound variable must be selected (add it to SELECT, or use SELECT *)")
    return ToolError(f"the query failed: {text}")


def query_syntax_error(exc: BaseException, sparql: str | None = None) -> QuerySyntaxError:
    """Turn a pyoxigraph SPARQL parse error into a :class:`QuerySyntaxError` a person can act on: the
    position once (as line and column), an unknown prefix named, no lists of Unicode ranges."""
    text = str(exc.args[0]) if exc.args else str(exc)
    line, column = line_and_column(exc)
    text = _AT_POSITION.sub("", text, count=1)
    if "Prefix not found" in text:
        return QuerySyntaxError(_unknown_prefix(sparql, line, column), line, column)
    misplaced = _misplaced_form(sparql) if sparql is not None else None
    if misplaced is not None:
        word, line, column = misplaced
        forms = "SELECT, ASK, CONSTRUCT or DESCRIBE (an update: INSERT, DELETE, ...)"
        return QuerySyntaxError(f"`{word}` is no SPARQL form: start with {forms} after any PREFIX lines", line, column)
    expected = text.removeprefix("expected one of ").removeprefix("expected ")
    if text.startswith("expected") and line is not None and column is not None and sparql is not None:
        found = _word_at(sparql, line, column)
        shown = _expected(expected)
        text = f"expected {shown}" + (f", found `{found}`" if found else ", found the end of the text")
    return QuerySyntaxError(text, line, column)


_AT_POSITION = re.compile(r"^error at \d+:\d+:\s*")
_CHAR_CLASS = re.compile(r"\[[^\]]*\]")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^,\s][^,]*')
_PROLOGUE = re.compile(r"^(?:\s|#[^\n]*\n|(?i:prefix)\s+[^\s:]*:\s*<[^>]*>|(?i:base)\s*<[^>]*>)*")
_QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "PREFIX", "BASE")
_UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
_FORMS = frozenset(_QUERY_FORMS + _UPDATE_FORMS)
MAX_EXPECTED = 8


def _expected(listed: str) -> str:
    """The parser's list of expected tokens, without character classes, at most a few of them."""
    names = [name.strip() for name in _TOKEN.findall(listed)]
    kept = [name for name in names if name and not name.startswith("[") and name != "Prefix not found"]
    if not kept:
        return "something else here"
    more = " ..." if len(kept) > MAX_EXPECTED else ""
    return ", ".join(kept[:MAX_EXPECTED]) + more


def _misplaced_form(sparql: str) -> tuple[str, int, int] | None:
    """The first keyword, its line and column, when it is no query or update form (``SELEC``), else None."""
    prologue = _PROLOGUE.match(sparql)
    start = prologue.end() if prologue else 0
    word = re.match(r"[A-Za-z]+", sparql[start:])
    if word is None or word.group(0).upper() in _FORMS:
        return None
    line = sparql.count("\n", 0, start) + 1
    return word.group(0), line, start - (sparql.rfind("\n", 0, start) + 1) + 1


def _offset(sparql: str, line: int, column: int) -> int | None:
    lines = sparql.split("\n")
    if not 1 <= line <= len(lines):
        return None
    return sum(len(text) + 1 for text in lines[: line - 1]) + max(column - 1, 0)


def _word_at(sparql: str, line: int, column: int) -> str:
    """The word (or character) at a parser position, for the message."""
    offset = _offset(sparql, line, column)
    if offset is None or offset >= len(sparql):
        return ""
    word = re.match(r"[^\s{}()<>.;,]+|\S", sparql[offset:])
    return word.group(0)[:40] if word else ""


def _unknown_prefix(sparql: str | None, line: int | None, column: int | None) -> str:
    """The message for a prefixed name whose prefix nobody declared."""
    hint = "declare it with a PREFIX line, or load a file that declares it"
    if sparql is None or line is None or column is None:
        return f"unknown prefix; {hint}"
    offset = _offset(sparql, line, column)
    before = sparql[:offset] if offset is not None else ""
    name = re.search(r"([A-Za-z][\w.-]*)?:[^\s{}()<>;,]*$", before)
    prefix = f"`{name.group(1) or ''}:`" if name else "a prefix"
    return f"unknown prefix {prefix}; {hint}"


class StoreUnavailable(ToolError):
    """The store could not be opened or reached, or its worker ended while a call ran."""


class WorkerCrashed(StoreUnavailable):
    """The worker process ended on its own while this call ran: ``cause`` says how, ``memory`` whether it ran
    out of memory, ``in_flight`` how many calls it was running (this one included), ``started`` whether this
    call (a write) had begun to change the store (a write still waiting for the write lock had not)."""

    def __init__(self, cause: str, *, memory: bool, in_flight: int, started: bool = True) -> None:
        self.cause = cause
        self.memory = memory
        self.in_flight = in_flight
        self.started = started
        super().__init__(f"the graph worker ended while this call ran ({cause})")


class GraphGone(ToolError):
    """A template graph the worker no longer holds (evicted, or lost with a restarted worker)."""


class ResourceLimitExceeded(ToolError):
    """A call that made a graph worker exceed its memory limit, or ended it (a parser stack overflow)."""


_WIRE_TYPES: dict[str, type[ToolError]] = {
    cls.__name__: cls
    for cls in (
        RdfSyntaxError,
        QuerySyntaxError,
        QueryRefused,
        GraphNotFound,
        StoreUnavailable,
        GraphGone,
        ResourceLimitExceeded,
        ToolError,
    )
}


def to_wire(exc: BaseException) -> tuple[str, str, int | None, int | None]:
    """An exception as plain values, to cross a process boundary."""
    if isinstance(exc, RdfSyntaxError | QuerySyntaxError):
        return type(exc).__name__, exc.message, exc.line, exc.column
    if isinstance(exc, QueryTimeout):
        return "QueryTimeout", f"{exc.seconds}|{exc.what}", None, None
    name = type(exc).__name__ if type(exc).__name__ in _WIRE_TYPES else "ToolError"
    if not isinstance(exc, ToolError):
        return "ToolError", f"the graph store failed: {type(exc).__name__}: {exc}", None, None
    return name, str(exc), None, None


def from_wire(kind: str, message: str, line: int | None, column: int | None) -> ToolError:
    """The exception :func:`to_wire` described."""
    if kind == "QueryTimeout":
        seconds, _, what = message.partition("|")
        return QueryTimeout(float(seconds), what or "query")
    if kind == "RdfSyntaxError":
        return RdfSyntaxError(message, line, column)
    if kind == "QuerySyntaxError":
        return QuerySyntaxError(message, line, column)
    return _WIRE_TYPES.get(kind, ToolError)(message)
