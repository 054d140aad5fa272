"""The template pack's tools, one module each (named for the tool); this module only names where their specs
are: each module is imported on its tool's first use (docs/plugins.md, "Tools imported on first use")."""

from __future__ import annotations

from ggen_mcp_core import ToolRef


def tool_specs() -> list[ToolRef]:
    """Every template_* and project_* tool, in the order they are served (each ``spec`` is a function of the
    template settings)."""
    return [
        ToolRef("template_create", "ggen_template.tools.template_create:spec"),
        ToolRef("template_validate", "ggen_template.tools.template_validate:spec"),
        ToolRef("template_list", "ggen_template.tools.template_list:spec"),
        ToolRef("template_show", "ggen_template.tools.template_show:spec"),
        ToolRef("template_render", "ggen_template.tools.template_render:spec"),
        ToolRef("project_gen", "ggen_template.tools.project_gen:spec"),
        ToolRef("project_plan", "ggen_template.tools.project_plan:spec"),
        ToolRef("project_apply", "ggen_template.tools.project_apply:spec"),
        ToolRef("project_diff", "ggen_template.tools.project_diff:spec"),
    ]
