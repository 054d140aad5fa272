"""The graph_* tools: one module per tool (input model, output model, handler, spec); this collects the specs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolSpec


def tool_specs(settings: GraphSettings) -> list[ToolSpec]:
    """Every graph tool, in the order they are served."""
    from ggen_graph.tools import clear, export, graph_list, load, query, stats, update, validate

    return [
        load.spec(settings),
        query.spec(settings),
        update.spec(settings),
        export.spec(settings),
        validate.spec(settings),
        stats.spec(settings),
        graph_list.spec(settings),
        clear.spec(settings),
    ]
