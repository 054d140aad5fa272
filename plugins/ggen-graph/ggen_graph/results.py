"""Query results as plain Python values, collected from pyoxigraph with a row cap and a deadline."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ggen_graph.errors import QueryTimeout
from ggen_graph.terms import TypedValue, plain_value, typed_value


@dataclass
class SelectResult:
    """SELECT solutions: ``rows`` keyed by bare variable name; ``typed_rows`` keep datatype and language."""

    variables: list[str]
    rows: list[dict[str, str | None]] = field(default_factory=list)
    typed_rows: list[dict[str, TypedValue | None]] = field(default_factory=list)
    truncated: bool = False

    @property
    def count(self) -> int:
        """The number of rows returned (after the cap)."""
        return len(self.rows)


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

    ``typed=False`` leaves ``typed_rows`` empty (callers that only want the plain values save the work).
    """
    variables = [v.value for v in solutions.variables]
    result = SelectResult(variables)
    rows, typed_rows = result.rows, result.typed_rows
    for solution in solutions:
        if len(rows) >= limit:
            result.truncated = True
            break
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout(timeout)
        terms = list(solution)
        rows.append({name: plain_value(term) for name, term in zip(variables, terms, strict=True)})
        if typed:
            typed_rows.append({name: typed_value(term) for name, term in zip(variables, terms, strict=True)})
    return result


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
