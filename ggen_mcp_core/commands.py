"""The host's runner for untrusted commands: what may run, with which environment, and running it.

Packs that run a command somebody else wrote (hooks, template ``sh_before``/``sh_after``) use this module;
none has a runner of its own. The guarantees:

- ``shlex.split`` makes the argument vector; no shell ever sees it, so ``;``, ``|``, ``$(...)``, backticks
  and globs reach the program as plain characters.
- The first word is the executable: a bare name is looked up on the absolute entries of ``PATH`` (a
  relative entry such as ``.`` would find a lookalike in the workspace), a relative path is resolved inside
  the workspace (``../`` and symlinks out are refused), an absolute path is taken as it is.
- The operator's allowlist (:class:`CommandPolicy`) is checked before anything runs: entries without ``/``
  match the name as written (only a bare name, so ``./bin/echo`` is not ``echo``), entries with ``/`` match
  the executable's real path (symlinks followed) or its real path relative to the workspace.
- The environment is built from scratch: PATH, HOME, LANG, the operator's ``pass_env`` names, then what
  the caller passes.
- The process (see :mod:`ggen_mcp_core.process_group`) gets resource limits, its own process group, capped
  streaming output, a deadline with SIGTERM then SIGKILL to the whole group, and a working directory
  inside the workspace.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ggen_mcp_core.errors import ToolError

if TYPE_CHECKING:
    from ggen_mcp_core.process_group import CommandResult, GroupProcess, Limits
    from ggen_mcp_core.tools import ToolContext
    from ggen_mcp_core.workspace import Workspace

BASE_ENV = ("PATH", "HOME", "LANG")
MAX_ARGS = 256
MAX_ARG_CHARS = 128 * 1024
ENV_PREFIX = "GGEN_MCP_"


@dataclass(frozen=True)
class CommandPolicy:
    """What an operator allows one pack's commands: the allowlist, the environment and the limits of a run.

    :param allowlist_key: the setting holding ``allowed``, e.g. ``hooks.allowed_commands``; refusals name it.
    """

    allowlist_key: str
    allowed: tuple[str, ...]
    timeout: float
    kill_grace: float
    max_output_bytes: int
    limits: Limits
    pass_env: tuple[str, ...] = field(default=())

    @property
    def allowlist_env(self) -> str:
        """The environment variable of the allowlist setting."""
        return ENV_PREFIX + self.allowlist_key.upper().replace(".", "__")


@dataclass(frozen=True)
class Command:
    """A parsed, resolved, allowed command: ready for the process runner."""

    argv: tuple[str, ...]
    executable: str


def split_command(command: str) -> list[str]:
    """The argument vector of ``command`` (POSIX shlex rules), or a ``ToolError`` saying what is wrong."""
    if "\x00" in command:
        raise ToolError("the command contains a NUL byte")
    try:
        argv = shlex.split(command, posix=True)
    except ValueError as exc:
        raise ToolError(f"cannot split the command {command!r}: {exc} (check the quotes)") from None
    return check_argv(argv)


def check_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` as a list, refused when empty, too long, or holding a NUL byte."""
    if not argv or not argv[0]:
        raise ToolError("the command is empty")
    if len(argv) > MAX_ARGS:
        raise ToolError(f"the command has {len(argv)} arguments; the limit is {MAX_ARGS}")
    for arg in argv:
        if "\x00" in arg:
            raise ToolError("the command contains a NUL byte")
        if len(arg) > MAX_ARG_CHARS:
            raise ToolError(f"an argument of the command has {len(arg)} characters; the limit is {MAX_ARG_CHARS}")
    return list(argv)


def search_path() -> str:
    """The PATH commands see: the absolute entries of the server's own (the operator's), else the default."""
    entries = [entry for entry in (os.environ.get("PATH") or os.defpath).split(os.pathsep) if os.path.isabs(entry)]
    return os.pathsep.join(entries) or os.defpath


def resolve_executable(program: str, workspace: Workspace, path: str) -> str:
    """The absolute path of ``program``, or a ``ToolError`` naming what was looked for and where."""
    if "/" not in program:
        found = shutil.which(program, path=path)
        if found is None:
            raise ToolError(f"executable {program!r} was not found on PATH ({path})")
        return os.path.abspath(found)
    candidate = Path(os.path.abspath(program)) if os.path.isabs(program) else workspace.resolve(program)
    try:
        is_file = candidate.is_file()
    except OSError as exc:
        raise ToolError(
            f"cannot look at executable {program!r} ({candidate}): {exc.strerror or exc}; the server may not "
            "read one of its folders"
        ) from None
    if not is_file:
        raise ToolError(f"executable {program!r} does not exist (looked at {candidate})")
    if not os.access(candidate, os.X_OK):
        raise ToolError(f"{program!r} is not executable (chmod +x {candidate}, or run it through an interpreter)")
    return str(candidate)


