"""``project_gen``: render a template, a folder or a pack and write its files, all or nothing.

Lifecycle events go out through the host (``ctx.hook``): ``pre_gen`` before the first write (a raise aborts
the call) and ``post_gen`` after (a raise becomes a warning). Progress: one step for the render, one per
file staged, one for the commit.
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
    ProjectInput,
    command_warnings,
    elapsed_ms,
    event_data,
    generator_of,
    planned_result,
    post_event,
    staged_progress,
    write,
    written_result,
)

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.generate import Prepared
    from ggen_template.settings import TemplateSettings


class ProjectGenInput(ProjectInput):
    """Arguments of ``project_gen``."""

    dry_run: bool = Field(False, description="Write nothing.")
    force: bool = Field(False, description="Overwrite files.")


class ProjectGenOutput(GenerationResult):
    """What the generation wrote."""


async def project_gen(args: ProjectGenInput, ctx: ToolContext[TemplateSettings]) -> ProjectGenOutput:
    """Render a template or set and write its files, all or nothing."""
    from ggen_template.generate import Job
    from ggen_template.writer import SetWriter

    started = time.perf_counter()
    job = Job(args.template, dict(args.vars), args.output, args.seed, args.graph, args.force)
    prepared: Prepared = await ctx.run_sync(generator_of(ctx).prepare, job)
    planned = prepared.planned
    warnings = list(planned.warnings)
    writing = planned.paths(*WRITING)
    total = len(writing) + 2
    await ctx.progress(1, total, f"rendered {len(prepared.rendered)} templates")
    if args.dry_run:
        await ctx.progress(total, total, f"planned {len(writing)} files")
        return ProjectGenOutput(
            **planned_result(planned),
            variables_used=prepared.variables_used(),
            dry_run=True,
            duration_ms=elapsed_ms(started),
            warnings=warnings + command_warnings(planned, ctx),
        )
    output = ctx.workspace.relative(prepared.root)
    data = event_data("project_gen", output, prepared.variables_used(), planned.actions)
    await ctx.hook("pre_gen", template=args.template, files=writing, data=data)
    writer = SetWriter(ctx.workspace, ctx.settings, output=output, on_staged=staged_progress(ctx, 1, total))
    report = await write(ctx, writer, planned.actions)
    warnings += report.warnings
    await ctx.progress(total, total, f"wrote {len(writing)} files")
    await post_event(ctx, "post_gen", warnings, template=args.template, files=writing, data=data)
    ctx.log.info("project generated", template=args.template, files=len(writing))
    return ProjectGenOutput(
        **written_result(report),
        variables_used=prepared.variables_used(),
        dry_run=False,
        duration_ms=elapsed_ms(started),
        warnings=warnings,
    )


def spec(settings: TemplateSettings) -> ToolSpec:
    """project_gen's registration."""
    return ToolSpec(
        name="project_gen",
        title="Generate files from templates",
        description="Render templates and write the files.",
        input_model=ProjectGenInput,
        output_model=ProjectGenOutput,
        handler=project_gen,
        destructive=True,
        open_world=True,  # lifecycle hooks and sh_before/sh_after run commands
        scopes=WRITE,
    )
