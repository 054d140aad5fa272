"""The ``ggen_lifecycle`` listener: run the matching hooks around a generation.

``pre_*`` hooks guard the generation, so they fail closed: a hook that exits non-zero, times out, or may
not run (commands disabled, not allowlisted, executable missing), and an invalid hooks file, all abort it
at once with a message naming the hook, its exit code and the tail of its stderr.

``post_*`` hooks run after the files exist: every matching one runs even when an earlier one fails. Their
failures are then reported as warnings: appended to ``event.data["warnings"]`` when the emitting tool
passes a list there; otherwise raised together as one ``ToolError`` after all have run, which the template
pack turns into warnings in its result (the files are already written). Each is also logged and sent to
the client as a warning log message.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ggen_hook.execute import EventContext, failure_summary, run_hook_command
from ggen_hook.models import HookRecord
from ggen_hook.settings import HookSettings
from ggen_hook.store import HOOKS_FILE, read_hooks
from ggen_mcp_core import LifecycleEvent, ToolContext, ToolError


async def on_lifecycle(event: LifecycleEvent, ctx: ToolContext[HookSettings]) -> None:
    """Run every enabled hook of this event whose ``match`` fits the template, in registration order."""
    hooks_file = ctx.workspace.root / HOOKS_FILE
    if not hooks_file.exists() and not hooks_file.is_symlink():
        return
    guarding = event.name.startswith("pre_")
    loaded = await ctx.run_sync(read_hooks, ctx.workspace)
    try:
        hooks = loaded.require_valid()
    except ToolError as exc:
        if guarding:
            raise
        await _report(ctx, event, [str(exc)])
        return
    matching = [hook for hook in hooks if _matches(hook, event)]
    if not matching:
        return
    settings = ctx.settings
    context = EventContext(event=event.name, template=event.template, output=_output(event, ctx), files=event.files)
    failures = []
    for record in matching:
        failure = await _run_one(record, context, ctx, settings)
        if failure is not None and guarding:
            raise ToolError(failure)
        if failure is not None:
            failures.append(failure)
    if failures:
        await _report(ctx, event, failures)


def _matches(hook: HookRecord, event: LifecycleEvent) -> bool:
    if not hook.enabled or hook.event != event.name:
        return False
    if hook.match is None:
        return True
    return event.template is not None and fnmatch.fnmatchcase(event.template, hook.match)


def _output(event: LifecycleEvent, ctx: ToolContext) -> Path:
    raw = event.data.get("output")
    if isinstance(raw, str) and raw:
        try:
            return ctx.workspace.resolve(raw)
        except ToolError:
            pass
    return ctx.workspace.root


async def _run_one(record: HookRecord, context: EventContext, ctx: ToolContext, settings: HookSettings) -> str | None:
    """Run one hook; return why it failed, or None when it exited 0."""
    try:
        result = await run_hook_command(record, context, ctx, settings)
    except ToolError as exc:
        return f"hook {record.name!r} could not run: {exc}"
    ctx.log.info(
        "lifecycle hook ran",
        hook=record.name,
        hook_event=context.event,
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        duration_ms=round(result.duration * 1000, 1),
    )
    return None if result.ok else failure_summary(record, result)


async def _report(ctx: ToolContext, event: LifecycleEvent, failures: list[str]) -> None:
    """Post-event failures: into the emitter's warnings list when it gave one, else raised together."""
    for failure in failures:
        ctx.log.warning("lifecycle hook failed", hook_event=event.name, detail=failure)
        await ctx.client_log("warning", f"{event.name}: {failure}", logger="ggen-hook")
    warnings = event.data.get("warnings")
    if isinstance(warnings, list):
        warnings.extend(f"{event.name}: {failure}" for failure in failures)
        return
    raise ToolError("; ".join(failures))
