"""How related one pack is to others (``market_recommend``).

A candidate scores 3 per shared tag or keyword, 2 for the same category, 4 when it depends on, or is a
dependency of, a base pack, plus up to 2 for popularity (log10 of downloads / 2). Installed packs and the
base packs themselves are never recommended. Without any base, the most popular packs are returned.
"""

from __future__ import annotations

import math

from ggen_market.index import PackEntry


def _labels(pack: PackEntry) -> set[str]:
    return {t.lower() for t in [*pack.tags, *pack.keywords]}


def _deps(pack: PackEntry) -> set[str]:
    return set(pack.versions[pack.latest_version].dependencies)


def score(candidate: PackEntry, bases: list[PackEntry]) -> tuple[float, list[str]]:
    """How related ``candidate`` is to ``bases``, and why."""
    total = 0.0
    reasons: list[str] = []
    labels = _labels(candidate)
    for base in bases:
        shared = sorted(labels & _labels(base))
        if shared:
            total += 3 * len(shared)
            reasons.append(f"shares {', '.join(shared)} with {base.id}")
        if candidate.category and candidate.category.lower() == (base.category or "").lower():
            total += 2
            reasons.append(f"same category as {base.id} ({candidate.category})")
        if base.id in _deps(candidate) or candidate.id in _deps(base):
            total += 4
            reasons.append(f"dependency relation with {base.id}")
    popularity = min(2.0, math.log10(1 + (candidate.downloads or 0)) / 2)
    if popularity:
        total += popularity
        reasons.append(f"popular ({candidate.downloads} downloads)")
    return round(total, 3), reasons


def recommend(
    packs: list[PackEntry], bases: list[PackEntry], excluded: set[str], category: str | None
) -> list[tuple[float, PackEntry, list[str]]]:
    """The candidates related to ``bases`` (all by popularity when there is none), best first."""
    scored = []
    for pack in packs:
        if pack.id in excluded:
            continue
        if category and (pack.category or "").lower() != category.lower():
            continue
        value, reasons = score(pack, bases)
        if bases and value <= 2.0 and not any("popular" not in r for r in reasons):
            continue  # popularity alone does not make a pack related
        scored.append((value, pack, reasons))
    scored.sort(key=lambda item: (-item[0], -(item[1].downloads or 0), item[1].name))
    return scored
