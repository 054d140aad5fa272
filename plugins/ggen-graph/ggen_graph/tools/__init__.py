"""The graph_* tools: one module per tool (input model, output model, handler, spec); this module only names
where their specs are: each module is imported on its tool's first use (docs/plugins.md, "Tools imported on
first use")."""

from __future__ import annotations

from ggen_mcp_core import ToolRef


def tool_specs() -> list[ToolRef]:
    """Every graph tool, in the order they are served (each ``spec`` is a function of the graph settings)."""
    return [
        ToolRef("graph_load", "ggen_graph.tools.load:spec"),
        ToolRef("graph_query", "ggen_graph.tools.query:spec"),
        ToolRef("graph_update", "ggen_graph.tools.update:spec"),
        ToolRef("graph_export", "ggen_graph.tools.export:spec"),
        ToolRef("graph_validate", "ggen_graph.tools.validate:spec"),
        ToolRef("graph_stats", "ggen_graph.tools.stats:spec"),
        ToolRef("graph_list", "ggen_graph.tools.graph_list:spec"),
        ToolRef("graph_clear", "ggen_graph.tools.clear:spec"),
    ]
