"""The ggen-graph plugin: hook implementations only; pyoxigraph, rdflib and httpx load inside handlers."""

from __future__ import annotations

from ggen_mcp_core import ResourceSpec, ResourceTemplateSpec, Settings, ToolSpec, hookimpl

TOOL_PREFIXES = ("graph_",)


@hookimpl
def ggen_register_tools(config: Settings) -> list[ToolSpec]:
    """graph_load, graph_query, graph_update, graph_export, graph_validate, graph_stats, graph_list, graph_clear."""
    from ggen_graph.settings import GraphSettings
    from ggen_graph.tools import tool_specs

    return tool_specs(config.section("graph", GraphSettings))


@hookimpl
def ggen_register_resources(config: Settings) -> list[ResourceSpec | ResourceTemplateSpec]:
    """ggen://graphs and ggen://graphs/{name}."""
    from ggen_graph.resources import resource_specs

    return resource_specs()
