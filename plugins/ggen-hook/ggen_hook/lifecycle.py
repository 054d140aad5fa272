"""The ``ggen_lifecycle`` listener: run the matching hooks around a generation.

``pre_*`` hooks guard the generation, so they fail closed: a hook that exits non-zero, times out, or may
not run (commands disabled, not allowlisted, executable missing), and an invalid hooks file, all abort it
with a message naming the hook. ``post_*`` hooks run after the files exist, so their failures become
warnings: appended to ``event.data["warnings"]`` when the emitting tool passes a list there (the template
pack reports them in its result), sent to the client as a warning log message, and logged.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ggen_hook.execute import EventContext, failure_summary, run_command
from ggen_hook.models import HookRecord
from ggen_hook.settings import HookSettings, hook_settings
from ggen_hook.store import HOOKS_FILE, read_hooks
from ggen_mcp_core import LifecycleEvent, ToolContext, ToolError


async def on_lifecycle(event: LifecycleEvent, ctx: ToolContext) -> None:
    """Run every enabled hook of this event whose ``match`` fits the template, in registration order."""
    if not (ctx.workspace.root / HOOKS_FILE).exists() and not (ctx.workspace.root / HOOKS_FILE).is_symlink():
        return
    guarding = event.name.startswith("pre_")
    loaded = await ctx.run_sync(read_hooks, ctx.workspace)
    try:
        hooks = loaded.require_valid()
    except ToolError as exc:
        if guarding:
            raise
        await _warn(ctx, event, str(exc))
        return
    matching = [hook for hook in hooks if _matches(hook, event)]
    if not matching:
        return
    settings = hook_settings(ctx)
    context = EventContext(event=event.name, template=event.template, output=_output(event, ctx), files=event.files)
    for record in matching:
        await _run_one(record, event, context, ctx, settings, guarding=guarding)


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


async def _run_one(
    record: HookRecord,
    event: LifecycleEvent,
    context: EventContext,
    ctx: ToolContext,
    settings: HookSettings,
    *,
    guarding: bool,
) -> None:
    try:
        result = await run_command(record, context, ctx, settings)
    except ToolError as exc:
        message = f"hook {record.name!r} could not run: {exc}"
        if guarding:
            raise ToolError(message) from None
        await _warn(ctx, event, message)
        return
    ctx.log.info(
        "lifecycle hook ran",
        hook=record.name,
        hook_event=event.name,
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        duration_ms=round(result.duration * 1000, 1),
    )
    if result.ok:
        return
    summary = failure_summary(record, result)
    if guarding:
        raise ToolError(summary)
    await _warn(ctx, event, summary)


async def _warn(ctx: ToolContext, event: LifecycleEvent, message: str) -> None:
    text = f"{event.name}: {message}"
    warnings = event.data.get("warnings")
    if isinstance(warnings, list):
        warnings.append(text)
    ctx.log.warning("lifecycle hook failed", hook_event=event.name, detail=message)
    await ctx.client_log("warning", text, logger="ggen-hook")
