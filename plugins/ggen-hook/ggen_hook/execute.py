"""Running one hook's command for one event: the environment it sees and the process it becomes."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ggen_hook.command import Command, hook_environment, prepare
from ggen_hook.models import HookRecord
from ggen_hook.process import HookProcess, Limits, ProcessResult
from ggen_hook.settings import HookSettings
from ggen_mcp_core import ToolContext, ToolError

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
        file_size_bytes=settings.limit_file_size_mb * MIB,
        memory_bytes=settings.limit_memory_mb * MIB,
        open_files=settings.limit_open_files,
    )


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
    return prepare(record.command, settings, ctx.workspace)


async def run_command(
    record: HookRecord,
    event: EventContext,
    ctx: ToolContext,
    settings: HookSettings,
    command: Command | None = None,
) -> ProcessResult:
    """Run the hook's command now and return how it ended; cancellation kills its process group.

    :param command: the already planned command (see :func:`plan_command`); planned here when None.
    """
    command = command or plan_command(record, ctx, settings)
    files_json = await ctx.run_sync(_write_files_list, event.files)
    try:
        env = hook_environment(settings, event_variables(record, event, files_json), git_event=record.is_git)
        process = await ctx.run_sync(_start, command, env, ctx, effective_timeout(record, settings), settings)
        try:
            return await ctx.run_sync(process.wait)
        except BaseException:
            process.kill()
            raise
    finally:
        with contextlib.suppress(OSError):
            os.unlink(files_json)


def _start(
    command: Command, env: dict[str, str], ctx: ToolContext, timeout: float, settings: HookSettings
) -> HookProcess:
    try:
        return _spawn(command, env, ctx, timeout, settings)
    except OSError as exc:
        raise ToolError(f"could not start {command.argv[0]!r}: {exc.strerror or exc}") from None


def _spawn(
    command: Command, env: dict[str, str], ctx: ToolContext, timeout: float, settings: HookSettings
) -> HookProcess:
    return HookProcess(
        command.executable,
        command.argv,
        env=env,
        cwd=str(ctx.workspace.root),
        timeout=timeout,
        max_output_bytes=settings.max_output_bytes,
        kill_grace=settings.kill_grace,
        limits=limits_of(settings),
    )


def _write_files_list(files: Sequence[str]) -> str:
    fd, name = tempfile.mkstemp(prefix="ggen-files-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(list(files), handle)
    return name


def decode_tail(data: bytes) -> str:
    """Bytes of output as text (invalid UTF-8 replaced)."""
    return data.decode("utf-8", errors="replace")


def failure_summary(record: HookRecord, result: ProcessResult) -> str:
    """``hook 'fmt' (ruff format .) exited with 3: <stderr tail>`` for messages and warnings."""
    if result.timed_out:
        how = f"timed out and was killed (whole process group) after {result.duration:.1f} s"
    elif result.exit_code is not None and result.exit_code < 0:
        how = f"was killed by signal {-result.exit_code}"
    else:
        how = f"exited with {result.exit_code}"
    tail = decode_tail(result.stderr[-TAIL_IN_MESSAGES:]).strip() or decode_tail(result.stdout[-300:]).strip()
    return f"hook {record.name!r} ({record.command}) {how}" + (f"; stderr: {tail}" if tail else "")
