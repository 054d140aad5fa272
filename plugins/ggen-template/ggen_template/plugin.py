"""The ggen-template plugin: hook implementations only; the modules doing the work load on first use.

Building the tool specs imports neither Jinja2, PyYAML nor the RDF engine: the tool modules import them
inside their handlers.
"""

from __future__ import annotations

import click

from ggen_mcp_core import ResourceSpec, ResourceTemplateSpec, ToolRef, hookimpl
from ggen_template.settings import SECTION, TemplateSettings

TOOL_PREFIXES = ("template_", "project_")
SETTINGS_SECTION = (SECTION, TemplateSettings)


@hookimpl
def ggen_register_tools() -> list[ToolRef]:
    """template_create, template_validate, template_list, template_show, template_render, project_gen,
    project_plan, project_apply, project_diff."""
    from ggen_template.tools import tool_specs

    return tool_specs()


@hookimpl
def ggen_register_resources() -> list[ResourceSpec | ResourceTemplateSpec]:
    """``ggen://templates`` and ``ggen://templates/{name}``."""
    from ggen_template.resources import resource_specs

    return resource_specs()


@hookimpl
def ggen_register_commands(cli: click.Group) -> None:
    """``ggen-mcp pack new NAME``: a third-party pack in the one pack layout, rendered by this pack's engine."""
    from ggen_template.scaffold import add_commands

    add_commands(cli)
