"""``market_remove``: unpin a pack from ggen.lock and delete its installed files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ggen_market.tools.common import PACK_ID, market_for
from ggen_mcp_core import ToolContext, ToolSpec


class RemoveInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    package: str = PACK_ID
    prune: bool = Field(
        False,
        description="Also remove dependencies nothing else needs any more, and the cached archives of every "
        "removed pack.",
    )


class RemoveOutput(BaseModel):
    removed: list[str] = Field(description="Packs removed, as id@version (the requested one first).")
    pruned: list[str] = Field(description="Dependencies removed because nothing needed them (prune).")
    archives_deleted: int = Field(description="Cached archives deleted (prune).")
    message: str = Field(description="A one-line summary.")


async def market_remove(args: RemoveInput, ctx: ToolContext) -> RemoveOutput:
    from ggen_market.removal import remove_packs

    market = market_for(ctx)
    outcome = await ctx.run_sync(remove_packs, market, args.package, args.prune)
    removed, pruned, archives = outcome
    message = f"removed {removed[0]}"
    if pruned:
        message += f" and {len(pruned)} unused dependencies"
    return RemoveOutput(removed=removed, pruned=pruned, archives_deleted=archives, message=message)


TOOLS = [
    ToolSpec(
        name="market_remove",
        title="Remove a template pack",
        description="Remove an installed template pack: drops its ggen.lock entry and deletes "
        ".ggen/packs/<id>/. Refuses when another installed pack depends on it, or when it is not installed. "
        "With prune, also removes dependencies nothing else needs and the cached archives.",
        input_model=RemoveInput,
        output_model=RemoveOutput,
        handler=market_remove,
        destructive=True,
        scopes=("market:install",),
    ),
]
