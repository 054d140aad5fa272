"""ai_validate_and_improve: content + kind -> the real validator, then model rounds until it passes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import ModelSource, choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.common import GRAPH, AiInput
from ggen_ai.validators import check_json, check_python, check_sparql, check_template, check_turtle
from ggen_mcp_core import ToolContext, ToolSpec

Kind = Literal["turtle", "sparql", "template", "python", "sql", "json", "code"]
"""``code``: the predecessor's default name, checked as Python (this server's generated code)."""


class ImproveInput(AiInput):
    content: str = Field(min_length=1, max_length=1024 * 1024, description="Text to check")
    content_type: Kind = Field("python", description="Validator")
    max_iterations: int = Field(3, ge=1, le=10, description="Model rounds")
    graph: str | None = GRAPH


class ImproveOutput(BaseModel):
    content: str = Field(description="The last version (the given one when it was valid).")
    validated: bool = Field(description="The last version passes the validator.")
    iterations: int = Field(description="Model rounds run.")
    improvements_made: bool = Field(description="The model changed the content.")
    original_content_length: int = Field(description="Characters given.")
    improved_content_length: int = Field(description="Characters of the last version.")
    loop: LoopReport = Field(description="The validation loop: every round, the validators run, why it stopped.")


async def ai_validate_and_improve(args: ImproveInput, ctx: ToolContext[AiSettings]) -> ImproveOutput:
    """Validate the content; when it fails, model -> validator rounds with each round's problems."""

    async def validate(text: str) -> Check:
        if args.content_type == "turtle":
            return await check_turtle(ctx, text)
        if args.content_type == "sparql":
            return await check_sparql(ctx, text, args.graph)
        if args.content_type == "template":
            return await check_template(ctx, text)
        if args.content_type == "sql":
            from ggen_ai.sql_check import check_sql  # sqlite3 on first use (start-up, issue 16)

            return await ctx.run_sync(check_sql, text)
        return check_json(text) if args.content_type == "json" else check_python(text)

    first = await validate(args.content)
    source: ModelSource | None = choose(ctx, args.provider) if first.problems else None
    task = f"Fix this {args.content_type} so that it passes its validator; keep its intent."
    outcome = await run_loop(
        ctx,
        source,
        task=task,
        system=f"You repair {args.content_type}. Answer with one fenced block holding the whole fixed text.",
        validate=validate,
        max_iterations=args.max_iterations,
        given=args.content,
        given_check=first,
    )
    model_rounds = sum(1 for r in outcome.report.rounds if r.source == "model")
    return ImproveOutput(
        content=outcome.content,
        validated=outcome.report.valid,
        iterations=model_rounds,
        improvements_made=model_rounds > 0 and outcome.content != args.content,
        original_content_length=len(args.content),
        improved_content_length=len(outcome.content),
        loop=outcome.report,
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_validate_and_improve's registration."""
    return ToolSpec(
        name="ai_validate_and_improve",
        description="Validate content; the model fixes it in rounds.",
        input_model=ImproveInput,
        output_model=ImproveOutput,
        handler=ai_validate_and_improve,
        read_only=False,
        timeout=settings.timeout,
    )
