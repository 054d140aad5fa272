"""The ggen-template plugin: hook implementations only; heavy imports happen inside handlers.

Handlers live in :mod:`ggen_template.tools_template` and :mod:`ggen_template.tools_project`; they are
imported on first call, so loading the plugin imports neither Jinja2, PyYAML nor the RDF engine.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from ggen_mcp_core import ToolContext, ToolSpec, hookimpl
from ggen_template import models as m
from ggen_template.settings import SECTION, TemplateSettings

TOOL_PREFIXES = ("template_", "project_")
SETTINGS_SECTION = (SECTION, TemplateSettings)
READ = ("template:read",)
WRITE = ("template:write",)


def _lazy(module: str, function: str) -> Any:
    async def handler(args: Any, ctx: ToolContext) -> Any:
        implementation = getattr(importlib.import_module(f"ggen_template.{module}"), function)
        return await implementation(args, ctx)

    handler.__name__ = function
    handler.__doc__ = f"Runs ggen_template.{module}.{function}."
    return handler


@hookimpl
def ggen_register_tools() -> list[ToolSpec]:
    """The template_* and project_* tools."""
    return [
        ToolSpec(
            name="template_create",
            title="Create a template",
            description="Validate a template (YAML front matter + Jinja2 body) and save it as "
            "templates/<name>.tmpl in the workspace; refuses invalid templates (listing each error "
            "with its line) and existing names unless force=true.",
            input_model=m.TemplateCreateInput,
            output_model=m.TemplateCreateOutput,
            handler=_lazy("tools_template", "template_create"),
            destructive=True,
            scopes=WRITE,
        ),
        ToolSpec(
            name="template_validate",
            title="Validate a template",
            description="Check a template file, set or text: YAML and Jinja syntax errors, unknown front-matter "
            "keys (with did-you-mean), SPARQL and Turtle syntax, missing rdf/shape files, variables "
            "used but never declared. Returns valid, errors and warnings with line and column, "
            "variables_detected and the front matter.",
            input_model=m.TemplateValidateInput,
            output_model=m.TemplateValidateOutput,
            handler=_lazy("tools_template", "template_validate"),
            read_only=True,
            scopes=READ,
        ),
        ToolSpec(
            name="template_list",
            title="List templates",
            description="List the workspace's templates/ and installed packs' templates with description, "
            "tags and the variables each needs (name, description, required, default).",
            input_model=m.TemplateListInput,
            output_model=m.TemplateListOutput,
            handler=_lazy("tools_template", "template_list"),
            read_only=True,
            scopes=READ,
        ),
        ToolSpec(
            name="template_show",
            title="Show a template",
            description="Show one template: its front matter (parsed and as written), its body and its variables.",
            input_model=m.TemplateShowInput,
            output_model=m.TemplateShowOutput,
            handler=_lazy("tools_template", "template_show"),
            read_only=True,
            scopes=READ,
        ),
        ToolSpec(
            name="template_render",
            title="Render a template",
            description="Render a template or template set with variables (front-matter RDF and SPARQL "
            "included) and return each output path and content; nothing is written.",
            input_model=m.TemplateRenderInput,
            output_model=m.TemplateRenderOutput,
            handler=_lazy("tools_template", "template_render"),
            read_only=True,
            scopes=READ,
        ),
        ToolSpec(
            name="project_gen",
            title="Generate files from templates",
            description="Render a template, a template folder or an installed pack's pack-id:path and write "
            "the files under output, all or nothing (existing files need force; MANUAL regions keep "
            "their edits; inject modifies files in place). Returns files_created, files_modified, "
            "files_injected, files_skipped, variables_used, duration_ms. dry_run writes nothing.",
            input_model=m.ProjectGenInput,
            output_model=m.ProjectGenOutput,
            handler=_lazy("tools_project", "project_gen"),
            destructive=True,
            open_world=True,  # lifecycle hooks and sh_before/sh_after run commands
            scopes=WRITE,
        ),
        ToolSpec(
            name="project_plan",
            title="Plan a generation",
            description="Render and plan a generation without touching the files: saves "
            ".ggen/plans/<plan_id>.json with every action's full content and sha256, and returns "
            "plan_id, actions (create/overwrite/inject/skip with a preview) and estimated_files.",
            input_model=m.ProjectPlanInput,
            output_model=m.ProjectPlanOutput,
            handler=_lazy("tools_project", "project_plan"),
            scopes=WRITE,
        ),
        ToolSpec(
            name="project_apply",
            title="Apply a saved plan",
            description="Write exactly the content a saved plan (id or path) holds, all or nothing; refuses, "
            "naming the file, when a target changed since planning unless force=true.",
            input_model=m.ProjectApplyInput,
            output_model=m.ProjectApplyOutput,
            handler=_lazy("tools_project", "project_apply"),
            destructive=True,
            open_world=True,  # lifecycle hooks and sh_before/sh_after run commands
            scopes=WRITE,
        ),
        ToolSpec(
            name="project_diff",
            title="Diff generated files against disk",
            description="Render a template or set and return unified diffs against the files in target (a "
            "workspace folder), or the message 'no differences'. Nothing is written.",
            input_model=m.ProjectDiffInput,
            output_model=m.ProjectDiffOutput,
            handler=_lazy("tools_project", "project_diff"),
            read_only=True,
            scopes=READ,
        ),
    ]


@hookimpl
def ggen_register_commands(cli: click.Group) -> None:
    """``ggen-mcp pack new NAME``: a third-party pack in the one pack layout, rendered by this pack's engine."""
    from ggen_template.scaffold import add_commands

    add_commands(cli)
