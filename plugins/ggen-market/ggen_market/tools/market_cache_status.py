"""``market_cache_status``: what the market has cached in this workspace, and how fresh it is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import INPUT, READ_SCOPES, market_for
from ggen_mcp_core import ToolContext, ToolSpec

if TYPE_CHECKING:
    from ggen_market.market import Market
    from ggen_market.registry import IndexStore


class CacheStatusInput(BaseModel):
    model_config = INPUT


class CachedPack(BaseModel):
    id: str = Field(description="Pack id.")
    version: str = Field(description="Version.")
    size: int = Field(description="Archive size in bytes.")


class CacheStatusOutput(BaseModel):
    registry: str = Field(description="The configured registry.")
    package_count: int = Field(description="Packs in the cached index.")
    category_count: int = Field(description="Distinct categories in the cached index.")
    total_size: int = Field(description="Bytes used by the market cache (index and archives).")
    last_updated: str | None = Field(None, description="When the cached index was last confirmed (RFC 3339).")
    index_updated: str | None = Field(None, description="The registry's own 'updated' stamp.")
    is_stale: bool = Field(description="True when the cached index is older than market.cache_ttl or missing.")
    cached_packs: list[CachedPack] = Field(description="Verified archives kept for offline installs.")
    installed_count: int = Field(description="Packs pinned in ggen.lock.")
    breaker: str = Field(description="The registry's circuit breaker: closed, open or half_open.")


async def market_cache_status(args: CacheStatusInput, ctx: ToolContext[MarketSettings]) -> CacheStatusOutput:
    from ggen_market.lockfile import read_lockfile

    market = market_for(ctx)
    store = await market.store()
    return await ctx.run_sync(_status, market, store, len(read_lockfile(ctx.workspace).packs))


def _status(market: Market, store: IndexStore, installed: int) -> CacheStatusOutput:
    from ggen_market.registry import cache_size

    view = store.cached()
    packs = []
    if market.layout.archives.is_dir():
        for archive in sorted(market.layout.archives.glob("*@*.tar.gz")):
            pack_id, _, rest = archive.name.partition("@")
            packs.append(CachedPack(id=pack_id, version=rest[: -len(".tar.gz")], size=archive.stat().st_size))
    fetched = None if view is None else datetime.fromtimestamp(view.fetched_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return CacheStatusOutput(
        registry=store.registry.url,
        package_count=len(view.index.packs) if view else 0,
        category_count=len(view.index.categories()) if view else 0,
        total_size=cache_size(market.layout.cache) if market.layout.cache.is_dir() else 0,
        last_updated=fetched,
        index_updated=view.index.updated if view else None,
        is_stale=view is None or view.stale,
        cached_packs=packs,
        installed_count=installed,
        breaker=market.breaker(store.registry).state,
    )


def spec(settings: MarketSettings) -> ToolSpec:
    """market_cache_status's registration."""
    return ToolSpec(
        name="market_cache_status",
        title="Market cache status",
        description="Market cache contents and freshness.",
        input_model=CacheStatusInput,
        output_model=CacheStatusOutput,
        handler=market_cache_status,
        read_only=True,
        scopes=READ_SCOPES,
    )
