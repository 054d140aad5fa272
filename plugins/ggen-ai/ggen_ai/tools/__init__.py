"""The ai_* tools, one module each; this module only names where their specs are: each module is imported on
its tool's first use (docs/plugins.md, "Tools imported on first use")."""

from __future__ import annotations

from ggen_mcp_core import ToolRef


def tool_specs() -> list[ToolRef]:
    """The seven ai_* tools (the predecessor's names); each ``spec`` is a function of the AI settings."""
    return [
        ToolRef("ai_generate_ontology", "ggen_ai.tools.ai_generate_ontology:spec"),
        ToolRef("ai_extend_graph", "ggen_ai.tools.ai_extend_graph:spec"),
        ToolRef("ai_generate_sparql", "ggen_ai.tools.ai_generate_sparql:spec"),
        ToolRef("ai_generate_template", "ggen_ai.tools.ai_generate_template:spec"),
        ToolRef("ai_generate_project", "ggen_ai.tools.ai_generate_project:spec"),
        ToolRef("ai_validate_and_improve", "ggen_ai.tools.ai_validate_and_improve:spec"),
        ToolRef("ai_list_providers", "ggen_ai.tools.ai_list_providers:spec"),
    ]
