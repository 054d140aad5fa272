"""The ggen-market plugin: hook implementations only; heavy imports happen inside handlers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ggen_market.settings import MarketSettings
from ggen_mcp_core import ResourceSpec, ResourceTemplateSpec, ToolRef, hookimpl

if TYPE_CHECKING:
    import click

TOOL_PREFIXES = ("market_",)
SETTINGS_SECTION = ("market", MarketSettings)


@hookimpl
def ggen_register_tools() -> list[ToolRef]:
    """market_search, _list, _info, _recommend, _install, _remove, _update, _sync, _cache_status."""
    from ggen_market.tools import tool_specs

    return tool_specs()


@hookimpl
def ggen_register_resources() -> list[ResourceSpec | ResourceTemplateSpec]:
    """``ggen://packs``, ``ggen://packs/{id}`` and ``ggen://market/index``."""
    from ggen_market.resources import complete_id, read_index, read_pack, read_packs

    return [
        ResourceSpec(
            uri="ggen://packs",
            name="packs",
            title="Installed template packs",
            description="Packs pinned in ggen.lock with path, integrity and template references.",
            mime_type="application/json",
            reader=read_packs,
        ),
        ResourceTemplateSpec(
            uri_template="ggen://packs/{id}",
            name="pack",
            title="An installed template pack",
            description="One pack pinned in ggen.lock, as ggen://packs lists it (the id URL-encoded).",
            mime_type="application/json",
            reader=read_pack,
            complete={"id": complete_id},
        ),
        ResourceSpec(
            uri="ggen://market/index",
            name="market-index",
            title="Cached registry index",
            description="The template-pack registry's index.json as cached in this workspace.",
            mime_type="application/json",
            reader=read_index,
        ),
    ]


@hookimpl
def ggen_resolve_template(ref: str, workspace: Path) -> Path | None:
    """``<pack-id>:<path>`` -> the file in the version of that pack pinned in ggen.lock (``..`` refused)."""
    from ggen_market.store import resolve_template_ref

    return resolve_template_ref(ref, Path(workspace))


@hookimpl
def ggen_register_commands(cli: click.Group) -> None:
    """``ggen-mcp market build-registry SRC_DIR OUT_DIR`` and ``ggen-mcp market hash PACK_DIR``."""
    from ggen_market.cli import add_commands

    add_commands(cli)
