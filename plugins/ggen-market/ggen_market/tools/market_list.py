"""``market_list``: the registry's packs by name (optionally one category or tag), a page at a time."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import (
    CATEGORY,
    CURSOR,
    INPUT,
    NEXT_CURSOR,
    NOTE,
    READ_SCOPES,
    STALE,
    TAG,
    PackSummary,
    market_for,
    next_cursor,
    page_start,
    summary,
)
from ggen_mcp_core import ToolContext, ToolSpec


class ListInput(BaseModel):
    model_config = INPUT

    category: str | None = CATEGORY
    tag: str | None = TAG
    limit: int = Field(100, ge=1, le=1000, description="Page size.")
    cursor: str | None = CURSOR


class ListOutput(BaseModel):
    packs: list[PackSummary] = Field(description="This page's packs, sorted by name.")
    total: int = Field(description="How many packs match (all pages).")
    next_cursor: str | None = NEXT_CURSOR
    categories: dict[str, int] = Field(description="Pack count per category in the whole index.")
    installed: list[str] = Field(description="Ids of this page's packs that are installed in this workspace.")
    stale: bool = STALE
    note: str | None = NOTE


async def market_list(args: ListInput, ctx: ToolContext[MarketSettings]) -> ListOutput:
    from ggen_market.lockfile import read_lockfile
    from ggen_market.ranking import match, prepare, top

    view = await market_for(ctx).index("auto")
    if "search" not in view.index.derived:
        await ctx.run_sync(prepare, view.index)
    matches = match(view.index, "", category=args.category, tag=args.tag)
    start = page_start(args.cursor, len(matches))
    chosen = top(matches, "name", start + args.limit)[start:]
    installed = set(read_lockfile(ctx.workspace).packs)
    return ListOutput(
        packs=[summary(h.pack) for h in chosen],
        total=len(matches),
        next_cursor=next_cursor(start, len(chosen), len(matches)),
        categories=view.index.categories(),
        installed=sorted(installed & {h.pack.id for h in chosen}),
        stale=view.stale,
        note=view.note,
    )


def spec(settings: MarketSettings) -> ToolSpec:
    """market_list's registration."""
    return ToolSpec(
        name="market_list",
        title="List template packs",
        description="List template packs by name.",
        input_model=ListInput,
        output_model=ListOutput,
        handler=market_list,
        read_only=True,
        open_world=True,
        scopes=READ_SCOPES,
    )
