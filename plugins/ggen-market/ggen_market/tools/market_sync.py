"""``market_sync``: refresh the cached index with a conditional request and report what changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import CATEGORY, INPUT, READ_SCOPES, market_for
from ggen_mcp_core import ToolContext, ToolSpec


class SyncInput(BaseModel):
    model_config = INPUT

    category: str | None = CATEGORY
    force: bool = Field(False, description="Refetch if unchanged.")
    dry_run: bool = Field(False, description="Only report.")


class SyncOutput(BaseModel):
    registry: str = Field(description="The registry synchronised.")
    status: Literal["updated", "not_modified", "dry_run"] = Field(description="What happened to the cache.")
    added: list[str] = Field(description="Pack ids new in the registry.")
    updated: list[str] = Field(description="Pack ids whose versions or metadata changed.")
    removed: list[str] = Field(description="Pack ids no longer in the registry.")
    package_count: int = Field(description="Packs in the cached index afterwards (or that would be).")
    fetched_at: str = Field(description="When the registry answered (RFC 3339).")
    category: str | None = Field(None, description="The category the sync was limited to.")


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def market_sync(args: SyncInput, ctx: ToolContext[MarketSettings]) -> SyncOutput:
    from ggen_market.index import parse_index
    from ggen_market.index_changes import diff, merge_category
    from ggen_market.resources import INDEX

    market = market_for(ctx)
    store = await market.store()
    old = store.cached()
    raw, meta = await store.download(args.force or old is None)
    count = len(old.index.packs) if old else 0
    if raw is None:
        if not args.dry_run:
            await ctx.run_sync(store.touch, meta)
        await ctx.progress(1, 1, "the cached index is current")
        status: Literal["updated", "not_modified", "dry_run"] = "dry_run" if args.dry_run else "not_modified"
        return SyncOutput(
            registry=store.registry.url,
            status=status,
            added=[],
            updated=[],
            removed=[],
            package_count=count,
            fetched_at=_stamp(meta.fetched_at),
            category=args.category,
        )
    await ctx.progress(1, 3, f"downloaded {len(raw)} bytes")
    new = await ctx.run_sync(parse_index, raw)
    added, updated, removed = diff(old.index if old else None, new, args.category)
    if args.category and old is not None:
        raw = merge_category(store.index_path.read_bytes(), raw, args.category)
        meta.etag = meta.last_modified = None  # the cache is now a mix: ask for everything next time
        new = await ctx.run_sync(parse_index, raw)
    await ctx.progress(2, 3, f"{len(new.packs)} packs checked")
    if not args.dry_run:
        await ctx.run_sync(store.write, raw, meta)
        await ctx.resource_changed(INDEX)
    await ctx.progress(3, 3, "dry run: nothing cached" if args.dry_run else "index cached")
    return SyncOutput(
        registry=store.registry.url,
        status="dry_run" if args.dry_run else "updated",
        added=added,
        updated=updated,
        removed=removed,
        package_count=len(new.packs),
        fetched_at=_stamp(meta.fetched_at),
        category=args.category,
    )


def spec(settings: MarketSettings) -> ToolSpec:
    """market_sync's registration."""
    return ToolSpec(
        name="market_sync",
        title="Refresh the cached registry index",
        description="Refresh the cached registry index.",
        input_model=SyncInput,
        output_model=SyncOutput,
        handler=market_sync,
        idempotent=True,
        open_world=True,
        scopes=READ_SCOPES,
    )