def check_allowed(program: str, executable: str, policy: CommandPolicy, workspace: Workspace) -> None:
    """Refuse unless ``program`` matches the policy's allowlist, naming the setting."""
    if not is_allowed(program, executable, policy.allowed, workspace):
        allowed = ", ".join(policy.allowed) or "(none)"
        raise ToolError(
            f"{program!r} is not in {policy.allowlist_key} ({allowed}); an operator can add it "
            f"({policy.allowlist_env}, a comma list or a JSON list of names or globs)"
        )


def is_allowed(program: str, executable: str, patterns: Sequence[str], workspace: Workspace) -> bool:
    """True when a pattern allows this program: ``*``, a name glob, or a path glob (contains ``/``)."""
    real = os.path.realpath(executable)
    relative = _workspace_relative(real, workspace)
    for pattern in patterns:
        if pattern == "*":
            return True
        if "/" in pattern:
            if fnmatch.fnmatchcase(real, pattern) or (relative is not None and fnmatch.fnmatchcase(relative, pattern)):
                return True
        elif "/" not in program and fnmatch.fnmatchcase(program, pattern):
            return True
    return False


def _workspace_relative(real: str, workspace: Workspace) -> str | None:
    path = Path(real)
    return workspace.relative(path) if workspace.contains(path) else None


def prepare(command: str | Sequence[str], policy: CommandPolicy, workspace: Workspace) -> Command:
    """Split (a string), resolve and allow-check ``command``; every refusal is a ``ToolError`` naming why."""
    argv = split_command(command) if isinstance(command, str) else check_argv(command)
    executable = resolve_executable(argv[0], workspace, search_path())
    check_allowed(argv[0], executable, policy, workspace)
    return Command(argv=tuple(argv), executable=executable)


def scrubbed_environment(pass_env: Sequence[str], extra: Mapping[str, str]) -> dict[str, str]:
    """A fresh environment: PATH, HOME, LANG, the operator's ``pass_env`` names, then ``extra``."""
    env = {"PATH": search_path()}
    for name in (*BASE_ENV, *pass_env):
        value = os.environ.get(name)
        if value is not None and name not in env:
            env[name] = value
    env.update({key: value.replace("\x00", "") for key, value in extra.items()})
    return env


def working_directory(workspace: Workspace, cwd: str | None) -> str:
    """The real folder a command runs in: the workspace root, or ``cwd`` resolved inside the workspace."""
    if cwd is None:
        return str(workspace.root)
    real = workspace.resolve(cwd)
    if not real.is_dir():
        raise ToolError(f"working directory {cwd!r} is not a folder in the workspace")
    return str(real)


def start(
    command: Command, policy: CommandPolicy, workspace: Workspace, *, env: Mapping[str, str], cwd: str | None = None
) -> GroupProcess:
    """Start ``command`` (blocking: call it in a worker thread); a failure to start is a ``ToolError``."""
    from ggen_mcp_core.process_group import GroupProcess

    directory = working_directory(workspace, cwd)
    try:
        return GroupProcess(
            command.executable,
            command.argv,
            env=env,
            cwd=directory,
            timeout=policy.timeout,
            max_output_bytes=policy.max_output_bytes,
            kill_grace=policy.kill_grace,
            limits=policy.limits,
        )
    except OSError as exc:
        raise ToolError(f"could not start {command.argv[0]!r}: {exc.strerror or exc}") from None


def run_blocking(
    command: Command,
    policy: CommandPolicy,
    workspace: Workspace,
    *,
    env: Mapping[str, str],
    cwd: str | None = None,
    started: Callable[[GroupProcess], None] | None = None,
) -> CommandResult:
    """Run ``command`` to its end or its deadline, in this (worker) thread.

    :param started: called with the process once it runs, e.g. to remember it for :meth:`GroupProcess.kill`
        when the caller is cancelled.
    """
    process = start(command, policy, workspace, env=env, cwd=cwd)
    if started is not None:
        started(process)
    return process.wait()


async def run_command(
    command: Command, policy: CommandPolicy, ctx: ToolContext, *, env: Mapping[str, str], cwd: str | None = None
) -> CommandResult:
    """Run ``command`` from a handler without blocking the event loop; cancelling the call kills its group."""
    process = await ctx.run_sync(lambda: start(command, policy, ctx.workspace, env=env, cwd=cwd))
    try:
        return await ctx.run_sync(process.wait)
    except BaseException:
        process.kill()
        raise
