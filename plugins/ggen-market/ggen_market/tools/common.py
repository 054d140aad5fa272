"""Models and helpers shared by the market tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import ToolError

if TYPE_CHECKING:
    from ggen_market.index import PackEntry
    from ggen_market.market import Market
    from ggen_market.settings import MarketSettings
    from ggen_mcp_core import ToolContext

INPUT = ConfigDict(extra="forbid")
"""The config of every market input model: unknown arguments refused, the schema kept small."""

READ_SCOPES = ("market:read",)
INSTALL_SCOPES = ("market:install",)

PACK_ID = Field(
    ...,
    min_length=1,
    max_length=128,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    description="Pack id.",
)
CATEGORY = Field(None, max_length=100, description="Only this category.")
TAG = Field(None, max_length=100, description="Only this tag.")
CURSOR = Field(None, description="A next_cursor.")
NEXT_CURSOR = Field(None, description="Pass as cursor to get the next page; null on the last page.")
STALE = Field(description="True when the registry was unreachable and the cached index answered.")
NOTE = Field(None, description="Why the answer is stale, when it is.")


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
    """The market service for this call (imports the heavy modules on first use); its caches live in the
    host's cache directory, outside the workspace, so read-only tools leave the workspace as it was."""
    from ggen_market.market import Market

    return Market(ctx.settings, ctx.workspace, ctx.host.settings.resolved_cache_dir() / "market")


def page_start(cursor: str | None, total: int) -> int:
    """The offset a ``cursor`` argument stands for (0 without one); refuses one no page could have returned."""
    if cursor is None:
        return 0
    if not (cursor.isdigit() and len(cursor) <= 12) or int(cursor) > total:
        raise ToolError(f"cursor: {cursor!r} is not a next_cursor of this listing (it has {total} entries)")
    return int(cursor)


def next_cursor(start: int, shown: int, total: int) -> str | None:
    """The cursor of the page after ``shown`` entries from ``start``, or None when nothing follows."""
    end = start + shown
    return str(end) if end < total else None
