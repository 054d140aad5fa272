"""``sh_before``/``sh_after``: commands a template asks for, run by the host's command runner.

They are off unless ``template.allow_shell = true``. Then each must match ``template.allowed_commands``
and runs through :mod:`ggen_mcp_core.commands` exactly like a hook: no shell (a string is split into
arguments the way a shell would, so ``;``, ``|`` and ``$(...)`` are plain text), in the workspace, stdin
closed, a scrubbed environment (``PATH``, ``HOME``, ``LANG``, ``template.shell_pass_env``, plus
``GGEN_TEMPLATE``, ``GGEN_FILE`` and ``GGEN_OUTPUT``), the ``template.shell_limit_*`` resource limits, capped
output, and a timeout that sends SIGTERM, then SIGKILL, to the whole process group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ggen_mcp_core import ToolError
from ggen_mcp_core.commands import Command, CommandPolicy, prepare, run_blocking, scrubbed_environment
from ggen_mcp_core.process_group import Limits
from ggen_template.errors import TemplateError

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_mcp_core.process_group import GroupProcess
    from ggen_template.settings import TemplateSettings

MIB = 1024 * 1024
TAIL_IN_MESSAGES = 500


@dataclass(frozen=True)
class CommandRun:
    """A finished command: its argv, how it ended and the tails of its output."""

    argv: tuple[str, ...]
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool


def refuse_unless_allowed(allowed: bool, template: str, key: str) -> None:
    """Refuse a template that asks for a command while commands are off."""
    if not allowed:
        raise TemplateError(
            f"uses `{key}`, but template commands are off; an operator can enable them with "
            "template.allow_shell = true (environment GGEN_MCP_TEMPLATE__ALLOW_SHELL=true)",
            template=template,
        )


def command_policy(settings: TemplateSettings) -> CommandPolicy:
    """The host runner's policy for template commands: ``template.allowed_commands`` and the limits."""
    return CommandPolicy(
        allowlist_key="template.allowed_commands",
        allowed=tuple(settings.allowed_commands),
        timeout=settings.shell_timeout,
        kill_grace=settings.shell_kill_grace,
        max_output_bytes=settings.shell_max_output_bytes,
        limits=Limits(
            cpu_seconds=settings.shell_limit_cpu_seconds,
            memory_bytes=settings.shell_limit_memory_mb * MIB,
            file_size_bytes=settings.shell_limit_file_size_mb * MIB,
            open_files=settings.shell_limit_open_files,
            processes=settings.shell_limit_processes,
        ),
        pass_env=tuple(settings.shell_pass_env),
    )


def plan_command(argv: Sequence[str], policy: CommandPolicy, workspace: Workspace, template: str, key: str) -> Command:
    """Resolve and allow-check one command (before anything is written); refusals name the template."""
    try:
        return prepare(argv, policy, workspace)
    except ToolError as exc:
        raise TemplateError(f"`{key}`: {exc}", template=template) from None


def run_command(
    command: Command,
    policy: CommandPolicy,
    workspace: Workspace,
    *,
    env: Mapping[str, str],
    started: Callable[[GroupProcess], None] | None = None,
) -> CommandRun:
    """Run a planned command to its end or its deadline (blocking: the writer runs in a worker thread)."""
    environment = scrubbed_environment(policy.pass_env, env)
    result = run_blocking(command, policy, workspace, env=environment, started=started)
    return CommandRun(
        argv=command.argv,
        returncode=result.exit_code,
        timed_out=result.timed_out or result.cancelled,
        stdout=_text(result.stdout),
        stderr=_text(result.stderr),
        stdout_truncated=result.stdout_truncated,
        stderr_truncated=result.stderr_truncated,
    )


def failure(run: CommandRun, template: str, key: str, timeout: float) -> str | None:
    """Why a finished command failed (naming the template and the setting), or None when it exited 0."""
    shown = " ".join(run.argv)
    if run.timed_out:
        return (
            f"{template}: `{key}` {shown!r} ran past {timeout:g} s (template.shell_timeout) and was killed "
            "with its whole process group"
        )
    if run.returncode == 0:
        return None
    how = f"was killed by signal {-run.returncode}" if run.returncode is not None and run.returncode < 0 else None
    how = how or f"exited with {run.returncode}"
    cut = " (stderr was longer than template.shell_max_output_bytes; its end)" if run.stderr_truncated else ""
    return f"{template}: `{key}` {shown!r} {how}{cut}: {run.stderr.strip()[-TAIL_IN_MESSAGES:]}"


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
