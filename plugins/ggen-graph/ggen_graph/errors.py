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

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"query exceeded {seconds:g} s (the graph.query_timeout deadline); "
            "narrow the patterns, add LIMIT, or ask the operator for a longer deadline"
        )


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


def query_syntax_error(exc: BaseException) -> QuerySyntaxError:
    """Turn a pyoxigraph SPARQL parse error into a :class:`QuerySyntaxError`."""
    text = str(exc.args[0]) if exc.args else str(exc)
    line, column = line_and_column(exc)
    return QuerySyntaxError(text, line, column)
