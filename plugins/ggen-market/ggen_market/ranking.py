"""Search over an index: matching, relevance and sorting (what ``market_search`` and friends run).

Matching (ggen's rule, extended): every word of the query must occur, case-insensitively, in the pack's
id, name, description, tags, keywords or category. Relevance adds, per query word, its best hit: 10 a
whole word of the name, 8 inside a word of the name, 7 a whole tag or keyword, 6 inside the id, 5 the
category, 4 inside a tag or keyword, 2 inside the category or the description; plus 100 when the whole
query equals the id or the name. Ties go to the most downloaded pack, then by name. With ``fuzzy`` a
query word that occurs nowhere may still count (3 x similarity) through the index words at least 80 %
similar to it, so ``pydantc`` finds ``pydantic``.

How it stays fast on large indexes: the index is prepared once per cached index. Every
whitespace-separated word of the other fields goes into one vocabulary; each vocabulary word keeps, per
field kind, the packs it comes from sorted by popularity; the ids are one string searched as a whole. A
query word is looked up by substring in the vocabulary and the ids (not pack by pack); the matching packs
are a set union done by the interpreter's C code; and
the best results are read lazily, highest relevance level first, from the popularity-sorted lists, so a
single-word query never scores every match in Python. Multi-word queries score only the packs that
contain every word.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import heapq
import re
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from ggen_market.index import PackEntry, RegistryIndex

Sort = Literal["relevance", "downloads", "name", "updated"]
_SEP = "\x00"
# Field kinds, and their scores when the query word is the whole index word / inside it.
NAME, LABEL, IDENT, CATEGORY, DESCRIPTION = range(5)
EXACT = (10.0, 7.0, 6.0, 5.0, 2.0)
INSIDE = (8.0, 4.0, 6.0, 2.0, 2.0)
EXACT_BONUS = 100.0
RECENT_WORDS = 512


@dataclass(frozen=True)
class Prepared:
    """The search structures of one index."""

    packs: tuple[PackEntry, ...]
    words: tuple[str, ...]  # the vocabulary, sorted
    postings: tuple[tuple[array[int], ...], ...]  # per word, per field kind: pack numbers by popularity
    corpus: str  # the vocabulary joined by NUL, for substring lookups
    starts: tuple[int, ...]
    id_corpus: str  # every id, lower-cased, in popularity order, joined by NUL (ids are not vocabulary)
    id_starts: tuple[int, ...]
    by_category: dict[str, frozenset[int]]
    by_label: dict[str, frozenset[int]]
    exact_names: dict[str, tuple[int, ...]]  # lower-cased id or name -> packs
    orders: dict[str, tuple[int, ...]]  # "downloads", "name", "updated" -> pack numbers in that order
    places: dict[str, tuple[int, ...]]  # the same orders as: pack number -> its place
    recent: OrderedDict[tuple[str, bool], WordHits] = field(default_factory=OrderedDict, repr=False)


@dataclass(frozen=True)
class WordHits:
    """Where one query word occurs: popularity-sorted pack lists per relevance level, and their union."""

    levels: tuple[tuple[float, tuple[array[int], ...]], ...]  # highest level first
    packs: frozenset[int]

    @functools.cached_property
    def level_sets(self) -> list[tuple[float, frozenset[int]]]:
        """Each level's packs as a set (for scoring packs that several query words share)."""
        return [(score, frozenset().union(*lists)) for score, lists in self.levels]


@dataclass(frozen=True)
class Hit:
    pack: PackEntry
    relevance: float


def _fields(pack: PackEntry) -> set[tuple[int, str]]:
    found = {(NAME, w) for w in pack.name.lower().split()}
    found |= {(LABEL, w) for label in [*pack.tags, *pack.keywords] for w in label.lower().split()}
    found |= {(CATEGORY, w) for w in (pack.category or "").lower().split()}
    found |= {(DESCRIPTION, w) for w in pack.description.lower().split()}
    return found


