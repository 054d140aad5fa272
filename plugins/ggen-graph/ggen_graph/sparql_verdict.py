"""The grammar verdict on one SPARQL text: rdflib's parser, and a walk over the parse tree it builds.

:func:`verdict` parses a query (``parseQuery``) or an update (``parseUpdate``) with rdflib's SPARQL 1.1
grammar and collects every clause that reaches outside the store: ``SERVICE`` (``ServiceGraphPattern``),
``LOAD``, ``FROM``/``FROM NAMED`` (``DatasetClause``) and ``USING``/``USING NAMED`` (``UsingClause``), plus the
query form or the update operations. The walk covers the whole tree (sub-selects, ``EXISTS``, ``OPTIONAL``,
``MINUS``, ``GRAPH``, every operation of an update), so a clause is found wherever the grammar put it.

The parse tree is walked rather than the algebra of ``translateQuery``: translation resolves prefixed names,
and the template pack declares its prefixes beside the text (pyoxigraph's ``prefixes=``), so a text that is
fine for the engine would fail translation; the tree holds every clause the algebra would.

rdflib's parser is pure Python (about 10 ms for a short query, recursive per nesting level and per triple
pattern), so callers parse only texts the cheap prefilter in :mod:`ggen_graph.sparql_guard` cannot clear,
and the outcome is remembered per text. A text rdflib cannot parse gets a reason instead of a verdict;
the guard then refuses it (fail closed).
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["query", "update"]
CACHED_VERDICTS = 256

_QUERY_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
_UPDATE_OPERATIONS = {
    "InsertData": "INSERT",
    "DeleteData": "DELETE",
    "DeleteWhere": "DELETE",
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
}
_PLX_ESCAPED = frozenset("_~.-!$&'()*+,;=/?#@%")
_PARSING = threading.Lock()
_STATE = threading.local()


class _QuietWhileParsing(logging.Filter):
    """Drops rdflib's "does not look like a valid URI" warnings while the guard parses a client's text
    (a PN_LOCAL escape is valid SPARQL; the warnings would let a client write to the server's log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_STATE, "parsing", False)


logging.getLogger("rdflib.term").addFilter(_QuietWhileParsing())


@dataclass(frozen=True)
class Clause:
    """A clause that names something outside the store: ``keyword`` and its target as written."""

    keyword: str
    shown: str
    iri: str | None


@dataclass(frozen=True)
class Verdict:
    """What the grammar found in one text."""

    kind: Kind
    form: str
    operations: tuple[str, ...]
    clauses: tuple[Clause, ...]


@functools.lru_cache(maxsize=CACHED_VERDICTS)
def verdict(text: str, kind: Kind) -> Verdict | str:
    """The verdict on ``text`` parsed as ``kind``, or why rdflib could not parse it (remembered per text)."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    with _PARSING:
        _STATE.parsing = True
        # pyoxigraph ends a comment at CR as well as LF (as the grammar says), rdflib only at LF; CR is
        # whitespace everywhere else and cannot appear in a short string or an IRI, so this aligns the two
        aligned = text.replace("\r", "\n")
        try:
            tree = parseQuery(aligned) if kind == "query" else parseUpdate(aligned)
        except ParseBaseException as exc:
            return f"rdflib's SPARQL parser stopped at line {exc.lineno}, column {exc.col}: {exc.msg}"
        except RecursionError:
            return "it is nested (or its triple blocks are chained) deeper than rdflib's parser can follow"
        except Exception as exc:  # rdflib raises ValueError for a bad codepoint escape, maybe others
            return f"rdflib's SPARQL parser failed: {type(exc).__name__}: {exc}"
        finally:
            _STATE.parsing = False
    return _query_verdict(tree) if kind == "query" else _update_verdict(tree)


def _query_verdict(tree: Any) -> Verdict:
    prologue, body = tree[0], tree[1]
    prefixes = _prefixes(prologue)
    return Verdict("query", _QUERY_FORMS.get(body.name, body.name), (), _clauses(body, prefixes))


def _update_verdict(tree: Any) -> Verdict:
    operations = []
    clauses: list[Clause] = []
    prefixes: dict[str, str] = {}
    for prologue in _field(tree, "prologue") or []:
        prefixes.update(_prefixes(prologue))
    for request in _field(tree, "request") or []:
        operations.append(_operation(request))
        clauses.extend(_clauses(request, prefixes))
    form = operations[0] if operations else ""
    return Verdict("update", form, tuple(operations), tuple(clauses))


def _operation(request: Any) -> str:
    if request.name == "Modify":
        if _field(request, "withClause") is not None:
            return "WITH"
        return "DELETE" if _field(request, "delete") is not None else "INSERT"
    return _UPDATE_OPERATIONS.get(request.name, str(request.name).upper())


def _prefixes(prologue: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for decl in prologue or []:
        if getattr(decl, "name", None) == "PrefixDecl":
            found[str(_field(decl, "prefix") or "")] = str(_field(decl, "iri"))
    return found


def _clauses(root: Any, prefixes: dict[str, str]) -> tuple[Clause, ...]:
    """Every SERVICE, LOAD, FROM [NAMED] and USING [NAMED] under ``root`` (iterative: trees can be deep)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            clause = _clause(node, prefixes)
            if clause is not None:
                found.append(clause)
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            stack.extend(node)
    return tuple(found)


def _clause(node: Any, prefixes: dict[str, str]) -> Clause | None:
    if node.name == "ServiceGraphPattern":
        return _target("SERVICE", _field(node, "term"), prefixes)
    if node.name == "Load":
        return _target("LOAD", _field(node, "iri"), prefixes)
    if node.name in {"DatasetClause", "UsingClause"}:
        word = "FROM" if node.name == "DatasetClause" else "USING"
        named = _field(node, "named")
        return _target(f"{word} NAMED" if named is not None else word, named or _field(node, "default"), prefixes)
    return None


def _target(keyword: str, term: Any, prefixes: dict[str, str]) -> Clause:
    """The clause with its target shown as written (``<iri>``, ``ex:name``, ``?variable``) and resolved."""
    from rdflib import URIRef, Variable

    if isinstance(term, URIRef):
        return Clause(keyword, f"<{term}>", str(term))
    if isinstance(term, Variable):
        return Clause(keyword, "?variable", None)
    if getattr(term, "name", None) == "pname":
        prefix, local = str(_field(term, "prefix") or ""), str(_field(term, "localname") or "")
        base = prefixes.get(prefix)
        return Clause(keyword, f"{prefix}:{local}", base + _unescape_local(local) if base is not None else None)
    return Clause(keyword, "<...>", None)


def _field(node: Any, key: str) -> Any:
    """A parse-tree field, or None (``CompValue.get`` answers the key itself when it is missing)."""
    return dict.get(node, key)


def _unescape_local(local: str) -> str:
    """A PN_LOCAL with its ``\\x`` escapes (PN_LOCAL_ESC) removed, as the IRI it names."""
    out = []
    chars = iter(local)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append(nxt if nxt in _PLX_ESCAPED else char + nxt)
        else:
            out.append(char)
    return "".join(out)
