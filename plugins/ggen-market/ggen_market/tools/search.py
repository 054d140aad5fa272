"""``market_search`` (cached index, refreshed when stale) and ``market_offline_search`` (cache only)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ggen_market.tools.common import CATEGORY, TAG, PackSummary, market_for, summary
from ggen_mcp_core import ToolContext, ToolSpec

Sort = Literal["relevance", "downloads", "name", "updated"]


class SearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., max_length=200, description="Words to find in id, name, description, tags; '' lists all.")
    category: str | None = CATEGORY
    tag: str | None = TAG
    limit: int = Field(10, ge=1, le=100, description="Most results to return.")
    sort: Sort = Field("relevance", description="Result order.")
    fuzzy: bool = Field(False, description="Also match words with small typos (slower).")


class OfflineSearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., max_length=200, description="Words to find in id, name, description, tags.")
    category: str | None = CATEGORY
    limit: int = Field(10, ge=1, le=100, description="Most results to return.")


class SearchOutput(BaseModel):
    results: list[PackSummary] = Field(description="Matching packs, best first.")
    total: int = Field(description="How many packs match (before the limit).")
    stale: bool = Field(description="True when the answer comes from a cached index the registry could not refresh.")
    note: str | None = Field(None, description="Why the answer is stale, when it is.")
    registry: str = Field(description="The registry searched.")


async def _run(
    ctx: ToolContext,
    query: str,
    category: str | None,
    tag: str | None,
    limit: int,
    sort: Sort,
    fuzzy: bool,
    offline: bool,
) -> SearchOutput:
    from ggen_market.ranking import match, prepare, top

    market = market_for(ctx)
    if offline:
        registry = await market.registry()
        view = await market.index("auto" if registry.kind != "http" else "cached")
    else:
        view = await market.index("auto")
    if "search" not in view.index.derived:  # first search of this index: build its structures off the loop
        await ctx.run_sync(prepare, view.index)
    matches = match(view.index, query, category=category, tag=tag, fuzzy=fuzzy)
    chosen = top(matches, sort, limit)
    return SearchOutput(
        results=[summary(h.pack, h.relevance) for h in chosen],
        total=len(matches),
        stale=view.stale,
        note=view.note,
        registry=view.registry.url,
    )


async def market_search(args: SearchInput, ctx: ToolContext) -> SearchOutput:
    return await _run(ctx, args.query, args.category, args.tag, args.limit, args.sort, args.fuzzy, offline=False)


async def market_offline_search(args: OfflineSearchInput, ctx: ToolContext) -> SearchOutput:
    return await _run(ctx, args.query, args.category, None, args.limit, "relevance", False, offline=True)


TOOLS = [
    ToolSpec(
        name="market_search",
        title="Search template packs",
        description="Search the template-pack registry by words, category and tag. Returns packs (id, name, "
        "description, version, author, category, tags, downloads, updated, license, relevance), the total "
        "match count, and stale=true when the registry was unreachable and the cached index answered.",
        input_model=SearchInput,
        output_model=SearchOutput,
        handler=market_search,
        read_only=True,
        open_world=True,
        scopes=("market:read",),
    ),
    ToolSpec(
        name="market_offline_search",
        title="Search the cached registry index",
        description="Search template packs in the locally cached registry index only, without any network "
        "request. Fails when no index was ever cached (run market_sync once).",
        input_model=OfflineSearchInput,
        output_model=SearchOutput,
        handler=market_offline_search,
        read_only=True,
        scopes=("market:read",),
    ),
]