def prepare(index: RegistryIndex) -> Prepared:
    """The search structures of an index (built once and kept on the index)."""
    cached = index.derived.get("search")
    if isinstance(cached, Prepared):
        return cached
    packs = tuple(index.packs[k] for k in sorted(index.packs))
    by_name = sorted(range(len(packs)), key=lambda n: (packs[n].name.lower(), packs[n].id))
    orders = {  # sorts are stable, also with reverse=True: ties stay in name order
        "name": tuple(by_name),
        "downloads": tuple(sorted(by_name, key=lambda n: packs[n].downloads or 0, reverse=True)),
        "updated": tuple(sorted(by_name, key=lambda n: packs[n].updated or "", reverse=True)),
    }
    lists: dict[str, tuple[array[int], ...]] = {}
    by_category: dict[str, set[int]] = {}
    by_label: dict[str, set[int]] = {}
    exact_names: dict[str, list[int]] = {}
    for number in orders["downloads"]:  # popularity order, so every posting list comes out sorted
        pack = packs[number]
        for kind, word in _fields(pack):
            if word not in lists:
                lists[word] = tuple(array("i") for _ in EXACT)
            lists[word][kind].append(number)
        by_category.setdefault((pack.category or "").lower(), set()).add(number)
        for label in {t.lower() for t in [*pack.tags, *pack.keywords]}:
            by_label.setdefault(label, set()).add(number)
        for name in {pack.id.lower(), pack.name.lower()}:
            exact_names.setdefault(name, []).append(number)
    words = tuple(sorted(lists))
    ids = [packs[n].id.lower() for n in orders["downloads"]]
    prepared = Prepared(
        packs,
        words,
        tuple(lists[w] for w in words),
        _SEP.join(words),
        _starts(words),
        _SEP.join(ids),
        _starts(ids),
        {k: frozenset(v) for k, v in by_category.items()},
        {k: frozenset(v) for k, v in by_label.items()},
        {k: tuple(v) for k, v in exact_names.items()},
        orders,
        {key: _places(order) for key, order in orders.items()},
    )
    index.derived["search"] = prepared
    return prepared


def _starts(texts: Iterable[str]) -> tuple[int, ...]:
    """Where each text begins in ``_SEP.join(texts)``."""
    starts, position = [], 0
    for text in texts:
        starts.append(position)
        position += len(text) + 1
    return tuple(starts)


def _places(order: tuple[int, ...]) -> tuple[int, ...]:
    places = [0] * len(order)
    for place, number in enumerate(order):
        places[number] = place
    return tuple(places)


