"""Running one hook's command for one event through the host's command runner: its policy and environment."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ggen_hook.models import HookRecord
from ggen_hook.settings import ALLOW_SETTING, HookSettings
from ggen_mcp_core import ToolContext, ToolError, Workspace
from ggen_mcp_core.commands import Command, CommandPolicy, check_allowed, prepare, run_command, scrubbed_environment
from ggen_mcp_core.process_group import CommandResult, Limits

GIT_ENV = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX")
MIB = 1024 * 1024
TAIL_IN_MESSAGES = 1500


@dataclass(frozen=True)
class EventContext:
    """What a hook is told about the event that fired it (the ``GGEN_*`` variables)."""

    event: str
    template: str | None
    output: Path
    files: tuple[str, ...] = ()


def effective_timeout(record: HookRecord, settings: HookSettings) -> float:
    """The hook's own timeout, else the default, never above ``max_timeout``."""
    return min(record.timeout or settings.default_timeout, settings.max_timeout)


def limits_of(settings: HookSettings) -> Limits:
    """The resource limits the operator configured."""
    return Limits(
        cpu_seconds=settings.limit_cpu_seconds,
        memory_bytes=settings.limit_memory_mb * MIB,
        file_size_bytes=settings.limit_file_size_mb * MIB,
        open_files=settings.limit_open_files,
        processes=settings.limit_processes,
    )


def policy_of(settings: HookSettings, timeout: float | None = None) -> CommandPolicy:
    """The host runner's policy for hook commands: ``hooks.allowed_commands`` and the limits."""
    return CommandPolicy(
        allowlist_key="hooks.allowed_commands",
        allowed=tuple(settings.allowed_commands),
        timeout=timeout or settings.default_timeout,
        kill_grace=settings.kill_grace,
        max_output_bytes=settings.max_output_bytes,
        limits=limits_of(settings),
        pass_env=tuple(settings.pass_env),
    )


def check_enabled(settings: HookSettings) -> None:
    """Refuse while the operator has not turned hook commands on."""
    if not settings.allow_commands:
        raise ToolError(f"hook commands are disabled on this server; an operator can enable them with {ALLOW_SETTING}")


def check_runnable(program: str, executable: str, settings: HookSettings, workspace: Workspace) -> None:
    """Refuse unless commands are on and ``program`` matches ``hooks.allowed_commands``."""
    check_enabled(settings)
    check_allowed(program, executable, policy_of(settings), workspace)


def hook_environment(settings: HookSettings, context: dict[str, str], *, git_event: bool) -> dict[str, str]:
    """A fresh environment: the host's base allowlist, the operator's extra names (and git's own variables
    for ``git-*`` events), then the event context."""
    return scrubbed_environment((*settings.pass_env, *(GIT_ENV if git_event else ())), context)


def event_variables(record: HookRecord, event: EventContext, files_json: str) -> dict[str, str]:
    """The ``GGEN_*`` variables: event, template, output directory, the JSON file listing the files."""
    values = {
        "GGEN_EVENT": event.event,
        "GGEN_HOOK": record.name,
        "GGEN_TEMPLATE": event.template or "",
        "GGEN_OUTPUT": str(event.output),
        "GGEN_FILES": files_json,
    }
    return {key: value.replace("\x00", "") for key, value in values.items()}


def plan_command(record: HookRecord, ctx: ToolContext, settings: HookSettings) -> Command:
    """Split, resolve and allow-check the record's command (``ToolError`` when it may not run)."""
    assert record.command is not None
    check_enabled(settings)
    return prepare(record.command, policy_of(settings), ctx.workspace)


async def run_hook_command(
    record: HookRecord,
    event: EventContext,
    ctx: ToolContext,
    settings: HookSettings,
    command: Command | None = None,
) -> CommandResult:
    """Run the hook's command now with the host runner and return how it ended; cancellation kills its group.

    :param command: the already planned command (see :func:`plan_command`); planned here when None.
    """
    command = command or plan_command(record, ctx, settings)
    files_json = await ctx.run_sync(_write_files_list, event.files)
    try:
        env = hook_environment(settings, event_variables(record, event, files_json), git_event=record.is_git)
        policy = policy_of(settings, effective_timeout(record, settings))
        return await run_command(command, policy, ctx, env=env)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(files_json)


def _write_files_list(files: Sequence[str]) -> str:
    fd, name = tempfile.mkstemp(prefix="ggen-files-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(list(files), handle)
    return name


def decode_tail(data: bytes) -> str:
    """Bytes of output as text (invalid UTF-8 replaced)."""
    return data.decode("utf-8", errors="replace")


def failure_summary(record: HookRecord, result: CommandResult) -> str:
    """``hook 'fmt' (ruff format .) exited with 3: <stderr tail>`` for messages and warnings."""
    if result.timed_out:
        how = f"timed out and was killed (whole process group) after {result.duration:.1f} s"
    elif result.signal is not None:
        how = f"was killed by signal {result.signal}"
    else:
        how = f"exited with {result.exit_code}"
    tail = decode_tail(result.stderr[-TAIL_IN_MESSAGES:]).strip() or decode_tail(result.stdout[-300:]).strip()
    return f"hook {record.name!r} ({record.command}) {how}" + (f"; stderr: {tail}" if tail else "")
