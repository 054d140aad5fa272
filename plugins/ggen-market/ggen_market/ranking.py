"""Search over an index: matching, relevance and sorting (what ``market_search`` and friends run).

Matching (ggen's rule, extended): every word of the query must occur, case-insensitively, in the pack's
id, name, description, tags, keywords or category. Relevance adds, per query word, its best hit: 10 a
whole word of the name, 8 inside the name, 7 a tag or keyword, 6 inside the id, 5 the category, 4 inside
a tag or keyword, 2 the description; plus 100 when the whole query equals the id or the name. With
``fuzzy`` a word that matches nowhere may still count (3 x similarity) when it is at least 80 % similar
to a word of the id, name, tags or keywords, so ``pydantc`` finds ``pydantic``.

The index is prepared once per cached index (one lower-cased text per pack, joined into one corpus
searched with ``str.find``), so a query over 10,000 packs costs well under a millisecond.
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import re
from dataclasses import dataclass
from typing import Literal

from ggen_market.index import PackEntry, RegistryIndex

Sort = Literal["relevance", "downloads", "name", "updated"]
_WORD = re.compile(r"[a-z0-9]+")
_SEP = "\x00"


@dataclass(frozen=True)
class Doc:
    """One pack, prepared for matching."""

    pack: PackEntry
    id: str
    name: str
    name_words: frozenset[str]
    description: str
    labels: frozenset[str]  # tags and keywords, lower-cased
    category: str
    blob: str
    vocabulary: tuple[str, ...]


@dataclass(frozen=True)
class Prepared:
    docs: tuple[Doc, ...]
    corpus: str
    starts: tuple[int, ...]
    by_category: dict[str, tuple[int, ...]]
    by_label: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Hit:
    doc: Doc
    relevance: float


def _doc(pack: PackEntry) -> Doc:
    name = pack.name.lower()
    labels = frozenset(t.lower() for t in [*pack.tags, *pack.keywords])
    category = (pack.category or "").lower()
    description = pack.description.lower()
    ident = pack.id.lower()
    blob = " ".join([ident, name, " ".join(sorted(labels)), category, description])
    vocabulary = set(_WORD.findall(name)) | set(_WORD.findall(ident)) | {w for t in labels for w in _WORD.findall(t)}
    return Doc(pack, ident, name, frozenset(_WORD.findall(name)), description, labels, category, blob,
               tuple(sorted(vocabulary)))


def prepare(index: RegistryIndex) -> Prepared:
    """The search structures of an index (built once and kept on the index)."""
    cached = index.derived.get("search")
    if isinstance(cached, Prepared):
        return cached
    docs = tuple(_doc(index.packs[k]) for k in sorted(index.packs))
    starts, position = [], 0
    for doc in docs:
        starts.append(position)
        position += len(doc.blob) + 1
    by_category: dict[str, list[int]] = {}
    by_label: dict[str, list[int]] = {}
    for number, doc in enumerate(docs):
        by_category.setdefault(doc.category, []).append(number)
        for label in doc.labels:
            by_label.setdefault(label, []).append(number)
    prepared = Prepared(
        docs, _SEP.join(d.blob for d in docs), tuple(starts),
        {k: tuple(v) for k, v in by_category.items()}, {k: tuple(v) for k, v in by_label.items()},
    )
    index.derived["search"] = prepared
    return prepared


def tokens(query: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", query.lower().strip()) if t]


def _containing(prepared: Prepared, token: str, allowed: set[int] | None) -> list[int]:
    found: list[int] = []
    corpus, starts = prepared.corpus, prepared.starts
    position = corpus.find(token)
    while position != -1:
        number = bisect.bisect_right(starts, position) - 1
        if allowed is None or number in allowed:
            found.append(number)
        following = number + 1
        if following >= len(starts):
            break
        position = corpus.find(token, starts[following])
    return found


def _token_score(doc: Doc, token: str) -> float:
    if token in doc.name_words:
        return 10
    if token in doc.name:
        return 8
    if token in doc.labels:
        return 7
    if token in doc.id:
        return 6
    if token == doc.category:
        return 5
    if any(token in label for label in doc.labels):
        return 4
    if token in doc.description or token in doc.category:
        return 2
    return 0


def _fuzzy_score(doc: Doc, token: str) -> float:
    matches = difflib.get_close_matches(token, doc.vocabulary, n=1, cutoff=0.8)
    if not matches:
        return 0
    return 3 * difflib.SequenceMatcher(None, token, matches[0]).ratio()


def _candidates(prepared: Prepared, words: list[str], category: str | None, tag: str | None,
                fuzzy: bool) -> list[int]:
    allowed: set[int] | None = None
    if category is not None:
        allowed = set(prepared.by_category.get(category.lower(), ()))
    if tag is not None:
        tagged = set(prepared.by_label.get(tag.lower(), ()))
        allowed = tagged if allowed is None else allowed & tagged
    if not words or fuzzy:
        return sorted(allowed) if allowed is not None else list(range(len(prepared.docs)))
    longest = max(words, key=len)
    return [n for n in _containing(prepared, longest, allowed) if all(w in prepared.docs[n].blob for w in words)]


def search(index: RegistryIndex, query: str, *, category: str | None = None, tag: str | None = None,
           fuzzy: bool = False) -> list[Hit]:
    """Every pack matching ``query`` (all packs when it is empty) and the filters, with its relevance."""
    prepared = prepare(index)
    words = tokens(query)
    whole = query.strip().lower()
    hits = []
    for number in _candidates(prepared, words, category, tag, fuzzy):
        doc = prepared.docs[number]
        total = 0.0
        for word in words:
            score = _token_score(doc, word) or (_fuzzy_score(doc, word) if fuzzy else 0)
            if score == 0:
                break
            total += score
        else:
            if whole and whole in {doc.id, doc.name}:
                total += 100
            hits.append(Hit(doc, round(total, 3)))
    return hits


def top(hits: list[Hit], sort: Sort, limit: int) -> list[Hit]:
    """The first ``limit`` hits in the chosen order (ties broken by downloads, then name)."""
    def downloads(hit: Hit) -> int:
        return hit.doc.pack.downloads or 0

    if sort == "relevance":
        return heapq.nsmallest(limit, hits, key=lambda h: (-h.relevance, -downloads(h), h.doc.name, h.doc.id))
    if sort == "downloads":
        return heapq.nsmallest(limit, hits, key=lambda h: (-downloads(h), -h.relevance, h.doc.name, h.doc.id))
    if sort == "name":
        return heapq.nsmallest(limit, hits, key=lambda h: (h.doc.name, h.doc.id))
    ordered = sorted(hits, key=lambda h: (h.doc.name, h.doc.id))
    ordered.sort(key=lambda h: h.doc.pack.updated or "", reverse=True)
    return ordered[:limit]
