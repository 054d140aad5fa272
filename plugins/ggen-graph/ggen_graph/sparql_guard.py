"""A SPARQL lexer that finds the clauses a read-only query tool must refuse, before anything runs.

pyoxigraph follows ``SERVICE`` and ``LOAD`` over HTTP and has no switch to turn that off from Python, so
the text is checked first. The lexer skips comments, string literals and IRIs, so a keyword inside
``"..."`` or ``<...>`` is not mistaken for a clause, and a clause outside them is always seen.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ggen_graph.errors import QueryRefused

CACHED_TEXT = 8192

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][^\s(){}\[\].,;'"<>=!&|+*/-]+)
  | (?P<pname>(?:[^\W\d][\w.\-]*)?:[\w.\-:%\\]*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind (comment, string, iri, var, pname, word, other) and text."""

    kind: str
    text: str

    @property
    def keyword(self) -> str | None:
        """The upper-cased bare word, or None for anything else."""
        return self.text.upper() if self.kind == "word" else None


def tokens(sparql: str) -> Iterator[Token]:
    """The significant tokens of a query or update (comments dropped)."""
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup or "other"
        if kind != "comment":
            yield Token(kind, match.group())


def query_form(sparql: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE`` or the first update keyword; ``""`` if none."""
    for token in tokens(sparql):
        keyword = token.keyword
        if keyword in QUERY_FORMS or keyword in UPDATE_KEYWORDS:
            return keyword
    return ""


def check_read_only_query(
    sparql: str, *, allow_service: bool = False, service_allowlist: Iterable[str] | None = None
) -> None:
    """Refuse updates, ``SERVICE``, ``LOAD``, ``FROM``/``FROM NAMED``: ``QueryRefused`` names the clause.

    The verdict on a query text of at most ``CACHED_TEXT`` characters is remembered (clients repeat the same
    query with other bindings; the scan is a tenth of graph_query's own cost).

    :param allow_service: let ``SERVICE <endpoint>`` through (an operator's choice).
    :param service_allowlist: when given with ``allow_service``, only these endpoint IRIs are allowed.
    """
    allowlist = None if service_allowlist is None else tuple(service_allowlist)
    if len(sparql) > CACHED_TEXT:
        _check_read_only(sparql, allow_service, allowlist)
        return
    refusal = _remembered_verdict(sparql, allow_service, allowlist)
    if refusal is not None:
        raise QueryRefused(refusal)


@functools.lru_cache(maxsize=512)
def _remembered_verdict(sparql: str, allow_service: bool, allowlist: tuple[str, ...] | None) -> str | None:
    try:
        _check_read_only(sparql, allow_service, allowlist)
    except QueryRefused as exc:
        return str(exc)
    return None


def _check_read_only(sparql: str, allow_service: bool, service_allowlist: tuple[str, ...] | None) -> None:
    allowed = None if service_allowlist is None else {iri.strip("<>") for iri in service_allowlist}
    toks = list(tokens(sparql))
    for index, token in enumerate(toks):
        keyword = token.keyword
        if keyword is None:
            continue
        if keyword in UPDATE_KEYWORDS:
            raise QueryRefused(
                f"SPARQL UPDATE ({keyword}) is not allowed in a query; "
                "graph_query runs SELECT, ASK, CONSTRUCT and DESCRIBE only (use graph_update to change data)"
                if keyword != "LOAD"
                else "LOAD is not allowed: the server never fetches data from URLs; "
                "read the file into the workspace and use graph_load"
            )
        if keyword == "SERVICE":
            _check_service(toks[index + 1 :], allow_service, allowed)
        if keyword == "FROM":
            named = _next_word(toks[index + 1 :]) == "NAMED"
            target = _next_iri(toks[index + 1 :]) or "<...>"
            clause = f"FROM NAMED {target}" if named else f"FROM {target}"
            raise QueryRefused(
                f"{clause} is not allowed: the server never loads graphs named in a query; "
                "pass the graph argument, or use GRAPH <iri> { ... } over the loaded named graphs"
            )


def check_update(sparql: str) -> None:
    """Refuse the update operations that reach the network: ``LOAD`` and ``SERVICE``."""
    for token in tokens(sparql):
        if token.keyword == "LOAD":
            raise QueryRefused(
                "LOAD is not allowed: the server never fetches data from URLs; "
                "use graph_load with a workspace file"
            )
        if token.keyword == "SERVICE":
            raise QueryRefused("SERVICE is not allowed in updates: federated queries reach other servers")


def _check_service(rest: list[Token], allow_service: bool, allowed: set[str] | None) -> None:
    target = _next_iri(rest)
    shown = target or "?variable"
    if not allow_service:
        raise QueryRefused(
            f"SERVICE {shown} is not allowed: federated queries reach other servers "
            "(an operator may allow listed endpoints with graph.allow_service and graph.service_allowlist)"
        )
    if allowed is None:
        return
    if target is None or target.strip("<>") not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise QueryRefused(f"SERVICE {shown} is not an allowed endpoint (allowed: {listed})")


def _next_word(rest: list[Token]) -> str | None:
    return rest[0].keyword if rest else None


def _next_iri(rest: list[Token]) -> str | None:
    for token in rest[:3]:
        if token.kind in {"iri", "pname"}:
            return token.text
        if token.kind == "var":
            return None
    return None
