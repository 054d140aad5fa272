"""The rules every pack keeps (names, schemas, annotations, no heavy imports at plugin import)."""

from __future__ import annotations

from ggen_mcp_core.testing import ToolFamilyConformance


class TestMarketConformance(ToolFamilyConformance):
    plugin = "market"
    prefixes = ("market_",)
    heavy_modules = ("httpx", "yaml", "rdflib", "pyoxigraph", "jinja2", "tarfile", "ggen_market.net", "ggen_market.market")
    expected_tools = (
        "market_search",
        "market_list",
        "market_info",
        "market_recommend",
        "market_install",
        "market_remove",
        "market_update",
        "market_cache_status",
        "market_sync",
    )
