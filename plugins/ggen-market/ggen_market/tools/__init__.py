"""The market pack's tools, one module each (named for the tool); this module only collects their specs."""

from __future__ import annotations

from ggen_market.settings import MarketSettings
from ggen_market.tools import (
    market_cache_status,
    market_info,
    market_install,
    market_list,
    market_recommend,
    market_remove,
    market_search,
    market_sync,
    market_update,
)
from ggen_mcp_core import ToolSpec


def tool_specs(settings: MarketSettings) -> list[ToolSpec]:
    """Every market tool, in the order they are served."""
    return [
        market_search.spec(settings),
        market_list.spec(settings),
        market_info.spec(settings),
        market_recommend.spec(settings),
        market_install.spec(settings),
        market_remove.spec(settings),
        market_update.spec(settings),
        market_sync.spec(settings),
        market_cache_status.spec(settings),
    ]
