"""The rules every pack keeps (names, schemas, annotations, no heavy imports at plugin import)."""

from __future__ import annotations

import json
import subprocess
import sys

from ggen_mcp_core.testing import ToolFamilyConformance


class TestMarketConformance(ToolFamilyConformance):
    plugin = "market"
    prefixes = ("market_",)
    heavy_modules = (
        "httpx",
        "yaml",
        "rdflib",
        "pyoxigraph",
        "jinja2",
        "tarfile",
        "ggen_market.net",
        "ggen_market.market",
    )
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


def test_building_the_specs_imports_nothing_heavy() -> None:
    """Registering the tools and building their specs (what a start without kept listings does) loads no HTTP
    client, parser or template engine."""
    code = (
        "import json, sys\n"
        "from ggen_market.plugin import ggen_register_tools\n"
        "from ggen_market.settings import MarketSettings\n"
        "from ggen_mcp_core.tool_refs import build\n"
        "specs = [build(ref, MarketSettings()) for ref in ggen_register_tools()]\n"
        "[spec.input_model.model_json_schema() for spec in specs]\n"
        "heavy = ('httpx', 'yaml', 'rdflib', 'pyoxigraph', 'jinja2', 'tarfile', 'ggen_market.transactions')\n"
        "print(json.dumps([len(specs), [m for m in heavy if m in sys.modules]]))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(output.stdout) == [9, []]
