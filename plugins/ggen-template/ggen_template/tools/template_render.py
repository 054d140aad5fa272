"""``template_render``: a template or set rendered with variables, returned and not written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ggen_mcp_core import ToolSpec
from ggen_template.tools.common import READ, RenderInput, generator_of

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings


class TemplateRenderInput(RenderInput):
    """Arguments of ``template_render``."""


class RenderedFileInfo(BaseModel):
    """One rendered file."""

    path: str = Field(description="Output path, relative to the output folder.")
    template: str = Field(description="The template that rendered it.")
    mode: Literal["write", "inject"] = Field(description="Written whole, or injected into an existing file.")
    content: str = Field(description="The rendered text (for an injection: the snippet).")
    bytes: int = Field(description="Size in bytes (UTF-8).")


class TemplateRenderOutput(BaseModel):
    """The rendered files."""

    files: list[RenderedFileInfo] = Field(default_factory=list, description="Each rendered file.")
    variables_used: dict[str, Any] = Field(default_factory=dict, description="Variables after defaults.")
    warnings: list[str] = Field(default_factory=list, description="Templates skipped and why.")


async def template_render(args: TemplateRenderInput, ctx: ToolContext[TemplateSettings]) -> TemplateRenderOutput:
    """Render a template or set with variables and return the files; nothing is written."""
    await ctx.progress(0, 1, "rendering")
    output: TemplateRenderOutput = await ctx.run_sync(_render, args, ctx)
    await ctx.progress(1, 1, f"rendered {len(output.files)} file(s)")
    return output


def _render(args: TemplateRenderInput, ctx: ToolContext[TemplateSettings]) -> TemplateRenderOutput:
    from ggen_template.generate import Job, variables_used

    job = Job(args.template, dict(args.vars), seed=args.seed, graph=args.graph)
    _, rendered = generator_of(ctx).render(job)
    files, warnings = [], []
    for item in rendered:
        warnings += item.notes
        if item.output is None:
            warnings.append(f"{item.source.name} skipped: {item.skip_reason}")
            continue
        files.append(
            RenderedFileInfo(
                path=item.output,
                template=item.source.name,
                mode="inject" if item.front_matter.inject else "write",
                content=item.content,
                bytes=len(item.content.encode("utf-8")),
            )
        )
    return TemplateRenderOutput(files=files, variables_used=variables_used(rendered), warnings=warnings)


def spec(settings: TemplateSettings) -> ToolSpec:
    """template_render's registration."""
    return ToolSpec(
        name="template_render",
        title="Render a template",
        description="Render templates; return files, write none.",
        input_model=TemplateRenderInput,
        output_model=TemplateRenderOutput,
        handler=template_render,
        read_only=True,
        scopes=READ,
    )
