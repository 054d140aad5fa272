"""The ``ggen://plugins`` resource: every plugin record, as ``ggen-mcp plugins --json --all`` prints it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ggen_mcp_core.config import Settings
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.resources import ResourceSpec

if TYPE_CHECKING:
    from ggen_mcp_core.tools import ToolContext


def _read_plugins(ctx: ToolContext) -> str:
    return json.dumps(ctx.host.plugin_dicts(), indent=2)


@hookimpl
def ggen_register_resources(config: Settings) -> list[ResourceSpec]:
    """Serve the plugin records."""
    return [
        ResourceSpec(
            uri="ggen://plugins",
            name="plugins",
            title="Loaded plugins",
            description="Every plugin with its distribution, version, status, error, hooks and tools.",
            mime_type="application/json",
            reader=_read_plugins,
        )
    ]
