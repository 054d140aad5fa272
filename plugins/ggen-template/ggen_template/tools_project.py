"""The ``project_*`` tools: generate, plan, apply and diff whole template sets.

Lifecycle events go out through the host (``ctx.hook``): ``pre_gen``/``post_gen`` around
``project_gen``'s writes and ``pre_apply``/``post_apply`` around ``project_apply``'s. A ``pre_*`` listener
that raises aborts the call before any file is written; a failing ``post_*`` listener becomes a warning
(the files are already written).
"""

from __future__ import annotations

import difflib
import time
from typing import TYPE_CHECKING, Any, Literal

from ggen_mcp_core import ToolError
from ggen_template.actions import Action, ActionType, Planned, read_existing
from ggen_template.generate import Job, Prepared
from ggen_template.models import (
    FileDiff,
    GenerationResult,
    PlannedAction,
    ProjectApplyInput,
    ProjectApplyOutput,
    ProjectDiffInput,
    ProjectDiffOutput,
    ProjectGenInput,
    ProjectGenOutput,
    ProjectPlanInput,
    ProjectPlanOutput,
)
from ggen_template.plans import build_plan, load_plan, new_plan_id, save_plan
from ggen_template.service import generator_of
from ggen_template.shell import command_policy, plan_command
from ggen_template.writer import SetWriter, WriteReport

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings

DiffStatus = Literal["added", "modified", "injected", "unchanged", "skipped"]

WRITING: tuple[ActionType, ...] = ("create", "overwrite", "inject")
STATUS: dict[str, DiffStatus] = {"create": "added", "overwrite": "modified", "inject": "injected"}


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _event_data(
    tool: str, output: str, variables: dict[str, Any], actions: list[Action], **extra: Any
) -> dict[str, Any]:
    return {
        "tool": tool,
        "output": output,
        "variables": variables,
        "actions": [{"type": a.type, "path": a.path} for a in actions],
        **extra,
    }


async def _post_event(
    ctx: ToolContext, name: str, warnings: list[str], *, template: str, files: list[str], data: dict[str, Any]
) -> None:
    """Emit a ``post_*`` event; listeners may append to ``data["warnings"]``, and a raise becomes a warning."""
    try:
        await ctx.hook(name, template=template, files=files, data={**data, "warnings": warnings})  # type: ignore[arg-type]
    except ToolError as exc:
        warnings.append(str(exc))


def _planned_result(planned: Planned) -> dict[str, list[str]]:
    return {
        "files_created": planned.paths("create"),
        "files_modified": planned.paths("overwrite"),
        "files_injected": planned.paths("inject"),
        "files_skipped": planned.paths("skip"),
    }


def _written_result(report: WriteReport) -> dict[str, list[str]]:
    return {
        "files_created": report.created,
        "files_modified": report.modified,
        "files_injected": report.injected,
        "files_skipped": report.skipped,
    }


def _command_warnings(planned: Planned, ctx: ToolContext) -> list[str]:
    settings = ctx.settings
    policy = command_policy(settings)
    notes = []
    for action in planned.actions:
        for key in ("sh_before", "sh_after"):
            argv = getattr(action, key)
            if argv and action.type != "skip":
                state = "would run" if settings.allow_shell else "is refused (template.allow_shell is off)"
                try:
                    if settings.allow_shell:
                        plan_command(argv, policy, ctx.workspace, action.template, key)
                except ToolError as exc:
                    state = f"is refused ({exc})"
                notes.append(f"{action.template}: `{key}` {' '.join(argv)!r} {state}")
    return notes


async def _write(ctx: ToolContext, writer: SetWriter, actions: list[Action], *, force: bool = False) -> WriteReport:
    """Write in a worker thread; a cancelled call (timeout, client) kills a running command and stops the write."""
    try:
        return await ctx.run_sync(lambda: writer.write(actions, force=force))
    except BaseException:
        writer.stop()
        raise


# -- project_gen -----------------------------------------------------------------------------------


