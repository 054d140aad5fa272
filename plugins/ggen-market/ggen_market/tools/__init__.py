"""The market pack's tools, one module each (named for the tool); this module only names where their specs are:
each module is imported on its tool's first use (docs/plugins.md, "Tools imported on first use")."""

from __future__ import annotations

from ggen_mcp_core import ToolRef


def tool_specs() -> list[ToolRef]:
    """Every market tool, in the order they are served (each ``spec`` is a function of the market settings)."""
    return [
        ToolRef("market_search", "ggen_market.tools.market_search:spec"),
        ToolRef("market_list", "ggen_market.tools.market_list:spec"),
        ToolRef("market_info", "ggen_market.tools.market_info:spec"),
        ToolRef("market_recommend", "ggen_market.tools.market_recommend:spec"),
        ToolRef("market_install", "ggen_market.tools.market_install:spec"),
        ToolRef("market_remove", "ggen_market.tools.market_remove:spec"),
        ToolRef("market_update", "ggen_market.tools.market_update:spec"),
        ToolRef("market_sync", "ggen_market.tools.market_sync:spec"),
        ToolRef("market_cache_status", "ggen_market.tools.market_cache_status:spec"),
    ]
