"""``sh_before``/``sh_after``: commands a template asks for, run only when the operator trusts them.

They are off unless ``template.allow_shell = true``. Then each runs without a shell (a string is split
into arguments the way a shell would, so ``;``, ``|`` and ``$(...)`` are plain text), in the workspace,
with a timeout that kills its whole process group, stdin closed, and a scrubbed environment: ``PATH``,
``HOME``, ``LANG`` and ``LC_ALL`` from the server, plus ``GGEN_TEMPLATE`` and ``GGEN_FILE``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ggen_template.errors import TemplateError

PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL")
TAIL_BYTES = 4096


@dataclass(frozen=True)
class CommandRun:
    """A finished command: its argv, exit code and the tails of its output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def refuse_unless_allowed(allowed: bool, template: str, key: str) -> None:
    """Refuse a template that asks for a command while commands are off."""
    if not allowed:
        raise TemplateError(
            f"uses `{key}`, but template commands are off; an operator can enable them with "
            "template.allow_shell = true (environment GGEN_MCP_TEMPLATE__ALLOW_SHELL=true)",
            template=template,
        )


def scrubbed_environment(extra: dict[str, str]) -> dict[str, str]:
    """The environment a command gets: a short allowlist of the server's variables, plus ``extra``."""
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update(extra)
    return env


def run_command(argv: list[str], *, cwd: Path, timeout: float, env: dict[str, str], template: str,
                key: str) -> CommandRun:
    """Run ``argv`` to completion; a timeout or a failure to start raises :class:`TemplateError`."""
    try:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise TemplateError(f"`{key}` could not start {argv[0]!r}: {exc.strerror or exc}", template=template) from None
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise TemplateError(f"`{key}` {argv[0]!r} ran past {timeout:g} s (template.shell_timeout) and was killed",
                            template=template) from None
    return CommandRun(tuple(argv), process.returncode, _tail(out), _tail(err))


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.communicate(timeout=5)


def _tail(data: bytes) -> str:
    return data[-TAIL_BYTES:].decode("utf-8", "replace")