async def project_gen(args: ProjectGenInput, ctx: ToolContext[TemplateSettings]) -> ProjectGenOutput:
    """Render a template or set and write its files, all or nothing."""
    started = time.perf_counter()
    job = Job(args.template, dict(args.vars), args.output, args.seed, args.graph, args.force)
    prepared: Prepared = await ctx.run_sync(generator_of(ctx).prepare, job)
    planned = prepared.planned
    warnings = list(planned.warnings)
    await ctx.progress(1, 2, f"rendered {len(prepared.rendered)} templates")
    if args.dry_run:
        warnings += _command_warnings(planned, ctx)
        return ProjectGenOutput(
            **_planned_result(planned),
            variables_used=prepared.variables_used(),
            dry_run=True,
            duration_ms=_elapsed_ms(started),
            warnings=warnings,
        )
    output = ctx.workspace.relative(prepared.root)
    writing = planned.paths(*WRITING)
    data = _event_data("project_gen", output, prepared.variables_used(), planned.actions)
    await ctx.hook("pre_gen", template=args.template, files=writing, data=data)
    writer = SetWriter(ctx.workspace, ctx.settings, output=output)
    report = await _write(ctx, writer, planned.actions)
    warnings += report.warnings
    await ctx.progress(2, 2, f"wrote {len(writing)} files")
    await _post_event(ctx, "post_gen", warnings, template=args.template, files=writing, data=data)
    ctx.log.info("project generated", template=args.template, files=len(writing))
    return ProjectGenOutput(
        **_written_result(report),
        variables_used=prepared.variables_used(),
        dry_run=False,
        duration_ms=_elapsed_ms(started),
        warnings=warnings,
    )


# -- project_plan ----------------------------------------------------------------------------------


async def project_plan(args: ProjectPlanInput, ctx: ToolContext[TemplateSettings]) -> ProjectPlanOutput:
    """Render and plan without writing the files; save the plan with every content for project_apply."""
    job = Job(args.template, dict(args.vars), args.output, args.seed, args.graph, args.force)
    prepared: Prepared = await ctx.run_sync(generator_of(ctx).prepare, job)
    planned = prepared.planned
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
    warnings = planned.warnings + _command_warnings(planned, ctx)
    return ProjectPlanOutput(
        plan_id=plan.plan_id,
        plan_path=path,
        actions=actions,
        estimated_files=len(planned.paths(*WRITING)),
        warnings=warnings,
    )


# -- project_apply ---------------------------------------------------------------------------------


async def project_apply(args: ProjectApplyInput, ctx: ToolContext[TemplateSettings]) -> ProjectApplyOutput:
    """Write exactly what a saved plan holds; refuse, naming the file, when a target changed since."""
    started = time.perf_counter()
    plan = await ctx.run_sync(load_plan, ctx.workspace, args.plan)
    actions = plan.to_actions()
    writing = list(dict.fromkeys(a.path for a in actions if a.type in WRITING))
    data = _event_data("project_apply", plan.output, plan.vars, actions, plan_id=plan.plan_id)
    await ctx.hook("pre_apply", template=plan.template, files=writing, data=data)
    writer = SetWriter(ctx.workspace, ctx.settings, output=plan.output)
    report = await _write(ctx, writer, actions, force=args.force)
    warnings = list(report.warnings)
    await _post_event(ctx, "post_apply", warnings, template=plan.template, files=writing, data=data)
    return ProjectApplyOutput(
        **_written_result(report),
        variables_used=plan.vars,
        dry_run=False,
        duration_ms=_elapsed_ms(started),
        warnings=warnings,
        plan_id=plan.plan_id,
    )


# -- project_diff ----------------------------------------------------------------------------------


async def project_diff(args: ProjectDiffInput, ctx: ToolContext[TemplateSettings]) -> ProjectDiffOutput:
    """Unified diffs between what the template would generate in ``target`` and the files there."""
    job = Job(args.template, dict(args.vars), args.target, args.seed, args.graph, force=True)
    prepared: Prepared = await ctx.run_sync(generator_of(ctx).prepare, job)
    files = await ctx.run_sync(_diffs, prepared, ctx)
    changed = [f for f in files if f.status not in ("unchanged", "skipped")]
    message = f"{len(changed)} of {len(files)} files differ" if changed else "no differences"
    return ProjectDiffOutput(
        differences=bool(changed), message=message, files=files, warnings=prepared.planned.warnings
    )


def _diffs(prepared: Prepared, ctx: ToolContext[TemplateSettings]) -> list[FileDiff]:
    max_bytes = ctx.settings.max_total_bytes
    final: dict[str, Action] = {}
    kinds: dict[str, str] = {}
    for action in prepared.planned.actions:
        kinds.setdefault(action.path, action.type)
        if action.type != "skip" or action.path not in final:
            final[action.path] = action
    files = []
    for path, action in final.items():
        old = read_existing(ctx.workspace.resolve(path), max_bytes)
        if action.type == "skip":
            skipped: DiffStatus = "unchanged" if action.reason == "unchanged" else "skipped"
            files.append(FileDiff(path=path, status=skipped, diff=""))
            continue
        status: DiffStatus = "modified" if old is not None and kinds[path] == "create" else STATUS[kinds[path]]
        diff = "".join(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (action.content or "").splitlines(keepends=True),
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}",
            )
        )
        files.append(FileDiff(path=path, status=status if diff else "unchanged", diff=diff))
    return files


__all__ = ["GenerationResult", "project_apply", "project_diff", "project_gen", "project_plan"]
