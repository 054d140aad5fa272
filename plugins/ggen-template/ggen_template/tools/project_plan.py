"""``project_plan``: render and plan a generation, saving every action's content for ``project_apply``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ggen_mcp_core import ToolSpec
from ggen_template.tools.common import WRITE, WRITING, ProjectInput, command_warnings, generator_of

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.generate import Prepared
    from ggen_template.settings import TemplateSettings


class ProjectPlanInput(ProjectInput):
    """Arguments of ``project_plan``."""

    force: bool = Field(False, description="Plan overwrites.")


class PlannedAction(BaseModel):
    """One file the plan creates, overwrites, injects into or skips."""

    type: Literal["create", "overwrite", "inject", "skip"] = Field(description="What happens to the file.")
    path: str = Field(description="Workspace path.")
    template: str = Field(description="The template that rendered it.")
    preview: str = Field(description="The first lines of what will be written.")
    reason: str | None = Field(None, description="Why a file is skipped.")
    sha256: str | None = Field(None, description="sha256 of the content to write.")
    before_sha256: str | None = Field(None, description="sha256 of the file as it was (null: absent).")


class ProjectPlanOutput(BaseModel):
    """The saved plan."""

    plan_id: str = Field(description="Pass to project_apply.")
    plan_path: str = Field(description="Workspace path of the saved plan.")
    actions: list[PlannedAction] = Field(default_factory=list, description="Every file, in write order.")
    estimated_files: int = Field(description="Files the plan writes (creates, overwrites, injections).")
    warnings: list[str] = Field(default_factory=list, description="Things worth a look, commands it would run.")


async def project_plan(args: ProjectPlanInput, ctx: ToolContext[TemplateSettings]) -> ProjectPlanOutput:
    """Render and plan without writing the files; save the plan with every content for project_apply."""
    from ggen_template.generate import Job
    from ggen_template.saved_plans import build_plan, new_plan_id, save_plan

    job = Job(args.template, dict(args.vars), args.output, args.seed, args.graph, args.force)
    prepared: Prepared = await ctx.run_sync(generator_of(ctx).prepare, job)
    planned = prepared.planned
    await ctx.progress(1, 2, f"rendered {len(planned.actions)} file(s)")
    plan = build_plan(
        new_plan_id(),
        template=args.template,
        output=ctx.workspace.relative(prepared.root),
        variables=dict(args.vars),
        seed=args.seed,
        graph=args.graph,
        actions=planned.actions,
    )
    path = await ctx.run_sync(save_plan, ctx.workspace, plan, ctx.settings.max_saved_plans)
    await ctx.progress(2, 2, "plan saved")
    actions = [
        PlannedAction(
            type=a.type,
            path=a.path,
            template=a.template,
            preview=a.preview(),
            reason=a.reason,
            sha256=a.sha256,
            before_sha256=a.before_sha256,
        )
        for a in planned.actions
    ]
    return ProjectPlanOutput(
        plan_id=plan.plan_id,
        plan_path=path,
        actions=actions,
        estimated_files=len(planned.paths(*WRITING)),
        warnings=planned.warnings + command_warnings(planned, ctx),
    )


def spec(settings: TemplateSettings) -> ToolSpec:
    """project_plan's registration."""
    return ToolSpec(
        name="project_plan",
        title="Plan a generation",
        description="Plan a generation for project_apply.",
        input_model=ProjectPlanInput,
        output_model=ProjectPlanOutput,
        handler=project_plan,
        scopes=WRITE,
    )
