"""``market_sync``: refresh the cached index with a conditional request and report what changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ggen_market.tools.common import CATEGORY, market_for
from ggen_mcp_core import ToolContext, ToolSpec

if TYPE_CHECKING:
    from ggen_market.index import RegistryIndex


class SyncInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = CATEGORY
    force: bool = Field(False, description="Fetch the whole index even when the registry says it is unchanged.")
    dry_run: bool = Field(False, description="Report what would change without touching the cache.")


class SyncOutput(BaseModel):
    registry: str = Field(description="The registry synchronised.")
    status: Literal["updated", "not_modified", "dry_run"] = Field(description="What happened to the cache.")
    added: list[str] = Field(description="Pack ids new in the registry.")
    updated: list[str] = Field(description="Pack ids whose versions or metadata changed.")
    removed: list[str] = Field(description="Pack ids no longer in the registry.")
    package_count: int = Field(description="Packs in the cached index afterwards (or that would be).")
    fetched_at: str = Field(description="When the registry answered (RFC 3339).")
    category: str | None = Field(None, description="The category the sync was limited to.")


def _in_category(pack: Any, category: str | None) -> bool:
    return category is None or (pack.category or "").lower() == category.lower()


def diff(old: RegistryIndex | None, new: RegistryIndex, category: str | None) -> tuple[list[str], list[str], list[str]]:
    """Added, updated and removed pack ids between two indexes (limited to a category when given)."""
    before = {k: v for k, v in (old.packs if old else {}).items() if _in_category(v, category)}
    after = {k: v for k, v in new.packs.items() if _in_category(v, category)}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    updated = sorted(k for k in set(before) & set(after) if before[k].model_dump() != after[k].model_dump())
    return added, updated, removed


def merge_category(old_raw: bytes, new_raw: bytes, category: str) -> bytes:
    """The old index with one category's packs replaced by the new index's."""
    old_doc = json.loads(old_raw)
    new_doc = json.loads(new_raw)

    def inside(entry: Any) -> bool:
        return isinstance(entry, dict) and str(entry.get("category") or "").lower() == category.lower()

    packs = {k: v for k, v in old_doc.get("packs", {}).items() if not inside(v)}
    packs.update({k: v for k, v in new_doc.get("packs", {}).items() if inside(v)})
    return json.dumps({"updated": new_doc.get("updated"), "packs": packs}, sort_keys=True).encode()


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def market_sync(args: SyncInput, ctx: ToolContext) -> SyncOutput:
    from ggen_market.index import parse_index

    market = market_for(ctx)
    store = await market.store()
    old = store.cached()
    raw, meta = await store.download(args.force or old is None)
    count = len(old.index.packs) if old else 0
    if raw is None:
        if not args.dry_run:
            await ctx.run_sync(store.touch, meta)
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
    new = await ctx.run_sync(parse_index, raw)
    added, updated, removed = diff(old.index if old else None, new, args.category)
    if args.category and old is not None:
        raw = merge_category(store.index_path.read_bytes(), raw, args.category)
        meta.etag = meta.last_modified = None  # the cache is now a mix: ask for everything next time
        new = await ctx.run_sync(parse_index, raw)
    if not args.dry_run:
        await ctx.run_sync(store.write, raw, meta)
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


TOOLS = [
    ToolSpec(
        name="market_sync",
        title="Refresh the cached registry index",
        description="Refresh the locally cached registry index (a conditional request: unchanged indexes "
        "are not downloaded again unless force), optionally for one category only or as a dry run, and "
        "report which packs were added, updated or removed.",
        input_model=SyncInput,
        output_model=SyncOutput,
        handler=market_sync,
        idempotent=True,
        open_world=True,
        scopes=("market:read",),
    ),
]