def tokens(query: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", query.lower().strip()) if t]


def _containing(corpus: str, starts: tuple[int, ...], token: str) -> list[int]:
    """The numbers of the NUL-joined texts that contain ``token``, in order."""
    found: list[int] = []
    position = corpus.find(token)
    while position != -1:
        number = bisect.bisect_right(starts, position) - 1
        found.append(number)
        following = number + 1
        if following >= len(starts):
            break
        position = corpus.find(token, starts[following])
    return found


def word_hits(prepared: Prepared, token: str, fuzzy: bool) -> WordHits:
    """Where ``token`` occurs (the last few hundred query words are remembered)."""
    key = (token, fuzzy)
    found = prepared.recent.get(key)
    if found is not None:
        prepared.recent.move_to_end(key)
        return found
    found = _locate(prepared, token, fuzzy)
    prepared.recent[key] = found
    if len(prepared.recent) > RECENT_WORDS:
        prepared.recent.popitem(last=False)
    return found


def _locate(prepared: Prepared, token: str, fuzzy: bool) -> WordHits:
    levels: dict[float, list[array[int]]] = {}
    for number in _containing(prepared.corpus, prepared.starts, token):
        table = EXACT if prepared.words[number] == token else INSIDE
        for kind, packs in enumerate(prepared.postings[number]):
            if packs:
                levels.setdefault(table[kind], []).append(packs)
    popular = prepared.orders["downloads"]
    in_ids = array("i", (popular[place] for place in _containing(prepared.id_corpus, prepared.id_starts, token)))
    if in_ids:  # found in popularity order, so already sorted like every other list
        levels.setdefault(EXACT[IDENT], []).append(in_ids)
    if not levels and fuzzy:
        for close in difflib.get_close_matches(token, prepared.words, n=5, cutoff=0.8):
            score = round(3 * difflib.SequenceMatcher(None, token, close).ratio(), 3)
            number = bisect.bisect_left(prepared.words, close)
            levels.setdefault(score, []).extend(p for p in prepared.postings[number] if p)
    ordered = tuple((score, tuple(levels[score])) for score in sorted(levels, reverse=True))
    union: frozenset[int] = frozenset().union(*(p for _, lists in ordered for p in lists))
    return WordHits(ordered, union)


def _allowed(prepared: Prepared, category: str | None, tag: str | None) -> frozenset[int] | None:
    allowed: frozenset[int] | None = None
    if category is not None:
        allowed = prepared.by_category.get(category.lower(), frozenset())
    if tag is not None:
        tagged = prepared.by_label.get(tag.lower(), frozenset())
        allowed = tagged if allowed is None else allowed & tagged
    return allowed


@dataclass
class Matches:
    """What a query matched: the pack numbers, and how to score and order them."""

    prepared: Prepared
    packs: frozenset[int] | None  # None: no query words and no filter, so every pack
    words: list[WordHits]
    exact: frozenset[int]  # matches whose id or name is the whole query

    def __len__(self) -> int:
        return len(self.prepared.packs) if self.packs is None else len(self.packs)

    def __contains__(self, number: int) -> bool:
        return self.packs is None or number in self.packs

    def score(self, number: int) -> float:
        """The relevance of one matched pack."""
        total = EXACT_BONUS if number in self.exact else 0.0
        for hits in self.words:
            total += next(score for score, packs in hits.level_sets if number in packs)
        return round(total, 3)

    def all_scores(self) -> dict[int, float]:
        """The relevance of every matched pack, level by level with set operations (no per-pack search)."""
        totals = dict.fromkeys(self.packs or (), 0.0)
        for hits in self.words:
            remaining = set(totals)
            for score, packs in hits.level_sets:
                reached = remaining & packs
                for number in reached:
                    totals[number] += score
                remaining -= reached
        for number in self.exact:
            totals[number] += EXACT_BONUS
        return totals


def match(
    index: RegistryIndex, query: str, *, category: str | None = None, tag: str | None = None, fuzzy: bool = False
) -> Matches:
    """The packs matching ``query`` (all packs when it has no words) and the filters."""
    prepared = prepare(index)
    allowed = _allowed(prepared, category, tag)
    hits = [word_hits(prepared, w, fuzzy) for w in tokens(query)]
    packs = allowed
    for word in sorted(hits, key=lambda h: len(h.packs)):
        packs = word.packs if packs is None else packs & word.packs
    exact = frozenset(prepared.exact_names.get(query.strip().lower(), ())) if hits else frozenset()
    return Matches(prepared, packs, hits, exact & packs if packs is not None else exact)


def top(matches: Matches, sort: Sort, limit: int) -> list[Hit]:
    """The first ``limit`` matches in the chosen order."""
    prepared = matches.prepared
    if sort == "relevance" and len(matches.words) == 1:
        chosen = list(_single_word_best(matches, limit))
    elif sort == "relevance" and matches.words:
        chosen = _best_scored(matches.all_scores(), prepared.places["downloads"], limit)
    else:
        key = "downloads" if sort == "relevance" else sort
        chosen = _in_order(matches, prepared.orders[key], prepared.places[key], limit)
    return [Hit(prepared.packs[n], matches.score(n) if matches.words else 0.0) for n in chosen]


def _single_word_best(matches: Matches, limit: int) -> Iterator[int]:
    """Exact id/name matches first, then each relevance level in popularity order, each pack once."""
    places = matches.prepared.places["downloads"]
    seen: set[int] = set()
    exact = sorted(matches.exact, key=places.__getitem__)
    streams: list[Iterable[int]] = [exact]
    streams += [heapq.merge(*lists, key=places.__getitem__) for _, lists in matches.words[0].levels]
    for stream in streams:
        for number in stream:
            if number in seen or number not in matches:
                continue
            seen.add(number)
            yield number
            if len(seen) >= limit:
                return


def _best_scored(scores: dict[int, float], popularity: tuple[int, ...], limit: int) -> list[int]:
    """Highest relevance first, then most downloaded: relevance takes few distinct values, so group by it."""
    levels: dict[float, list[int]] = {}
    for number, score in scores.items():
        levels.setdefault(score, []).append(number)
    chosen: list[int] = []
    for score in sorted(levels, reverse=True):
        chosen += heapq.nsmallest(limit - len(chosen), levels[score], key=popularity.__getitem__)
        if len(chosen) >= limit:
            break
    return chosen


def _in_order(matches: Matches, order: tuple[int, ...], places: tuple[int, ...], limit: int) -> list[int]:
    """The first ``limit`` matches along a precomputed order."""
    if matches.packs is None:
        return list(order[:limit])
    if len(matches.packs) * 20 < len(order):  # few matches: sort them rather than walk the whole order
        return heapq.nsmallest(limit, matches.packs, key=places.__getitem__)
    found = []
    for number in order:
        if number in matches.packs:
            found.append(number)
            if len(found) >= limit:
                break
    return found


def search(
    index: RegistryIndex,
    query: str,
    *,
    category: str | None = None,
    tag: str | None = None,
    fuzzy: bool = False,
    sort: Sort = "relevance",
    limit: int = 10_000,
) -> list[Hit]:
    """:func:`match` then :func:`top`: the hits in order."""
    return top(match(index, query, category=category, tag=tag, fuzzy=fuzzy), sort, limit)
