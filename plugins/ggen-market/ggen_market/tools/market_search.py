"""``market_search``: find packs in the registry's index by words, category and tag.

The index is refreshed when stale; with ``offline`` only the cached index answers (an HTTP registry is never
asked, a bundled or file registry is read from disk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

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

if TYPE_CHECKING:
    from ggen_market.market import Market
    from ggen_market.registry import IndexView

Sort = Literal["relevance", "downloads", "name", "updated"]


class SearchInput(BaseModel):
    model_config = INPUT

    query: str = Field(..., max_length=200, description="Words; '' for all.")
    category: str | None = CATEGORY
    tag: str | None = TAG
    limit: int = Field(10, ge=1, le=100, description="Page size.")
    sort: Sort = Field("relevance", description="Order.")
    fuzzy: bool = Field(False, description="Allow typos.")
    offline: bool = Field(False, description="Cached index only.")
    cursor: str | None = CURSOR


class SearchOutput(BaseModel):
    results: list[PackSummary] = Field(description="Matching packs, best first.")
    total: int = Field(description="How many packs match (all pages).")
    next_cursor: str | None = NEXT_CURSOR
    stale: bool = STALE
    note: str | None = NOTE
    registry: str = Field(description="The registry searched.")


async def market_search(args: SearchInput, ctx: ToolContext[MarketSettings]) -> SearchOutput:
    from ggen_market.ranking import match, prepare, top

    view = await _index(market_for(ctx), args.offline)

    if "search" not in view.index.derived:  # first search of this index: build its structures off the loop
        await ctx.run_sync(prepare, view.index)
    matches = match(view.index, args.query, category=args.category, tag=args.tag, fuzzy=args.fuzzy)
    start = page_start(args.cursor, len(matches))
    chosen = top(matches, args.sort, start + args.limit)[start:]
    return SearchOutput(
        results=[summary(h.pack, h.relevance) for h in chosen],
        total=len(matches),
        next_cursor=next_cursor(start, len(chosen), len(matches)),
        stale=view.stale,
        note=view.note,
        registry=view.registry.url,
    )


async def _index(market: Market, offline: bool) -> IndexView:
    if not offline:
        return await market.index("auto")
    registry = await market.registry()
    return await market.index("auto" if registry.kind != "http" else "cached")


def spec(settings: MarketSettings) -> ToolSpec:
    """market_search's registration."""
    return ToolSpec(
        name="market_search",
        title="Search template packs",
        description="Search template packs.",
        input_model=SearchInput,
        output_model=SearchOutput,
        handler=market_search,
        read_only=True,
        open_world=True,
        scopes=READ_SCOPES,
        aliases={"market_offline_search": {"offline": True}},  # the predecessor's tool (docs/migration.md)
    )
