"""``hook_run``: run one hook now (or show what would run) and report how it ended."""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ggen_hook.execute import (
    EventContext,
    decode_tail,
    effective_timeout,
    failure_summary,
    plan_command,
    run_hook_command,
)
from ggen_hook.models import NAME_PATTERN, HookRecord
from ggen_hook.regenerate import generation_arguments, regenerate
from ggen_hook.settings import HookSettings
from ggen_hook.store import read_hooks
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

RunStatus = Literal["ok", "failed", "timed_out", "would_run", "refused"]


class RunInput(BaseModel):
    """Arguments of ``hook_run``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Hook name.")
    dry_run: bool = Field(False, description="Only show what would run.")
    check: bool = Field(
        False,
        description="Failure as error result.",
    )


class RunOutput(BaseModel):
    """How the run went."""

    name: str = Field(description="The hook.")
    event: str = Field(description="Its event (passed as GGEN_EVENT).")
    kind: Literal["command", "template"] = Field(description="Runs a command or regenerates a template.")
    status: RunStatus = Field(description="ok, failed, timed_out; for dry runs would_run or refused.")
    dry_run: bool = Field(description="Nothing ran.")
    argv: list[str] | None = Field(description="The argument vector (no shell), for command hooks.")
    executable: str | None = Field(description="The resolved program.")
    cwd: str = Field(description="Where it runs: the workspace root.")
    timeout: float = Field(description="Seconds before it is killed.")
    exit_code: int | None = Field(description="Its exit status (negative: killed by that signal).")
    duration_ms: float | None = Field(description="Wall time of the run.")
    stdout: str = Field(description="The tail of its standard output (at most hooks.max_output_bytes).")
    stderr: str = Field(description="The tail of its standard error (at most hooks.max_output_bytes).")
    stdout_truncated: bool = Field(description="stdout was longer than the cap; only its end is shown.")
    stderr_truncated: bool = Field(description="stderr was longer than the cap; only its end is shown.")
    reason: str | None = Field(description="Why a dry run would be refused, or a failure summary.")
    generation: dict[str, Any] | None = Field(
        description="project_gen's arguments (dry run) or result, for template hooks."
    )


async def hook_run(args: RunInput, ctx: ToolContext[HookSettings]) -> RunOutput:
    """Run the named hook with its event's environment; refused when commands are not allowed."""
    settings = ctx.settings
    record = await _find(args.name, ctx)
    if not record.enabled:
        raise ToolError(f"hook {record.name!r} is disabled; register it again with enabled=true to run it")
    if record.template is not None:
        return await _run_template(record, args, ctx, settings)
    if args.dry_run:
        return _dry_run_command(record, ctx, settings)
    command = plan_command(record, ctx, settings)
    event = EventContext(event=record.event, template=None, output=ctx.workspace.root)
    await ctx.progress(0, 1, f"running {command.argv[0]}")
    result = await run_hook_command(record, event, ctx, settings, command)
    await ctx.progress(1, 1, f"exited with {result.exit_code}" if result.exit_code is not None else "stopped")
    output = _base(record, ctx, settings, dry_run=False).model_copy(
        update={
            "argv": list(command.argv),
            "executable": command.executable,
            "status": "ok" if result.ok else "timed_out" if result.timed_out else "failed",
            "exit_code": result.exit_code,
            "duration_ms": round(result.duration * 1000, 1),
            "stdout": decode_tail(result.stdout),
            "stderr": decode_tail(result.stderr),
            "stdout_truncated": result.stdout_truncated,
            "stderr_truncated": result.stderr_truncated,
            "reason": None if result.ok else failure_summary(record, result),
        }
    )
    ctx.log.info(
        "hook run",
        hook=record.name,
        status=output.status,
        exit_code=result.exit_code,
        duration_ms=output.duration_ms,
    )
    if args.check and not result.ok:
        raise ToolError(output.reason or f"hook {record.name!r} failed")
    return output


async def _find(name: str, ctx: ToolContext) -> HookRecord:
    hooks = (await ctx.run_sync(read_hooks, ctx.workspace)).require_valid()
    for hook in hooks:
        if hook.name == name:
            return hook
    raise ToolError(f"no hook named {name!r}; registered: {', '.join(h.name for h in hooks) or 'none'}")


def _base(record: HookRecord, ctx: ToolContext, settings: HookSettings, *, dry_run: bool) -> RunOutput:
    return RunOutput(
        name=record.name,
        event=record.event,
        kind="template" if record.template else "command",
        status="would_run",
        dry_run=dry_run,
        argv=None,
        executable=None,
        cwd=str(ctx.workspace.root),
        timeout=effective_timeout(record, settings),
        exit_code=None,
        duration_ms=None,
        stdout="",
        stderr="",
        stdout_truncated=False,
        stderr_truncated=False,
        reason=None,
        generation=None,
    )


def _dry_run_command(record: HookRecord, ctx: ToolContext, settings: HookSettings) -> RunOutput:
    base = _base(record, ctx, settings, dry_run=True)
    try:
        command = plan_command(record, ctx, settings)
    except ToolError as exc:
        return base.model_copy(update={"status": "refused", "reason": str(exc)})
    return base.model_copy(update={"argv": list(command.argv), "executable": command.executable})


async def _run_template(record: HookRecord, args: RunInput, ctx: ToolContext, settings: HookSettings) -> RunOutput:
    base = _base(record, ctx, settings, dry_run=args.dry_run)
    if args.dry_run:
        return base.model_copy(update={"generation": generation_arguments(record)})
    started = time.perf_counter()
    generation = await regenerate(record, ctx)
    return base.model_copy(
        update={
            "status": "ok",
            "exit_code": 0,
            "generation": generation,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
    )


def spec(settings: HookSettings) -> ToolSpec:
    """``hook_run``'s spec; its deadline covers the longest hook the operator allows."""
    return ToolSpec(
        name="hook_run",
        title="Run a hook now",
        input_model=RunInput,
        output_model=RunOutput,
        handler=hook_run,
        destructive=True,  # a command may change or delete anything the server's user can
        open_world=True,
        scopes=("hook:run",),
        timeout=settings.max_timeout + settings.kill_grace + 15.0,
        description="Run a hook now; returns exit code and output.",
    )
