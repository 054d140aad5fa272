"""``market_update``: move installed packs to the newest version they are allowed to take.

A pack may move within the range it was installed with (``requirement`` in ggen.lock: ``*`` when none
was given, ``=1.0.0`` when an exact version was) and within the requirements of the installed packs that
depend on it. Each pack is reported: updated, up_to_date, pinned (a newer version exists but is not
allowed) or unavailable (not in the registry).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ggen_market.tools.common import market_for
from ggen_mcp_core import ToolContext, ToolError, ToolSpec


class UpdateInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    package: str | None = Field(
        None,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Pack id to update; default: every installed pack.",
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
    stale: bool = Field(description="True when the registry was unreachable and the cached index answered.")


async def market_update(args: UpdateInput, ctx: ToolContext) -> UpdateOutput:
    from ggen_market.installer import Installer
    from ggen_market.lockfile import read_lockfile
    from ggen_market.planning import plan
    from ggen_market.updates import assess

    market = market_for(ctx)
    lock = await ctx.run_sync(read_lockfile, ctx.workspace)
    if args.package is not None and lock.get(args.package) is None:
        raise ToolError(f"{args.package} is not installed; market_install installs it")
    targets = [args.package] if args.package else sorted(lock.packs)
    view = await market.index("auto")
    changes, roots = assess(view.index, lock, targets)
    if roots:
        planned, _ = await plan(market, lock, roots)
        await Installer(market, ctx.progress).install(planned)
    return UpdateOutput(
        changes=[Change(**c) for c in changes],
        updated=sum(c["status"] == "updated" for c in changes),
        stale=view.stale,
    )


TOOLS = [
    ToolSpec(
        name="market_update",
        title="Update template packs",
        description="Update one installed template pack, or all of them, to the newest version allowed by "
        "the range each was installed with and by the packs depending on it. Verifies and pins like "
        "market_install and reports each pack: updated (from -> to), up_to_date, pinned or unavailable.",
        input_model=UpdateInput,
        output_model=UpdateOutput,
        handler=market_update,
        idempotent=True,
        open_world=True,
        timeout=600,
        scopes=("market:install",),
    ),
]
