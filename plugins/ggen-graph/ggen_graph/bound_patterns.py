"""Bound variables written into a SELECT's top-level triple patterns, so that pyoxigraph plans with them.

pyoxigraph's ``substitutions=`` binds a variable before evaluation, but its optimizer orders the joins without
knowing the value: ``?s a ?type ; ex:age ?age`` with both bound is planned as if both were free. The same
pattern with the values written in (``?s a <C> ; ex:age 42``) is planned from the selective lookups, about a
third less CPU for the load benchmark's query (docs/performance.md, "Bound variables in the plan").

:func:`inline_bindings` therefore writes each bound IRI or literal into the places of the text where the
variable is a term of a triple pattern of the query's top-level group, and the caller still passes the same
``substitutions=``: the projection, filters, nested groups and everything else see the variable bound exactly
as before, and a triple pattern matches the same triples whether its variable is pre-bound or written as that
term. The rewrite is conservative; it leaves the text alone (returns None) unless all of this holds:

- the text is a ``SELECT`` with an explicit projection (``SELECT *`` and ``ASK`` take their variables from the
  pattern, and pyoxigraph refuses a substitution of a variable they no longer show);
- no bound variable is assigned anywhere (``AS ?v`` in ``BIND`` or a projection): SPARQL refuses to assign a
  variable already in scope, and writing the value in would take it out of scope and accept the text;
- every bracket of the text is balanced and every string, IRI and comment is closed.

Only occurrences at the top level of the ``WHERE`` group (not inside ``(...)``, so never in an expression, nor
in a nested ``{...}``: ``OPTIONAL``, ``MINUS``, ``UNION``, ``EXISTS``, sub-selects and ``GRAPH`` bodies are left
as written) after a token that ends or separates triple-pattern terms are rewritten; blank nodes and quoted
triples are never written into text. If pyoxigraph refuses the rewritten text, the caller runs the original
(:func:`query`), so an unexpected reading costs one parse, never a wrong answer.

The tokens are SPARQL 1.1's terminals (section 19.8): ``IRIREF``, the four string forms, ``VAR1``/``VAR2`` with
``VARNAME``'s character classes, comments to the end of a line (pyoxigraph also ends them at CR), brackets;
everything else is read as a word (keywords, prefixed names, numbers) or one punctuation character.
``tests/test_graph_bound_patterns.py`` checks the rewrite against pyoxigraph, result for result.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

CACHED_TEXTS = 128  # with MAX_TEXT: at most about 2 MiB of kept text in a worker
MAX_TEXT = 16 * 1024  # longer texts are run as written (their plan is not the cost that matters)

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_VARNAME = f"[{_PN_CHARS_BASE}_0-9][{_PN_CHARS_BASE}_0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_IRIREF = r'<[^<>"{}|^`\\\x00-\x20]*>'
_STRING2 = r'"(?:[^"\\\n\r]|\\.)*"'
_LANGTAG = r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--(?:ltr|rtl))?"
_STRINGS = [
    r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""',  # STRING_LITERAL_LONG2
    r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''",  # STRING_LITERAL_LONG1
    _STRING2,  # STRING_LITERAL2
    r"'(?:[^'\\\n\r]|\\.)*'",  # STRING_LITERAL1
]
_TOKEN_PARTS = [
    r"(?P<ws>[\x20\t\r\n]+)",
    r"(?P<comment>#[^\r\n]*)",
    f"(?P<iri>{_IRIREF})",
    f"(?P<string>{'|'.join(_STRINGS)})",
    f"(?P<var>[?$]{_VARNAME})",
    r"(?P<open>[{(\[])",
    r"(?P<close>[})\]])",
    r"""(?P<word>[^\x20\t\r\n{}()\[\]<>"'#?$,;.*]+)""",
    r"""(?P<punct>[^"'\\])""",
]


@functools.cache
def _tokens() -> re.Pattern[str]:
    """SPARQL's terminals as one pattern, compiled on first use (``VARNAME``'s Unicode classes take about 15 ms
    to compile: a worker that never sees bindings never pays it)."""
    return re.compile("|".join(_TOKEN_PARTS), re.DOTALL)


_ONE_TERM = re.compile(f"{_IRIREF}|{_STRING2}(?:{_LANGTAG}|\\^\\^{_IRIREF})?", re.DOTALL)
_CLOSES = {"}": "{", ")": "(", "]": "["}
# a triple-pattern term may follow these (a keyword such as VALUES, GRAPH or AS before a variable is not one)
_TERM_BEFORE = frozenset({"{", ".", ";", ",", "[", "]"})
_SEPARATORS = frozenset(" \t\r\n{.;,[]")
_FORMS = frozenset({"select", "ask", "construct", "describe"})


@dataclass(frozen=True)
class _Template:
    """The text cut around the variables that may take a bound value: ``pieces[i]`` precedes ``slots[i]``."""

    pieces: tuple[str, ...]
    slots: tuple[str, ...]  # variable names (without ? or $), one per cut
    tokens: tuple[str, ...]  # the variable tokens as written, to put back when a slot stays free
    assigned: frozenset[str]  # variables after an AS anywhere in the text


def query(store: ox.Store, sparql: str, substitutions: dict[ox.Variable, Any] | None, **options: Any) -> Any:
    """``store.query(sparql, substitutions=..., **options)``, from the text with the bound values written in
    when pyoxigraph takes it, else from ``sparql`` as written (whose errors are the caller's to report)."""
    planned = inline_bindings(sparql, substitutions)
    if planned is not None:
        with contextlib.suppress(SyntaxError, ValueError, RuntimeError):
            return store.query(planned, substitutions=substitutions, **options)
    return store.query(sparql, substitutions=substitutions, **options)


def inline_bindings(sparql: str, bound: Mapping[ox.Variable, object] | None) -> str | None:
    """``sparql`` with the bound IRIs and literals written into its top-level triple patterns, or None when
    nothing may be or needs to be rewritten (see the module docstring)."""
    if not bound or len(sparql) > MAX_TEXT:
        return None
    template = _template(sparql)
    if template is None:
        return None
    values = {var.value: _term_text(term) for var, term in bound.items()}
    if template.assigned.intersection(values):
        return None
    parts: list[str] = []
    changed = False
    for piece, name, token in zip(template.pieces, template.slots, template.tokens, strict=False):
        text = values.get(name)
        parts.append(piece)
        parts.append(token if text is None else text)
        changed = changed or text is not None
    if not changed:
        return None
    parts.append(template.pieces[-1])
    return "".join(parts)


def _term_text(term: object) -> str | None:
    """The term as SPARQL text: IRIs and literals only (a blank node written into a query is a new one), in
    their N-Triples form, and only when that reads back as exactly one term (an IRI, or a string with its
    language tag or datatype IRI): a value can never add syntax to the query."""
    if type(term) is ox.NamedNode or type(term) is ox.Literal:
        text = str(term)
        return text if _ONE_TERM.fullmatch(text) else None
    return None


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _template(sparql: str) -> _Template | None:
    """Where ``sparql``'s rewritable variables are, or None when the text is not one this module rewrites."""
    pieces: list[str] = []
    slots: list[str] = []
    tokens: list[str] = []
    assigned: set[str] = set()
    stack: list[str] = []
    form: str | None = None
    star = False
    group_open = False  # the top-level group has been entered
    group_done = False
    previous = ""  # the last significant token (lower-cased word, punctuation or bracket; "term" otherwise)
    start = 0
    position = 0
    for match in _tokens().finditer(sparql):
        if match.start() != position:
            return None  # a character no terminal reads (an unclosed string, a stray backslash)
        position = match.end()
        kind = match.lastgroup
        text = match.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "open":
            if text == "{" and not stack and form is not None and not group_open:
                group_open = True
            stack.append(text)
        elif kind == "close":
            if not stack or stack.pop() != _CLOSES[text]:
                return None
            if not stack and group_open:
                group_done = True
        elif kind == "var":
            name = text[1:]
            if previous == "as":
                assigned.add(name)
            elif _in_top_group(stack, group_open and not group_done) and _after_term(sparql, match.start(), previous):
                pieces.append(sparql[start : match.start()])
                slots.append(name)
                tokens.append(text)
                start = match.end()
        elif kind == "word" and not stack and form is None and text.lower() in _FORMS:
            form = text.lower()
        elif kind == "punct" and text == "*" and not stack and form is not None and not group_open:
            star = True
        previous = _significant(kind, text)
    if position != len(sparql) or stack or form != "select" or star or not group_done:
        return None
    pieces.append(sparql[start:])
    return _Template(tuple(pieces), tuple(slots), tuple(tokens), frozenset(assigned))


def _in_top_group(stack: list[str], inside: bool) -> bool:
    """In the top-level group itself or in its ``[ ... ]`` blank-node property lists (triple terms too)."""
    return inside and stack[:1] == ["{"] and all(bracket == "[" for bracket in stack[1:])


def _after_term(sparql: str, at: int, previous: str) -> bool:
    """A variable at ``at`` may be a triple term: the token before ends or separates terms, and a space or
    that separator stands right before it (``ex:p?o`` may be read as the path ``ex:p?`` then ``o``)."""
    return (previous in _TERM_BEFORE or previous == "term") and sparql[at - 1] in _SEPARATORS


def _significant(kind: str | None, text: str) -> str:
    if kind in ("open", "close", "punct"):
        return text
    if kind == "word":
        lowered = text.lower()
        return lowered if lowered.isalpha() and lowered != "a" else "term"
    return "term"  # an IRI, string or variable
