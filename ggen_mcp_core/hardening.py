"""Process hardening of ``ggen-mcp serve``: the server process is made non-dumpable (Linux ``prctl``).

A non-dumpable process's ``/proc/PID/environ``, ``mem``, ``fd/`` and the like belong to root, so another
process of the same (non-root) user, such as a hook command the server started, cannot read the server's
environment or memory, where its secrets live (``/proc/PID/environ`` shows the environment the process
started with, whatever ``os.environ`` holds now). It does not stop root: a process with ``CAP_SYS_PTRACE``
reads anything, so an operator who runs the server as root keeps hook commands off or keeps secrets in
``*_file`` settings (docs/security.md). Children start dumpable again after ``execve``; the server passes
them a scrubbed environment.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


@dataclass(frozen=True)
class Hardening:
    """What :func:`make_non_dumpable` achieved: ``applied``, a sentence saying why or why not, and whether the
    protection is complete (``False`` as root, whom dumpability does not stop)."""

    applied: bool
    detail: str
    complete: bool = False


def make_non_dumpable() -> Hardening:
    """``prctl(PR_SET_DUMPABLE, 0)`` on Linux; elsewhere (or when libc refuses) say so and carry on."""
    if not sys.platform.startswith("linux"):
        return Hardening(False, f"not Linux ({sys.platform}): /proc protection of the server process unavailable")
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            error = ctypes.get_errno()
            return Hardening(False, f"prctl(PR_SET_DUMPABLE, 0) failed: {os.strerror(error)}")
        dumpable = libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError) as exc:
        return Hardening(False, f"prctl unavailable: {exc}")
    if dumpable != 0:
        return Hardening(False, f"prctl(PR_SET_DUMPABLE, 0) did not take effect (dumpable={dumpable})")
    if os.geteuid() == 0:
        return Hardening(
            True,
            "non-dumpable, but running as root: root processes (CAP_SYS_PTRACE) can still read this process; "
            "run as a non-root user",
        )
    return Hardening(
        True, "non-dumpable: other processes of this user cannot read its environment or memory", complete=True
    )
