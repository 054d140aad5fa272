"""Models and helpers shared by the market tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from ggen_market.index import PackEntry
    from ggen_market.market import Market
    from ggen_market.settings import MarketSettings
    from ggen_mcp_core import ToolContext

PACK_ID = Field(
    ...,
    min_length=1,
    max_length=128,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    description="Pack id, e.g. io.ggen.python.models.",
)
CATEGORY = Field(None, max_length=100, description="Only packs of this category (case-insensitive), e.g. python.")
TAG = Field(None, max_length=100, description="Only packs with this tag or keyword (case-insensitive).")


class PackSummary(BaseModel):
    """A pack as search and list results show it."""

    id: str = Field(description="Pack id.")
    name: str = Field(description="Display name.")
    description: str = Field(description="What the pack generates.")
    version: str = Field(description="Latest version.")
    author: str | None = Field(None, description="Author.")
    category: str | None = Field(None, description="Category.")
    tags: list[str] = Field(default_factory=list, description="Tags.")
    downloads: int = Field(0, description="Downloads the registry reports.")
    updated: str | None = Field(None, description="When the pack last changed (RFC 3339).")
    license: str | None = Field(None, description="SPDX license id.")
    relevance: float | None = Field(None, description="Match score (higher is better); searches only.")


def summary(pack: PackEntry, relevance: float | None = None) -> PackSummary:
    return PackSummary(
        id=pack.id,
        name=pack.name,
        description=pack.description,
        version=pack.latest_version,
        author=pack.author,
        category=pack.category,
        tags=list(pack.tags),
        downloads=pack.downloads or 0,
        updated=pack.updated,
        license=pack.license,
        relevance=relevance,
    )


def market_for(ctx: ToolContext[MarketSettings]) -> Market:
    """The market service for this call (imports the heavy modules on first use)."""
    from ggen_market.market import Market

    return Market(ctx.settings, ctx.workspace)
