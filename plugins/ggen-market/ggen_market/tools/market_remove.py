"""``market_remove``: unpin a pack from ggen.lock and delete its installed files."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import INPUT, INSTALL_SCOPES, PACK_ID, market_for
from ggen_mcp_core import ToolContext, ToolSpec


class RemoveInput(BaseModel):
    model_config = INPUT

    package: str = PACK_ID
    prune: bool = Field(False, description="Also drop unused deps.")


class RemoveOutput(BaseModel):
    removed: list[str] = Field(description="Packs removed, as id@version (the requested one first).")
    pruned: list[str] = Field(description="Dependencies removed because nothing needed them (prune).")
    archives_deleted: int = Field(description="Cached archives deleted (prune).")
    message: str = Field(description="A one-line summary.")


async def market_remove(args: RemoveInput, ctx: ToolContext[MarketSettings]) -> RemoveOutput:
    from ggen_market.resources import announce_packs, installed_template_names
    from ggen_market.transactions import remove_packs

    market = market_for(ctx)
    before = await ctx.run_sync(installed_template_names, ctx, market)
    removed, pruned, archives = await ctx.run_sync(remove_packs, market, args.package, args.prune)
    gone = [pack.rpartition("@")[0] for pack in [*removed, *pruned]]
    await announce_packs(ctx, gone, [name for pack_id in gone for name in before.get(pack_id, [])])
    message = f"removed {removed[0]}"
    if pruned:
        message += f" and {len(pruned)} unused dependencies"
    return RemoveOutput(removed=removed, pruned=pruned, archives_deleted=archives, message=message)


def spec(settings: MarketSettings) -> ToolSpec:
    """market_remove's registration."""
    return ToolSpec(
        name="market_remove",
        title="Remove a template pack",
        description="Remove an installed pack.",
        input_model=RemoveInput,
        output_model=RemoveOutput,
        handler=market_remove,
        destructive=True,
        scopes=INSTALL_SCOPES,
    )
