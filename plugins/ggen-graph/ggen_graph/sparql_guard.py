"""The SPARQL guard: which query and update texts may reach the engine, decided by the real grammar.

Every text a graph tool, a SHACL shape or a template sends to pyoxigraph or to a remote endpoint passes here
first. Refused: ``SERVICE`` (unless the operator allows it), ``LOAD``, ``FROM``/``FROM NAMED`` in queries,
``USING``/``USING NAMED`` in updates, and nesting beyond what the engine's recursive parser survives. The
verdict comes from rdflib's SPARQL grammar (:mod:`ggen_graph.sparql_verdict`); rdflib costs about 10 ms per
new text, so a prefilter first proves, for most texts, that no parse is needed.

Why the prefilter is sound. Every refused clause starts with a keyword (``SERVICE``, ``LOAD``, ``FROM``,
``USING``), and an engine reads a keyword only from a token whose letters spell it, matched without regard to
case (pyoxigraph and rdflib compare ASCII case-insensitively; rdflib and some Java engines also accept letters
whose upper case is ASCII, such as U+017F long s, U+212A Kelvin sign and U+0131 dotless i). SPARQL's codepoint
escapes (``\\uXXXX``, ``\\UXXXXXXXX``, SPARQL 1.1 section 19.2) are decoded before tokenizing by rdflib (which
also reads ``\\U`` with 4 digits and ``\\u`` with 8) and by engines that follow the specification (pyoxigraph
0.5 decodes them only inside strings and IRIs). So the guard lowers the text in every form an engine could
read -- as written, with escapes decoded once and twice, case-folded, upper-cased then folded, and
NFKD-decomposed (compatibility forms such as fullwidth letters; decomposition never joins a letter to a
following mark), upper-cased and folded (so one keyword may mix every kind of letter) -- and looks for the
keyword substrings (``service``, ``load``, ``from``, ``using``). Each of those forms maps the letters of such
a keyword to the plain lower-case keyword, character by character, so a text in which none of the forms holds
the substring cannot hold the clause: no tokenizing is involved, so no escape, comment or string can hide a
keyword from it. Substrings in names, strings and comments (``?from``, ``"download"``) only send a text to the
full parse.

Nesting is bounded the same way: the count of ``{``, ``(`` and ``[`` characters bounds every nesting depth
from above. A text with at most ``max_nesting`` of them (default 128; pyoxigraph's parser overflows a worker
thread's 8 MiB stack past about 2,000 nested groups, measured) needs no parse; any other text must parse with
rdflib, which itself gives up (``RecursionError``) past 24 to 85 levels, so a text it parses is far inside the
engine's bound. Texts the parser cannot verify are refused (fail closed), naming the limit.

Where rdflib and pyoxigraph read a text differently, the guard aligns them or refuses: pyoxigraph ends a
comment at CR, rdflib only at LF (the verdict parses the text with CR as LF); rdflib decodes every codepoint
escape before tokenizing while pyoxigraph decodes them inside strings and IRIs, so an escape for a syntax
character (``"a\\u005C" SERVICE <x> {} ...`` is a string then SERVICE for pyoxigraph, one long string for
rdflib) is refused in any text that needs the parse. Both were found by probing pyoxigraph against a
listener; the differential fuzz test keeps probing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from ggen_graph.errors import QueryRefused
from ggen_graph.sparql_verdict import Clause, Kind, Verdict, verdict

DEFAULT_MAX_NESTING = 128
DEFAULT_PARSE_BYTES = 16 * 1024

QUERY_NEEDLES = ("service", "from")
UPDATE_NEEDLES = ("service", "load", "using")
UPDATE_WORDS = ("insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with")

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# rdflib's reading (it also runs SHACL-SPARQL): \u or \U, then 8 hex digits if there are 8, else 4
_RDFLIB_ESCAPE = re.compile(r"\\[uU]([0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{4})?)")
_WINDOW = 1 << 16
_OVERLAP = 512
BACKSLASH_U = chr(92) + "u"
BACKSLASH_BIG_U = chr(92) + "U"
_QUERY_TOOL = "graph_query runs SELECT, ASK, CONSTRUCT and DESCRIBE only (use graph_update to change data)"
_LOAD = "LOAD is not allowed: the server never fetches data from URLs; use graph_load with a workspace file"


def readable_forms(text: str) -> tuple[str, ...]:
    """The text lower-cased in every form an engine could read its keywords from (see the module doc)."""
    decoded = [text]
    for escape in (_ESCAPE, _RDFLIB_ESCAPE):
        current = text
        for _ in range(2):
            if "\\u" not in current and "\\U" not in current:
                break
            current = escape.sub(_codepoint, current)
            decoded.append(current)
    forms: list[str] = []
    for form in decoded:
        if form.isascii():
            forms.append(form.lower())
        else:
            upper = form.upper()
            forms += [form.casefold(), upper.casefold(), unicodedata.normalize("NFKD", form).upper().casefold()]
    return tuple(forms)


def _codepoint(match: re.Match[str]) -> str:
    try:
        return chr(int(match.group(match.lastindex or 0), 16))
    except (ValueError, OverflowError):
        return match.group(0)


def first_needle(text: str, needles: Iterable[str]) -> str | None:
    """The first keyword substring found in any readable form of the text, or None.

    A long text is read in windows of 64 Ki characters that overlap by 512 (more than the longest way to
    write a keyword: seven letters of at most 19 escaped characters each), so the copies the forms need stay
    small; every substring of at most 512 characters lies whole in some window.
    """
    if len(text) <= _WINDOW:
        forms = readable_forms(text)
        return next((needle for needle in needles if any(needle in form for form in forms)), None)
    wanted = tuple(needles)
    found: set[str] = set()
    for window in _windows(text):
        forms = readable_forms(window)
        found.update(needle for needle in wanted if any(needle in form for form in forms))
    return next((needle for needle in wanted if needle in found), None)


def _windows(text: str) -> Iterable[str]:
    if len(text) <= _WINDOW:
        yield text
        return
    for start in range(0, len(text), _WINDOW):
        yield text[max(0, start - _OVERLAP) : start + _WINDOW]


def opening_brackets(text: str) -> int:
    """An upper bound of the text's nesting depth: its ``{``, ``(`` and ``[`` characters, plus two for every
    codepoint escape (decoding, once or twice, turns each into at most one character), without copying it."""
    escapes = text.count(BACKSLASH_U) + text.count(BACKSLASH_BIG_U)
    return text.count("{") + text.count("(") + text.count("[") + 2 * escapes


def query_needles(remote: bool) -> tuple[str, ...]:
    """The keywords whose presence sends a query text to the full parse.

    pyoxigraph's ``Store.query`` accepts only the Query production, so an update sent there is a syntax
    error; a remote endpoint may run updates sent to its query URL (Virtuoso does), so for remote stores
    the update keywords are needles too.
    """
    return QUERY_NEEDLES + UPDATE_WORDS if remote else QUERY_NEEDLES


def cleared(sparql: str, kind: Kind, *, max_nesting: int = DEFAULT_MAX_NESTING, remote: bool = False) -> bool:
    """True when the prefilter proves the text needs no parse (the hot path: microseconds).

    The answer for a short text is remembered (an agent sends the same text with other bindings, or again):
    it depends on nothing but the arguments."""
    if len(sparql) <= CLEARED_MEMO_CHARS:
        return _cleared_memo(sparql, kind, max_nesting, remote)
    return _cleared(sparql, kind, max_nesting, remote)


CLEARED_MEMO_CHARS = 4096  # the memo keeps at most 512 texts of at most this many characters


def _cleared(sparql: str, kind: Kind, max_nesting: int, remote: bool) -> bool:
    needles = query_needles(remote) if kind == "query" else UPDATE_NEEDLES
    return opening_brackets(sparql) <= max_nesting and first_needle(sparql, needles) is None


_cleared_memo = functools.lru_cache(maxsize=512)(_cleared)


def check_read_only_query(
    sparql: str,
    *,
    allow_service: bool = False,
    service_allowlist: Iterable[str] | None = None,
    max_nesting: int = DEFAULT_MAX_NESTING,
    parse_bytes: int = DEFAULT_PARSE_BYTES,
    remote: bool = False,
) -> None:
    """Refuse ``SERVICE`` (unless allowed), ``FROM``/``FROM NAMED``, updates, and unverifiable nesting.

    ``QueryRefused`` names the clause or the limit. A text the prefilter clears returns at once; any other
    text gets rdflib's verdict (remembered per text).

    :param allow_service: let ``SERVICE <endpoint>`` through (an operator's choice).
    :param service_allowlist: when given with ``allow_service``, only these endpoint IRIs are allowed.
    :param max_nesting: texts with more opening brackets must be verified by the parser.
    :param parse_bytes: the longest text the parser is asked to verify.
    :param remote: the text goes to a remote endpoint (update keywords are checked too).
    """
    found = _verdict_if_needed(sparql, "query", query_needles(remote), max_nesting, parse_bytes)
    if found is None:
        return
    allowed = None if service_allowlist is None else {iri.strip("<>") for iri in service_allowlist}
    for clause in found.clauses:
        if clause.keyword == "SERVICE":
            _check_service(clause, allow_service, allowed)
        else:
            raise QueryRefused(
                f"{clause.keyword} {clause.shown} is not allowed: the server never loads graphs named in a query; "
                "pass the graph argument, or use GRAPH <iri> { ... } over the loaded named graphs"
            )


def check_update(
    sparql: str, *, max_nesting: int = DEFAULT_MAX_NESTING, parse_bytes: int = DEFAULT_PARSE_BYTES
) -> None:
    """Refuse ``LOAD``, ``SERVICE``, ``USING``/``USING NAMED`` in an update, and unverifiable nesting."""
    found = _verdict_if_needed(sparql, "update", UPDATE_NEEDLES, max_nesting, parse_bytes)
    if found is None:
        return
    for clause in found.clauses:
        if clause.keyword == "LOAD":
            raise QueryRefused(_LOAD)
        if clause.keyword == "SERVICE":
            raise QueryRefused(
                f"SERVICE {clause.shown} is not allowed in updates: federated queries reach other servers"
            )
        raise QueryRefused(
            f"{clause.keyword} {clause.shown} is not allowed: an update reads only the stored graphs; "
            "use WITH <iri> or GRAPH <iri> { ... } instead"
        )


def _verdict_if_needed(
    sparql: str, kind: Kind, needles: tuple[str, ...], max_nesting: int, parse_bytes: int
) -> Verdict | None:
    """None when the prefilter clears the text; else rdflib's verdict, or ``QueryRefused`` (fail closed)."""
    needle = first_needle(sparql, needles)
    opens = opening_brackets(sparql)
    if needle is None and opens <= max_nesting:
        return None
    why = _why_parsed(sparql, needle, opens, max_nesting)
    _refuse_syntax_escapes(sparql, kind, why)
    size = len(sparql.encode("utf-8", "surrogatepass"))
    if size > parse_bytes:
        raise QueryRefused(
            f"the SPARQL guard cannot verify this {kind}: {why}, and it is {size} bytes, more than the "
            f"{parse_bytes} bytes its parser checks (graph.guard_parse_bytes); shorten it"
            + (" or load data with graph_load" if kind == "update" else "")
        )
    result = verdict(sparql, kind)
    if isinstance(result, Verdict):
        return result
    other = verdict(sparql, "update" if kind == "query" else "query") if size <= parse_bytes else None
    if isinstance(other, Verdict):
        raise QueryRefused(_wrong_kind(other))
    raise QueryRefused(f"the SPARQL guard cannot verify this {kind}: {why}, and {result}")


def _refuse_syntax_escapes(sparql: str, kind: Kind, why: str) -> None:
    """Refuse a codepoint escape that stands for an ASCII syntax character (a quote, ``\\``, ``>``, ``#``, a
    newline...) in a text that needs the parse.

    rdflib decodes every escape before tokenizing, as SPARQL 1.1 section 19.2 says; pyoxigraph 0.5 decodes
    them inside strings and IRIs only, after tokenizing. For such characters the two disagree on where a
    string, IRI or comment ends: ``"a\\u005C" ... SERVICE <x> ...`` is a string then a SERVICE clause for
    pyoxigraph, and one longer string for rdflib. Letters and non-ASCII characters cannot end a token, so
    only these escapes are refused.
    """
    matches = [*_ESCAPE.finditer(sparql), *_RDFLIB_ESCAPE.finditer(sparql)]
    for match in matches:
        char = _codepoint(match)
        if len(char) == 1 and char.isascii() and not char.isalnum():
            line, column = _line_column(sparql, match.start())
            raise QueryRefused(
                f"the SPARQL guard cannot verify this {kind}: {why}, and it holds the codepoint escape "
                f"{match.group(0)} (line {line}, column {column}) for the syntax character {char!r}; parsers "
                "disagree on where such an escape ends a string, IRI or comment, so write the character "
                "itself (escaped with a backslash inside a string)"
            )


def _line_column(text: str, at: int) -> tuple[int, int]:
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _why_parsed(sparql: str, needle: str | None, opens: int, max_nesting: int) -> str:
    if needle is None:
        return (
            f"it has {opens} opening brackets, more than graph.max_sparql_nesting ({max_nesting}) lets through "
            "unparsed, so its nesting must be verified"
        )
    at = sparql[:_WINDOW].lower().find(needle)
    where = ""
    if at >= 0:
        line, column = _line_column(sparql, at)
        where = f" at line {line}, column {column}"
    return f"it contains {needle!r}{where}, which could be a {needle.upper()} clause"


def _wrong_kind(other: Verdict) -> str:
    if other.kind == "update":
        if "LOAD" in other.operations:
            return _LOAD
        return f"SPARQL UPDATE ({other.form}) is not allowed in a query; {_QUERY_TOOL}"
    return "graph_update runs SPARQL UPDATE; use graph_query for SELECT, ASK, CONSTRUCT and DESCRIBE"


def _check_service(clause: Clause, allow_service: bool, allowed: set[str] | None) -> None:
    if not allow_service:
        raise QueryRefused(
            f"SERVICE {clause.shown} is not allowed: federated queries reach other servers "
            "(an operator may allow listed endpoints with graph.allow_service and graph.service_allowlist)"
        )
    if allowed is None:
        return
    if clause.iri is None or clause.iri not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise QueryRefused(f"SERVICE {clause.shown} is not an allowed endpoint (allowed: {listed})")


def wrong_kind(sparql: str, kind: Kind, parse_bytes: int = DEFAULT_PARSE_BYTES) -> str | None:
    """For a text the engine refused as ``kind``: the clear refusal when it is the other kind, else None.

    Runs on the error path only (rdflib's parse, remembered per text).
    """
    if len(sparql) > parse_bytes:
        return None
    other = verdict(sparql, "update" if kind == "query" else "query")
    return _wrong_kind(other) if isinstance(other, Verdict) else None


def construct_or_describe(sparql: str, parse_bytes: int = DEFAULT_PARSE_BYTES) -> str:
    """The form of a query whose result was triples: ``DESCRIBE`` only if the keyword is there to read."""
    if first_needle(sparql, ("describe",)) is None or len(sparql) > parse_bytes:
        return "CONSTRUCT"
    found = verdict(sparql, "query")
    return found.form if isinstance(found, Verdict) and found.form == "DESCRIBE" else "CONSTRUCT"


def query_form(sparql: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE`` or the first update operation, by the grammar; ``""``
    when the text parses as neither (for error messages: it runs rdflib, remembered per text)."""
    if len(sparql) > DEFAULT_PARSE_BYTES:
        return ""
    kinds: tuple[Kind, ...] = ("query", "update")
    for kind in kinds:
        found = verdict(sparql, kind)
        if isinstance(found, Verdict):
            return found.form
    return ""
