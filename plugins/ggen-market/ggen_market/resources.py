"""The resources ``ggen://packs`` (installed packs), ``ggen://packs/{id}`` (one of them) and
``ggen://market/index`` (the cached index), and the change notifications the write tools send for them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ggen_mcp_core import ToolError

if TYPE_CHECKING:
    from ggen_market.lockfile import LockEntry
    from ggen_market.market import Market
    from ggen_mcp_core import ToolContext

PACKS = "ggen://packs"
INDEX = "ggen://market/index"
TEMPLATES = "ggen://templates"  # the template pack's listing: it includes installed packs' templates


def pack_uri(pack_id: str) -> str:
    """The resource URI of one installed pack."""
    return f"{PACKS}/{quote(pack_id, safe='')}"


def _row(ctx: ToolContext, market: Market, entry: LockEntry) -> dict[str, Any]:
    from ggen_market.transactions import Installer

    installer = Installer(market)
    return {
        **entry.to_toml(),
        "uri": pack_uri(entry.id),
        "path": market.layout.pack_dir(entry.id, entry.version).relative_to(ctx.workspace.root).as_posix(),
        "intact": installer.is_intact(entry),
        "templates": installer.templates_of(entry.id, entry.version),
    }


async def read_packs(ctx: ToolContext) -> str:
    """Every pack pinned in ggen.lock, with its URI, path, intactness and template references."""
    from ggen_market.lockfile import read_lockfile
    from ggen_market.tools.common import market_for

    market = market_for(ctx)

    def collect() -> list[dict[str, object]]:
        return [_row(ctx, market, entry) for entry in read_lockfile(ctx.workspace).packs.values()]

    return json.dumps({"packs": await ctx.run_sync(collect)}, indent=2)


async def read_pack(ctx: ToolContext, id: str) -> str:
    """One installed pack as ``ggen://packs`` lists it; an error naming the installed packs when it is not."""
    from ggen_market.lockfile import read_lockfile
    from ggen_market.tools.common import market_for

    market = market_for(ctx)
    pack_id = unquote(id)

    def collect() -> dict[str, Any]:
        lock = read_lockfile(ctx.workspace)
        entry = lock.get(pack_id)
        if entry is None:
            installed = ", ".join(sorted(lock.packs)) or "none"
            raise ToolError(f"pack {pack_id!r} is not installed (installed packs: {installed})")
        return _row(ctx, market, entry)

    return json.dumps(await ctx.run_sync(collect), indent=2)


async def complete_id(prefix: str, ctx: ToolContext) -> list[str]:
    """Completion of ``{id}``: the installed packs' ids."""
    from ggen_market.lockfile import read_lockfile

    lock = await ctx.run_sync(read_lockfile, ctx.workspace)
    return [quote(pack_id, safe="") for pack_id in sorted(lock.packs) if pack_id.startswith(prefix)]


def template_names(market: Market, pack_id: str, version: str) -> list[str]:
    """The names ``ggen://templates`` lists an installed pack's templates by (``<id>:<path in the pack>``)."""
    from ggen_market.errors import MarketError
    from ggen_market.manifest import read_manifest, template_files

    directory = market.layout.pack_dir(pack_id, version)
    try:
        return [f"{pack_id}:{path}" for path in template_files(directory, read_manifest(directory))]
    except (MarketError, OSError):
        return []


async def announce_installed(ctx: ToolContext, market: Market, packs: Iterable[tuple[str, str]]) -> None:
    """Announce packs (id, version) now on disk, with their templates."""
    chosen = list(packs)

    def names() -> list[str]:
        return [name for pack_id, version in chosen for name in template_names(market, pack_id, version)]

    await announce_packs(ctx, [pack_id for pack_id, _ in chosen], await ctx.run_sync(names))


def installed_template_names(ctx: ToolContext, market: Market) -> dict[str, list[str]]:
    """Each installed pack's template names (taken before a removal deletes their files)."""
    from ggen_market.lockfile import read_lockfile

    lock = read_lockfile(ctx.workspace)
    return {entry.id: template_names(market, entry.id, entry.version) for entry in lock.packs.values()}


async def announce_packs(ctx: ToolContext, pack_ids: Iterable[str], templates: Iterable[str] = ()) -> None:
    """``notifications/resources/updated`` after packs were installed, replaced or removed: ``ggen://packs``,
    each pack's URI and, when templates came or went, ``ggen://templates`` and each of theirs."""
    uris = [PACKS, *map(pack_uri, pack_ids)]
    names = list(templates)
    if names:
        uris += [TEMPLATES, *(f"{TEMPLATES}/{quote(name, safe='')}" for name in names)]
    await ctx.resource_changed(*uris)


async def read_index(ctx: ToolContext) -> str:
    """The registry's cached index as JSON (refreshed first when stale and reachable)."""
    from ggen_market.tools.common import market_for

    market = market_for(ctx)
    view = await market.index("auto")
    store = await market.store()
    document = json.loads(await ctx.run_sync(store.index_path.read_bytes))
    document["_cache"] = {"registry": view.registry.url, "stale": view.stale, "note": view.note}
    return json.dumps(document, indent=2, sort_keys=True)
