"""Turning a hook's argument string into something safe to execute.

- ``shlex.split`` makes the argument vector; no shell ever sees it, so ``;``, ``|``, ``$(...)``, backticks
  and globs reach the program as plain characters.
- The first word is the executable: a bare name is looked up on ``PATH``, a relative path is resolved
  inside the workspace (``../`` and symlinks out are refused), an absolute path is taken as it is.
- ``hooks.allowed_commands`` is checked against the name as written (entries without ``/``) or the
  resolved path (entries with ``/``) before anything runs.
- The environment is built from scratch: PATH, HOME, LANG, the operator's ``pass_env`` names, the
  ``GGEN_*`` context of the event, and git's own variables for ``git-*`` events.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ggen_hook.settings import ALLOW_SETTING, HookSettings
from ggen_mcp_core import ToolError, Workspace

BASE_ENV = ("PATH", "HOME", "LANG")
GIT_ENV = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX")
MAX_ARGS = 256


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
    if not argv:
        raise ToolError("the command is empty")
    if len(argv) > MAX_ARGS:
        raise ToolError(f"the command has {len(argv)} arguments; the limit is {MAX_ARGS}")
    return argv


def search_path() -> str:
    """The PATH hooks see: the server's own (the operator's), else the system default."""
    return os.environ.get("PATH") or os.defpath


def resolve_executable(program: str, workspace: Workspace, path: str) -> str:
    """The absolute path of ``program``, or a ``ToolError`` naming what was looked for and where."""
    if "/" not in program:
        found = shutil.which(program, path=path)
        if found is None:
            raise ToolError(f"executable {program!r} was not found on PATH ({path})")
        return os.path.abspath(found)
    candidate = Path(program) if os.path.isabs(program) else workspace.resolve(program)
    if not candidate.is_file():
        raise ToolError(f"executable {program!r} does not exist (looked at {candidate})")
    if not os.access(candidate, os.X_OK):
        raise ToolError(f"{program!r} is not executable (chmod +x {candidate}, or run it through an interpreter)")
    return str(candidate)


def check_allowed(program: str, executable: str, settings: HookSettings, workspace: Workspace) -> None:
    """Refuse unless commands are on and ``program`` matches ``hooks.allowed_commands``."""
    if not settings.allow_commands:
        raise ToolError(f"hook commands are disabled on this server; an operator can enable them with {ALLOW_SETTING}")
    if not is_allowed(program, executable, settings.allowed_commands, workspace):
        allowed = ", ".join(settings.allowed_commands) or "(none)"
        raise ToolError(
            f"{program!r} is not in hooks.allowed_commands ({allowed}); an operator can add it "
            "(GGEN_MCP_HOOKS__ALLOWED_COMMANDS: a comma list or a JSON list of names or globs)"
        )


def is_allowed(program: str, executable: str, patterns: Sequence[str], workspace: Workspace) -> bool:
    """True when a pattern allows this program: ``*``, a name glob, or a path glob (contains ``/``)."""
    relative = _workspace_relative(executable, workspace)
    for pattern in patterns:
        if pattern == "*":
            return True
        if "/" in pattern:
            if fnmatch.fnmatchcase(executable, pattern) or (
                relative is not None and fnmatch.fnmatchcase(relative, pattern)
            ):
                return True
        elif "/" not in program and fnmatch.fnmatchcase(program, pattern):
            return True
    return False


def _workspace_relative(executable: str, workspace: Workspace) -> str | None:
    real = Path(os.path.realpath(executable))
    return workspace.relative(real) if workspace.contains(real) else None


def prepare(command: str, settings: HookSettings, workspace: Workspace) -> Command:
    """Split, resolve and allow-check ``command``; every refusal is a ``ToolError`` naming the reason."""
    argv = split_command(command)
    executable = resolve_executable(argv[0], workspace, search_path())
    check_allowed(argv[0], executable, settings, workspace)
    return Command(argv=tuple(argv), executable=executable)


def hook_environment(settings: HookSettings, context: Mapping[str, str], *, git_event: bool) -> dict[str, str]:
    """A fresh environment: the base allowlist, the operator's extra names, then the event context."""
    env = {"PATH": search_path()}
    names = (*BASE_ENV, *settings.pass_env, *(GIT_ENV if git_event else ()))
    for name in names:
        value = os.environ.get(name)
        if value is not None and name not in env:
            env[name] = value
    env.update(context)
    return env
