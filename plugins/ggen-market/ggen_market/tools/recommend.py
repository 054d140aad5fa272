"""``market_recommend``: packs related to one pack, or to what this workspace has installed.

A candidate scores 3 per shared tag or keyword, 2 for the same category, 4 when it depends on, or is a
dependency of, a base pack, plus up to 2 for popularity (log10 of downloads / 2). Installed packs and the
base packs themselves are never recommended. Without any base, the most popular packs are returned.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ggen_market.tools.common import CATEGORY, PackSummary, market_for, summary
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_market.index import PackEntry


class RecommendInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    based_on: str | None = Field(
        None, max_length=128, description="A pack id to find related packs for; default: the installed packs."
    )
    category: str | None = CATEGORY
    limit: int = Field(5, ge=1, le=50, description="Most recommendations.")
    explain: bool = Field(False, description="Include the reasons behind each recommendation.")


class Recommendation(PackSummary):
    score: float = Field(description="How strongly it is recommended.")
    reasons: list[str] | None = Field(None, description="Why, when explain was asked for.")


class RecommendOutput(BaseModel):
    based_on: list[str] = Field(description="The packs the recommendations relate to.")
    recommendations: list[Recommendation] = Field(description="Best first.")
    stale: bool = Field(description="True when the cached index answered because the registry was unreachable.")
    note: str | None = Field(None, description="Why the answer is stale, when it is.")


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


async def market_recommend(args: RecommendInput, ctx: ToolContext) -> RecommendOutput:
    from ggen_market.lockfile import read_lockfile

    market = market_for(ctx)
    view = await market.index("auto")
    installed = set(read_lockfile(ctx.workspace).packs)
    if args.based_on:
        if args.based_on not in view.index.packs:
            raise ToolError(f"based_on: pack {args.based_on!r} is not in the registry")
        base_ids = [args.based_on]
    else:
        base_ids = sorted(installed & set(view.index.packs))
    bases = [view.index.packs[i] for i in base_ids]
    scored = []
    for pack in view.index.packs.values():
        if pack.id in installed or pack.id in base_ids:
            continue
        if args.category and (pack.category or "").lower() != args.category.lower():
            continue
        value, reasons = score(pack, bases)
        if bases and value <= 2.0 and not any("popular" not in r for r in reasons):
            continue  # popularity alone does not make a pack related
        scored.append((value, pack, reasons))
    scored.sort(key=lambda item: (-item[0], -(item[1].downloads or 0), item[1].name))
    recommendations = [
        Recommendation(**summary(pack).model_dump(), score=value, reasons=reasons if args.explain else None)
        for value, pack, reasons in scored[: args.limit]
    ]
    return RecommendOutput(based_on=base_ids, recommendations=recommendations, stale=view.stale, note=view.note)


TOOLS = [
    ToolSpec(
        name="market_recommend",
        title="Recommend template packs",
        description="Recommend template packs related to one pack (based_on) or to the packs installed in "
        "this workspace, by shared tags, category and dependencies, with reasons when explain is set.",
        input_model=RecommendInput,
        output_model=RecommendOutput,
        handler=market_recommend,
        read_only=True,
        open_world=True,
        scopes=("market:read",),
    ),
]
