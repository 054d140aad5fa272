"""``market_update``: move installed packs to the newest version they are allowed to take.

A pack may move within the range it was installed with (``requirement`` in ggen.lock: ``*`` when none
was given, ``=1.0.0`` when an exact version was) and within the requirements of the installed packs that
depend on it (:func:`ggen_market.planning.assess`). Each pack is reported: updated, up_to_date, pinned (a
newer version exists but is not allowed) or unavailable (not in the registry).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import INPUT, INSTALL_SCOPES, STALE, market_for
from ggen_mcp_core import ToolContext, ToolError, ToolSpec


class UpdateInput(BaseModel):
    model_config = INPUT

    package: str | None = Field(
        None, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Pack id; default: all."
    )


class Change(BaseModel):
    id: str = Field(description="Pack id.")
    from_version: str = Field(description="Version before.")
    to_version: str = Field(description="Version after (same when unchanged).")
    status: Literal["updated", "up_to_date", "pinned", "unavailable"] = Field(description="What happened.")
    note: str | None = Field(None, description="Why, when it did not update.")


class UpdateOutput(BaseModel):
    changes: list[Change] = Field(description="One entry per installed pack considered.")
    updated: int = Field(description="How many packs changed version.")
    stale: bool = STALE


async def market_update(args: UpdateInput, ctx: ToolContext[MarketSettings]) -> UpdateOutput:
    from ggen_market.lockfile import read_lockfile
    from ggen_market.planning import assess, plan
    from ggen_market.resources import announce_installed
    from ggen_market.transactions import Installer

    market = market_for(ctx)
    lock = await ctx.run_sync(read_lockfile, ctx.workspace)
    if args.package is not None and lock.get(args.package) is None:
        raise ToolError(f"{args.package} is not installed; market_install installs it")
    targets = [args.package] if args.package else sorted(lock.packs)
    view = await market.index("auto")
    changes, roots = assess(view.index, lock, targets)
    if roots:
        planned, _ = await plan(market, lock, roots)
        committed = await Installer(market, ctx.progress).install(planned)
        installed = {p.pack_id for p in committed.installed}
        await announce_installed(ctx, market, [(p.pack_id, p.version) for p in planned if p.pack_id in installed])
    return UpdateOutput(
        changes=[Change(**c) for c in changes],
        updated=sum(c["status"] == "updated" for c in changes),
        stale=view.stale,
    )


def spec(settings: MarketSettings) -> ToolSpec:
    """market_update's registration."""
    return ToolSpec(
        name="market_update",
        title="Update template packs",
        description="Update installed packs within their version ranges.",
        input_model=UpdateInput,
        output_model=UpdateOutput,
        handler=market_update,
        idempotent=True,
        open_world=True,
        timeout=600,
        scopes=INSTALL_SCOPES,
    )
