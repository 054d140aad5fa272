"""The ai_* tools, one module each; this module only collects their registrations."""

from __future__ import annotations

from ggen_ai.settings import AiSettings
from ggen_ai.tools import (
    ai_extend_graph,
    ai_generate_ontology,
    ai_generate_project,
    ai_generate_sparql,
    ai_generate_template,
    ai_list_providers,
    ai_validate_and_improve,
)
from ggen_mcp_core import ToolSpec


def tool_specs(settings: AiSettings) -> list[ToolSpec]:
    """The seven ai_* tools (the predecessor's names)."""
    return [
        ai_generate_ontology.spec(settings),
        ai_extend_graph.spec(settings),
        ai_generate_sparql.spec(settings),
        ai_generate_template.spec(settings),
        ai_generate_project.spec(settings),
        ai_validate_and_improve.spec(settings),
        ai_list_providers.spec(settings),
    ]
