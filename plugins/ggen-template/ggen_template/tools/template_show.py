"""``template_show``: one template's front matter, body and variables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from ggen_mcp_core import ToolError, ToolSpec
from ggen_template.models import TemplateDetails
from ggen_template.tools.common import READ, Input, TemplateRef

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings


class TemplateShowInput(Input):
    """Arguments of ``template_show``."""

    template: str = TemplateRef


class TemplateShowOutput(TemplateDetails):
    """One template as written, with what it needs."""

    template: str = Field(description="The template shown.")
    path: str = Field(description="Workspace path of the file.")


async def template_show(args: TemplateShowInput, ctx: ToolContext[TemplateSettings]) -> TemplateShowOutput:
    """Show one template's front matter, body and variables."""
    return await ctx.run_sync(_show, args, ctx)


def _show(args: TemplateShowInput, ctx: ToolContext[TemplateSettings]) -> TemplateShowOutput:
    from ggen_template import catalog
    from ggen_template.sources import locate
    from ggen_template.tools.common import checker_of

    settings = ctx.settings
    template_set = locate(args.template, ctx.workspace, settings, ctx.host.resolve_template)
    if template_set.is_directory:
        names = ", ".join(s.name for s in template_set.sources[:20])
        raise ToolError(f"{args.template!r} is a template set; show one of its templates: {names}")
    source = template_set.sources[0]
    details = catalog.details(source, ctx.workspace, settings, checker_of(ctx))
    return TemplateShowOutput(
        template=source.name, path=ctx.workspace.relative(source.path), **details.model_dump(mode="python")
    )


def spec(settings: TemplateSettings) -> ToolSpec:
    """template_show's registration."""
    return ToolSpec(
        name="template_show",
        title="Show a template",
        description="Show a template's front matter, body, variables.",
        input_model=TemplateShowInput,
        output_model=TemplateShowOutput,
        handler=template_show,
        read_only=True,
        scopes=READ,
    )
