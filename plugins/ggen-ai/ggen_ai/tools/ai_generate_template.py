"""ai_generate_template: a description (and a graph) -> a template the template pack accepts, saved only
through its own create path, and rendered against the graph."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.common import DESCRIPTION, GRAPH, AiInput
from ggen_ai.validators import check_template, schema_summary
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

SYSTEM = (
    "You write ggen templates: YAML front matter between --- lines (to: output path; sparql: named SELECT "
    "queries whose rows the body reads as sparql_results.<name>), then a Jinja2 body. Answer with one fenced block."
)


class TemplateInput(AiInput):
    description: str = DESCRIPTION
    graph: str | None = GRAPH
    output_file: str | None = Field(None, min_length=1, max_length=200, description="Template name")


class TemplateOutput(BaseModel):
    template: str
    valid: bool
    output_file: str | None = Field(description="The saved template's path (template_create).")
    rendered_files: list[str] = Field(description="Files the template renders against `graph` (not written).")
    validation_errors: list[str]
    loop: LoopReport


def template_name(output_file: str) -> str:
    """``templates/api/model.tmpl`` -> ``api/model`` (template_create's name)."""
    name = output_file.removeprefix("templates/")
    for suffix in (".tmpl", ".j2"):
        name = name.removesuffix(suffix)
    return name


async def ai_generate_template(args: TemplateInput, ctx: ToolContext[AiSettings]) -> TemplateOutput:
    """Write a template, check it with template_validate; save and render it only when valid."""
    source = choose(ctx, args.provider)
    context = f"\nThe graph {args.graph} has {await schema_summary(ctx, args.graph)}" if args.graph else ""
    task = f"Write a template that: {args.description}{context}"

    async def validate(text: str) -> Check:
        return await check_template(ctx, text)

    outcome = await run_loop(
        ctx, source, task=task, system=SYSTEM, validate=validate, max_iterations=ctx.settings.max_iterations
    )
    saved: str | None = None
    rendered: list[str] = []
    problems = list(outcome.report.final_problems)
    if outcome.report.valid and args.output_file is not None:
        name = template_name(args.output_file)
        created = await ctx.call_tool("template_create", {"name": name, "content": outcome.content})
        saved = str(created["path"]) if isinstance(created, dict) else None
        if args.graph is not None:
            try:
                result = await ctx.call_tool("template_render", {"template": name, "graph": args.graph})
            except ToolError as exc:
                problems.append(str(exc))
            else:
                files = result.get("files", []) if isinstance(result, dict) else []
                rendered = [str(f["path"]) for f in files]
    return TemplateOutput(
        template=outcome.content,
        valid=outcome.report.valid and not problems,
        output_file=saved,
        rendered_files=rendered,
        validation_errors=problems,
        loop=outcome.report,
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_generate_template's registration."""
    return ToolSpec(
        name="ai_generate_template",
        description="Template from a description, validated; saved as output_file.",
        input_model=TemplateInput,
        output_model=TemplateOutput,
        handler=ai_generate_template,
        timeout=settings.timeout,
    )
