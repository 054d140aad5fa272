"""``template_create``: validate a template and save it as ``templates/<name>.tmpl``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator

from ggen_mcp_core import ToolError, ToolSpec
from ggen_template.models import Problem
from ggen_template.tools.common import WRITE, Input, checker_of

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings

TEMPLATE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$"


class TemplateCreateInput(Input):
    """Arguments of ``template_create``."""

    name: str = Field(
        min_length=1,
        max_length=200,
        pattern=TEMPLATE_NAME,
        description="Saved as templates/<name>.tmpl.",
    )
    content: str = Field(min_length=1, max_length=1024 * 1024, description="Front matter + Jinja2 body.")
    description: str | None = Field(None, max_length=2000, description="Its description.")
    tags: list[str] = Field(default_factory=list, max_length=50, description="Its tags.")
    force: bool = Field(False, description="Replace existing.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not tag.strip() or len(tag) > 100:
                raise ValueError("each tag is 1 to 100 characters")
        return value


class TemplateCreateOutput(BaseModel):
    """The saved template."""

    path: str = Field(description="Workspace path of the saved template.")
    overwritten: bool = Field(description="An existing template was replaced (force).")
    valid: bool = Field(description="Always true: invalid templates are refused.")
    warnings: list[Problem] = Field(default_factory=list, description="Findings that did not block saving.")
    variables_detected: list[str] = Field(default_factory=list, description="Variables the template uses.")


async def template_create(args: TemplateCreateInput, ctx: ToolContext[TemplateSettings]) -> TemplateCreateOutput:
    """Validate a template and save it as ``templates/<name>.tmpl``."""
    from ggen_template.resources import announce_change
    from ggen_template.sources import TEMPLATE_SUFFIXES

    created = await ctx.run_sync(_create, args, ctx)
    suffix = next((s for s in TEMPLATE_SUFFIXES if args.name.endswith(s)), "")
    await announce_change(ctx, args.name.removesuffix(suffix))  # listed without its suffix (template_list)
    return created


def _create(args: TemplateCreateInput, ctx: ToolContext[TemplateSettings]) -> TemplateCreateOutput:
    from ggen_template.sources import TEMPLATE_SUFFIXES

    settings = ctx.settings
    name = args.name if args.name.endswith(TEMPLATE_SUFFIXES) else f"{args.name}.tmpl"
    relative = f"{settings.templates_dir.rstrip('/')}/{name}"
    real = ctx.workspace.resolve_for_write(relative)
    existed = real.exists()
    if existed and not args.force:
        raise ToolError(f"template {relative} already exists; pass force=true to replace it")
    content = with_metadata(args.content, args.description, args.tags)
    report = checker_of(ctx).check(content, relative, real.parent)
    if not report.valid:
        raise ToolError(f"template {relative} was not saved: " + "; ".join(_shown(p) for p in report.errors))
    ctx.workspace.write_atomic(relative, content)
    return TemplateCreateOutput(
        path=relative,
        overwritten=existed,
        valid=True,
        warnings=report.warnings,
        variables_detected=report.variables_detected,
    )


def with_metadata(content: str, description: str | None, tags: list[str]) -> str:
    """``content`` with ``description`` and ``tags`` added to its front matter (created if absent)."""
    from ggen_template.frontmatter import split_template
    from ggen_template.frontmatter_outline import top_level_keys

    added: dict[str, Any] = {}
    if description is not None:
        added["description"] = description
    if tags:
        added["tags"] = tags
    if not added:
        return content
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in added.items()]
    split = split_template(content, name="content")
    if split.front_matter is None:
        return "---\n" + "".join(lines) + "---\n" + content
    present = top_level_keys(split.front_matter)
    for key in added:
        if key in present:
            raise ToolError(
                f"the content's front matter already has `{key}`; pass it there or as the argument, not both"
            )
    first, _, rest = content.removeprefix("\ufeff").partition("\n")
    return first + "\n" + "".join(lines) + rest


def _shown(problem: Problem) -> str:
    return f"line {problem.line}: {problem.message}" if problem.line is not None else problem.message


def spec(settings: TemplateSettings) -> ToolSpec:
    """template_create's registration."""
    return ToolSpec(
        name="template_create",
        title="Create a template",
        description="Validate and save a workspace template.",
        input_model=TemplateCreateInput,
        output_model=TemplateCreateOutput,
        handler=template_create,
        destructive=True,
        scopes=WRITE,
    )
