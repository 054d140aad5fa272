from __future__ import annotations

from ggen_mcp_core.testing import ToolFamilyConformance


class TestGraphConformance(ToolFamilyConformance):
    plugin = "graph"
    prefixes = ("graph_",)
    heavy_modules = ("pyoxigraph", "rdflib", "pyshacl", "ggen_graph.stores", "ggen_graph.remote_store")
    expected_tools = (
        "graph_load",
        "graph_query",
        "graph_update",
        "graph_export",
        "graph_validate",
        "graph_stats",
        "graph_list",
        "graph_clear",
    )
