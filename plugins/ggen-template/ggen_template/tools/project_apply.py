"""``project_apply``: write exactly what a saved plan holds, all or nothing.

``pre_apply``/``post_apply`` lifecycle events surround the write, as ``pre_gen``/``post_gen`` do for
``project_gen``. Progress: one step for reading the plan, one per file staged, one for the commit.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pydantic import Field

from ggen_mcp_core import ToolSpec
from ggen_template.tools.common import (
    WRITE,
    WRITING,
    GenerationResult,
    Input,
    elapsed_ms,
    event_data,
    post_event,
    staged_progress,
    write,
    written_result,
)

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings


class ProjectApplyInput(Input):
    """Arguments of ``project_apply``."""

    plan: str = Field(min_length=1, max_length=1000, description="plan_id or plan file.")
    force: bool = Field(False, description="Ignore changes since.")


class ProjectApplyOutput(GenerationResult):
    """What the plan wrote."""

    plan_id: str = Field(description="The plan applied.")


async def project_apply(args: ProjectApplyInput, ctx: ToolContext[TemplateSettings]) -> ProjectApplyOutput:
    """Write exactly what a saved plan holds; refuse, naming the file, when a target changed since."""
    from ggen_template.saved_plans import load_plan
    from ggen_template.writer import SetWriter

    started = time.perf_counter()
    plan = await ctx.run_sync(load_plan, ctx.workspace, args.plan)
    actions = plan.to_actions()
    writing = list(dict.fromkeys(a.path for a in actions if a.type in WRITING))
    total = len(writing) + 2
    await ctx.progress(1, total, f"read plan {plan.plan_id}")
    data = event_data("project_apply", plan.output, plan.vars, actions, plan_id=plan.plan_id)
    await ctx.hook("pre_apply", template=plan.template, files=writing, data=data)
    writer = SetWriter(ctx.workspace, ctx.settings, output=plan.output, on_staged=staged_progress(ctx, 1, total))
    report = await write(ctx, writer, actions, force=args.force)
    await ctx.progress(total, total, f"wrote {len(writing)} files")
    warnings = list(report.warnings)
    await post_event(ctx, "post_apply", warnings, template=plan.template, files=writing, data=data)
    return ProjectApplyOutput(
        **written_result(report),
        variables_used=plan.vars,
        dry_run=False,
        duration_ms=elapsed_ms(started),
        warnings=warnings,
        plan_id=plan.plan_id,
    )


def spec(settings: TemplateSettings) -> ToolSpec:
    """project_apply's registration."""
    return ToolSpec(
        name="project_apply",
        title="Apply a saved plan",
        description="Write the files of a saved plan.",
        input_model=ProjectApplyInput,
        output_model=ProjectApplyOutput,
        handler=project_apply,
        destructive=True,
        open_world=True,  # lifecycle hooks and sh_before/sh_after run commands
        scopes=WRITE,
    )
