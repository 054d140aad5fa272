"""``market_recommend``: packs related to one pack, or to what this workspace has installed
(scoring in :mod:`ggen_market.related`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import CATEGORY, INPUT, NOTE, READ_SCOPES, STALE, PackSummary, market_for, summary
from ggen_mcp_core import ToolContext, ToolError, ToolSpec


class RecommendInput(BaseModel):
    model_config = INPUT

    based_on: str | None = Field(None, max_length=128, description="Pack id; default: installed.")
    category: str | None = CATEGORY
    limit: int = Field(5, ge=1, le=50, description="Most results.")
    explain: bool = Field(False, description="Add reasons.")


class Recommendation(PackSummary):
    score: float = Field(description="How strongly it is recommended.")
    reasons: list[str] | None = Field(None, description="Why, when explain was asked for.")


class RecommendOutput(BaseModel):
    based_on: list[str] = Field(description="The packs the recommendations relate to.")
    recommendations: list[Recommendation] = Field(description="Best first.")
    stale: bool = STALE
    note: str | None = NOTE


async def market_recommend(args: RecommendInput, ctx: ToolContext[MarketSettings]) -> RecommendOutput:
    from ggen_market.lockfile import read_lockfile
    from ggen_market.related import recommend

    view = await market_for(ctx).index("auto")
    installed = set(read_lockfile(ctx.workspace).packs)
    if args.based_on:
        if args.based_on not in view.index.packs:
            raise ToolError(f"based_on: pack {args.based_on!r} is not in the registry")
        base_ids = [args.based_on]
    else:
        base_ids = sorted(installed & set(view.index.packs))
    bases = [view.index.packs[i] for i in base_ids]
    scored = recommend(list(view.index.packs.values()), bases, installed | set(base_ids), args.category)
    recommendations = [
        Recommendation(**summary(pack).model_dump(), score=value, reasons=reasons if args.explain else None)
        for value, pack, reasons in scored[: args.limit]
    ]
    return RecommendOutput(based_on=base_ids, recommendations=recommendations, stale=view.stale, note=view.note)


def spec(settings: MarketSettings) -> ToolSpec:
    """market_recommend's registration."""
    return ToolSpec(
        name="market_recommend",
        title="Recommend template packs",
        description="Packs related to one pack or the installed ones.",
        input_model=RecommendInput,
        output_model=RecommendOutput,
        handler=market_recommend,
        read_only=True,
        open_world=True,
        scopes=READ_SCOPES,
    )
