"""The resources ``ggen://packs`` (installed packs) and ``ggen://market/index`` (the cached index)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext


async def read_packs(ctx: ToolContext) -> str:
    """Every pack pinned in ggen.lock, with its path, intactness and template references."""
    from ggen_market.lockfile import read_lockfile
    from ggen_market.tools.common import market_for
    from ggen_market.transactions import Installer

    market = market_for(ctx)
    installer = Installer(market)

    def collect() -> list[dict[str, object]]:
        rows = []
        for entry in read_lockfile(ctx.workspace).packs.values():
            rows.append(
                {
                    **entry.to_toml(),
                    "path": market.layout.pack_dir(entry.id, entry.version).relative_to(ctx.workspace.root).as_posix(),
                    "intact": installer.is_intact(entry),
                    "templates": installer.templates_of(entry.id, entry.version),
                }
            )
        return rows

    return json.dumps({"packs": await ctx.run_sync(collect)}, indent=2)


async def read_index(ctx: ToolContext) -> str:
    """The registry's cached index as JSON (refreshed first when stale and reachable)."""
    from ggen_market.tools.common import market_for

    market = market_for(ctx)
    view = await market.index("auto")
    store = await market.store()
    document = json.loads(await ctx.run_sync(store.index_path.read_bytes))
    document["_cache"] = {"registry": view.registry.url, "stale": view.stale, "note": view.note}
    return json.dumps(document, indent=2, sort_keys=True)
