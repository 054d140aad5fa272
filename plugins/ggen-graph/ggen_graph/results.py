"""Query results in their final JSON form, collected from pyoxigraph with a row cap and a deadline.

A SELECT result is compact: ``variables`` once, then each row an array of values in that order (strings, or
None for unbound), so a variable's name is never repeated per row. The store worker builds the rows in this
form once; the server passes them on as they are (no per-row work on its side) and knows their JSON size from
``rows_json_bytes`` without walking them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ggen_graph.errors import QueryTimeout
from ggen_graph.terms import typed_value

Row = list[str | None]
TypedCell = dict[str, str] | None  # {"value", "type", and "datatype" or "language" for literals}


@dataclass
class SelectResult:
    """SELECT solutions: ``rows`` are arrays in the order of ``variables``; ``typed_rows`` (when asked for) the
    same cells as ``{value, type, datatype | language}`` objects. ``rows_json_bytes`` is the UTF-8 size of
    ``rows`` (and ``typed_json_bytes`` of ``typed_rows``) as compact JSON, see :func:`indented_size`."""

    variables: list[str]
    rows: list[Row] = field(default_factory=list)
    typed_rows: list[list[TypedCell]] | None = None
    truncated: bool = False
    rows_json_bytes: int = 0
    typed_json_bytes: int = 0
    variables_json_bytes: int = 2

    def json_size_bound(self, typed: bool) -> int:
        """An upper bound of the bytes of ``variables``, ``rows`` and (with ``typed``) ``typed_rows`` in the
        tool's result (their indented size, which bounds the compact text the host writes), with no walk of
        the rows."""
        columns = len(self.variables)
        bound = self.variables_json_bytes + 5 * columns + 3 + indented_size(self.rows_json_bytes, self.count, columns)
        if typed and self.typed_rows is not None:
            bound += typed_size_bound(self.typed_json_bytes, self.count, columns)
        return bound

    @property
    def count(self) -> int:
        """The number of rows returned (after the cap)."""
        return len(self.rows)

    def records(self) -> list[dict[str, str | None]]:
        """The rows as objects keyed by variable name (for library callers such as templates)."""
        names = self.variables
        return [dict(zip(names, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[str | None]:
        """The values of one variable, row by row."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]


@dataclass
class ConstructResult:
    """CONSTRUCT or DESCRIBE triples as N-Triples text."""

    ntriples: str
    count: int
    truncated: bool = False


def collect_select(
    solutions: ox.QuerySolutions,
    limit: int,
    deadline: float | None = None,
    timeout: float = 0.0,
    typed: bool = True,
) -> SelectResult:
    """Read at most ``limit`` solutions; ``truncated`` tells whether more were available.

    ``typed=False`` leaves ``typed_rows`` None (callers that only want the plain values save the work).
    """
    result = SelectResult([v.value for v in solutions.variables])
    rows = result.rows
    typed_rows: list[list[TypedCell]] = []
    blank, triple = ox.BlankNode, ox.Triple
    check = deadline is not None
    for solution in solutions:
        if len(rows) >= limit:
            result.truncated = True
            break
        if check and time.monotonic() > deadline:  # type: ignore[operator]
            raise QueryTimeout(timeout)
        terms = list(solution)
        # IRIs and literals by their value, blank nodes as _:id, a quoted triple as its text (terms.plain_value)
        rows.append(
            [
                None if t is None else f"_:{t.value}" if type(t) is blank else str(t) if type(t) is triple else t.value
                for t in terms
            ]
        )
        if typed:
            typed_rows.append([_typed_cell(t) for t in terms])
    result.rows_json_bytes = json_bytes(rows)
    result.variables_json_bytes = json_bytes(result.variables)
    if typed:
        result.typed_rows = typed_rows
        result.typed_json_bytes = json_bytes(typed_rows)
    return result


def _typed_cell(term: Any) -> TypedCell:
    value = typed_value(term)
    return value.as_dict() if value is not None else None


def json_bytes(value: Any) -> int:
    """UTF-8 bytes of ``value`` as compact JSON (no spaces), escaped as the host's encoder escapes."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def indented_size(compact: int, rows: int, columns: int) -> int:
    """Bytes of a top-level field's array of ``rows`` arrays of ``columns`` values written with ``indent=2``,
    from its compact size: a newline and the indentation before every item and every closing bracket."""
    if rows == 0:
        return compact
    return compact + rows * 5 + 3 + (rows * (columns * 7 + 5) if columns else 0)


def typed_size_bound(compact: int, rows: int, columns: int) -> int:
    """An upper bound of :func:`indented_size` for ``typed_rows``: each cell an object of at most three keys,
    each written on its own line (a newline, eight spaces, a space after the colon) and its closing brace on
    another (a newline, six spaces)."""
    return indented_size(compact, rows, columns) + rows * columns * (3 * 10 + 7)


def collect_triples(
    triples: Iterable[Any], limit: int, deadline: float | None = None, timeout: float = 0.0
) -> ConstructResult:
    """Serialize at most ``limit`` triples as N-Triples."""
    lines: list[str] = []
    truncated = False
    for triple in triples:
        if len(lines) >= limit:
            truncated = True
            break
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout(timeout)
        lines.append(f"{getattr(triple, 'triple', triple)} .")
    text = "\n".join(lines) + ("\n" if lines else "")
    return ConstructResult(text, len(lines), truncated)


def collect(result: Any, limit: int, deadline: float | None = None, timeout: float = 0.0, typed: bool = True) -> Any:
    """A ``SelectResult``, ``ConstructResult`` or ``bool`` for any pyoxigraph query result."""
    if isinstance(result, ox.QuerySolutions):
        return collect_select(result, limit, deadline, timeout, typed)
    if isinstance(result, ox.QueryTriples):
        return collect_triples(result, limit, deadline, timeout)
    return bool(result)
