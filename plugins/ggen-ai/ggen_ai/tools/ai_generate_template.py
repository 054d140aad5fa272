"""ai_generate_template: a description (and a graph) -> a template the template pack accepts and that renders
against the graph (both in the loop: a refusal of either goes back to the model), saved only then, through the
template pack's own create path."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.common import DESCRIPTION, GRAPH, AiInput
from ggen_ai.validators import check_template_renders, schema_summary
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
    template: str = Field(description="The last answer (valid or not).")
    valid: bool = Field(description="It passed template_validate and rendered against `graph`, and was saved if asked.")
    output_file: str | None = Field(description="The saved template's path (template_create); none when not valid.")
    rendered_files: list[str] = Field(description="Files the template renders against `graph` (not written).")
    validation_errors: list[str] = Field(description="What is still wrong (the loop's final problems, a save refusal).")
    loop: LoopReport = Field(description="Every round, the validators run, why the loop stopped.")


def template_name(output_file: str) -> str:
    """``templates/api/model.tmpl`` -> ``api/model`` (template_create's name)."""
    name = output_file.removeprefix("templates/")
    for suffix in (".tmpl", ".j2"):
        name = name.removesuffix(suffix)
    return name


async def ai_generate_template(args: TemplateInput, ctx: ToolContext[AiSettings]) -> TemplateOutput:
    """Write a template; each answer is checked by template_validate and rendered against the graph; the first
    that passes both is saved (template_create) when output_file is given."""
    source = choose(ctx, args.provider)
    context = f"\nThe graph {args.graph} has {await schema_summary(ctx, args.graph)}" if args.graph else ""
    task = f"Write a template that: {args.description}{context}"

    async def validate(text: str) -> Check:
        return await check_template_renders(ctx, text, args.graph)

    outcome = await run_loop(
        ctx, source, task=task, system=SYSTEM, validate=validate, max_iterations=ctx.settings.max_iterations
    )
    saved: str | None = None
    problems = list(outcome.report.final_problems)
    found = outcome.check.data.get("rendered") if outcome.report.valid else None
    rendered = [str(f) for f in found] if isinstance(found, list) else []
    if outcome.report.valid and args.output_file is not None:
        try:
            created = await ctx.call_tool(
                "template_create", {"name": template_name(args.output_file), "content": outcome.content}
            )
        except ToolError as exc:
            problems.append(str(exc))
        else:
            saved = str(created["path"]) if isinstance(created, dict) else None
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
        description="Template that validates and renders; saved as output_file.",
        input_model=TemplateInput,
        output_model=TemplateOutput,
        handler=ai_generate_template,
        timeout=settings.timeout,
    )
