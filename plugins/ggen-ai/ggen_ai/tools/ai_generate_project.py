"""ai_generate_project: a description -> an ontology (loaded), a template set (saved) and a project_plan. Nothing
is generated until the client calls project_apply with the plan: the plan/apply contract holds for AI output."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.ai_generate_ontology import SYSTEM as ONTOLOGY_SYSTEM
from ggen_ai.tools.common import DESCRIPTION, AiInput
from ggen_ai.validators import check_template, check_turtle
from ggen_mcp_core import ToolContext, ToolSpec

NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"
MAX_TEMPLATES = 20
TEMPLATES_SYSTEM = (
    'You write ggen template sets. Answer with one ```json block: {"templates": [{"name": "...", "content": "..."}]}. '
    "Each content: YAML front matter between --- lines (to: output path; sparql: named SELECT queries read as "
    "sparql_results.<name>) and a Jinja2 body."
)


class ProjectInput(AiInput):
    description: str = DESCRIPTION
    name: str = Field(pattern=NAME, description="Project name")
    language: str = Field("python", max_length=50, description="Language")
    framework: str | None = Field(None, max_length=100, description="Framework")
    output_dir: str = Field(".", min_length=1, max_length=1000, description="Output folder")


class ProjectOutput(BaseModel):
    project_name: str = Field(description="The `name` argument.")
    language: str = Field(description="Target language.")
    framework: str | None = Field(description="Target framework, if any.")
    valid: bool = Field(description="Both loops ended valid and the plan was made.")
    graph: str | None = Field(description="The named graph the ontology was loaded into.")
    templates: list[str] = Field(description="Saved templates (template_create).")
    plan_id: str | None = Field(description="Pass to project_apply to write the files.")
    files: list[str] = Field(description="Files the plan would write.")
    output_directory: str = Field(description="The `output_dir` the plan writes under.")
    ontology_loop: LoopReport = Field(description="The ontology loop (rounds, validators, final problems).")
    templates_loop: LoopReport | None = Field(description="The template-set loop; none if the ontology failed.")


def parse_set(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """The template set in a JSON answer, and what is wrong with its shape."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], [f"not JSON: {exc}"]
    items = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_TEMPLATES:
        return [], [f'expected {{"templates": [...]}} with 1 to {MAX_TEMPLATES} templates']
    problems, found = [], []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(name, str) or not re.match(NAME, name) or not isinstance(content, str):
            problems.append(f"templates[{index}]: needs a name (letters, digits, _ -) and a content string")
        else:
            found.append({"name": name, "content": content})
    return found, problems


async def ai_generate_project(args: ProjectInput, ctx: ToolContext[AiSettings]) -> ProjectOutput:
    """Ontology loop, load, template-set loop, save, plan; never apply."""
    source = choose(ctx, args.provider)
    stack = f"{args.language}" + (f" with {args.framework}" if args.framework else "")
    task = f"Write the domain ontology of this {stack} project: {args.description}"

    async def turtle(text: str) -> Check:
        return await check_turtle(ctx, text)

    ontology = await run_loop(
        ctx, source, task=task, system=ONTOLOGY_SYSTEM, validate=turtle, max_iterations=ctx.settings.max_iterations
    )
    result: dict[str, Any] = {
        "project_name": args.name,
        "language": args.language,
        "framework": args.framework,
        "output_directory": args.output_dir,
        "ontology_loop": ontology.report,
    }
    if not ontology.report.valid:
        return ProjectOutput(
            valid=False, graph=None, templates=[], plan_id=None, files=[], templates_loop=None, **result
        )
    graph = f"urn:ggen-ai:project:{args.name}"
    await ctx.call_tool("graph_load", {"content": ontology.content, "format": "turtle", "graph": graph})

    async def template_set(text: str) -> Check:
        items, problems = parse_set(text)
        validators = ["json template set"]
        for item in items:
            check = await check_template(ctx, item["content"])
            validators = ["json template set", *check.validators]
            problems += [f"{item['name']}: {p}" for p in check.problems]
        return Check(problems=problems, validators=validators, data={"templates": items})

    templates_task = (
        f"Write the templates that generate this {stack} project from its ontology (the named graph {graph}):\n"
        f"{args.description}\nThe ontology:\n```turtle\n{ontology.content}```"
    )
    templates = await run_loop(
        ctx,
        source,
        task=templates_task,
        system=TEMPLATES_SYSTEM,
        validate=template_set,
        max_iterations=ctx.settings.max_iterations,
        rounds_before=len(ontology.report.rounds),
    )
    if not templates.report.valid:
        return ProjectOutput(
            valid=False, graph=graph, templates=[], plan_id=None, files=[], templates_loop=templates.report, **result
        )
    saved = []
    for item in parse_set(templates.content)[0]:
        created = await ctx.call_tool(
            "template_create", {"name": f"{args.name}/{item['name']}", "content": item["content"]}
        )
        saved.append(str(created["path"]) if isinstance(created, dict) else item["name"])
    plan = await ctx.call_tool("project_plan", {"template": args.name, "graph": graph, "output": args.output_dir})
    assert isinstance(plan, dict)
    files = [str(a["path"]) for a in plan.get("actions", []) if a.get("type") != "skip"]
    return ProjectOutput(
        valid=True,
        graph=graph,
        templates=saved,
        plan_id=str(plan["plan_id"]),
        files=files,
        templates_loop=templates.report,
        **result,
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_generate_project's registration."""
    return ToolSpec(
        name="ai_generate_project",
        description="Ontology, templates and a project_plan from a description.",
        input_model=ProjectInput,
        output_model=ProjectOutput,
        handler=ai_generate_project,
        timeout=settings.timeout,
    )
