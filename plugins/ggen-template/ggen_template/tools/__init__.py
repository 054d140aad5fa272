"""The template pack's tools, one module each (named for the tool); this module only collects their specs."""

from __future__ import annotations

from ggen_mcp_core import ToolSpec
from ggen_template.settings import TemplateSettings
from ggen_template.tools import (
    project_apply,
    project_diff,
    project_gen,
    project_plan,
    template_create,
    template_list,
    template_render,
    template_show,
    template_validate,
)

MODULES = (
    template_create,
    template_validate,
    template_list,
    template_show,
    template_render,
    project_gen,
    project_plan,
    project_apply,
    project_diff,
)


def tool_specs(settings: TemplateSettings) -> list[ToolSpec]:
    """Every template_* and project_* tool, in the order they are served."""
    return [module.spec(settings) for module in MODULES]
