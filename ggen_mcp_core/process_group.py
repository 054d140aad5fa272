"""Running one untrusted process: no shell, its own process group, a deadline, capped output, no leftovers.

This is the lower half of the host's command runner (:mod:`ggen_mcp_core.commands` decides what may run
and with which environment; this module runs it). The child starts in a new session (so it and everything
it spawns share one process group and have no controlling terminal). A tiny launcher
(``python -I -S -c``) sets resource limits and then ``execv``\\ s the program, so the limits apply before
any of the program's own code runs and no ``preexec_fn`` runs in a threaded server. stdout and stderr are
read as they come and only their last ``max_output_bytes`` are kept, so a program printing gigabytes costs
no memory. At the deadline the group gets SIGTERM, then SIGKILL after a grace period. When the program
exits on its own, whatever it left running in its group is killed before the exit status is collected
(the leader stays a zombie until then, so its group id cannot be reused by an unrelated process).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

POLL_SECONDS = 0.05
DRAIN_SECONDS = 1.0
READ_CHUNK = 65536

_LAUNCHER = """
import os, resource, sys
if sys.argv[2] == "0":
    os.environ.pop("LC_CTYPE", None)  # added by this interpreter's C-locale coercion (PEP 538), not ours
for item in sys.argv[1].split(","):
    name, value = item.split("=")
    limit = int(value)
    if limit <= 0 and name != "CORE":
        continue
    which = getattr(resource, "RLIMIT_" + name, None)
    if which is None:
        continue  # not on this platform
    hard = resource.getrlimit(which)[1]
    limit = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(which, (limit, limit))
try:
    os.execv(sys.argv[3], sys.argv[4:])
except OSError as exc:
    sys.stderr.write("cannot execute %s: %s\\n" % (sys.argv[3], exc.strerror))
    os._exit(127 if isinstance(exc, FileNotFoundError) else 126)
"""


@dataclass(frozen=True)
class Limits:
    """Resource limits of a process (0 = leave unchanged); core dumps are always off.

    ``processes`` is ``RLIMIT_NPROC``, which the kernel counts per user, not per process group: it caps
    how many processes the server's user may have while the command forks, so set it above what the
    server itself runs.
    """

    cpu_seconds: int = 0
    memory_bytes: int = 0
    file_size_bytes: int = 0
    open_files: int = 0
    processes: int = 0

    def encode(self) -> str:
        """The launcher's argument: ``CORE=0,CPU=...,AS=...,FSIZE=...,NOFILE=...,NPROC=...``."""
        return (
            f"CORE=0,CPU={self.cpu_seconds},AS={self.memory_bytes},FSIZE={self.file_size_bytes},"
            f"NOFILE={self.open_files},NPROC={self.processes}"
        )


@dataclass(frozen=True)
class CommandResult:
    """How a run ended and the tail of what it printed (at most the cap of each stream)."""

    exit_code: int | None
    timed_out: bool
    duration: float
    stdout: bytes
    stderr: bytes
    stdout_bytes: int
    stderr_bytes: int
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """Exited by itself with status 0."""
        return self.exit_code == 0 and not self.timed_out and not self.cancelled

    @property
    def signal(self) -> int | None:
        """The signal that ended the process, or None when it exited."""
        return -self.exit_code if self.exit_code is not None and self.exit_code < 0 else None

    @property
    def stdout_truncated(self) -> bool:
        """stdout was longer than the cap; only its end is kept."""
        return self.stdout_bytes > len(self.stdout)

    @property
    def stderr_truncated(self) -> bool:
        """stderr was longer than the cap; only its end is kept."""
        return self.stderr_bytes > len(self.stderr)


class _Tail:
    """The last ``cap`` bytes of a stream and how many bytes it had in all."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > self.cap:
            del self.data[: len(self.data) - self.cap]


class GroupProcess:
    """One started process, leader of its own group.

    ``wait()`` blocks (run it in a worker thread); ``kill()`` is thread-safe.
    """

    def __init__(
        self,
        executable: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str,
        timeout: float,
        max_output_bytes: int,
        kill_grace: float,
        limits: Limits,
    ) -> None:
        self.timeout = timeout
        self.kill_grace = kill_grace
        self._lock = threading.Lock()
        self._reaped = False
        self._cancelled = False
        self._stdout = _Tail(max_output_bytes)
        self._stderr = _Tail(max_output_bytes)
        keep_lc_ctype = "1" if "LC_CTYPE" in env else "0"
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, limits.encode(), keep_lc_ctype]
        launcher += [executable, *argv]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            launcher,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            close_fds=True,
            start_new_session=True,
        )
        self.pgid = self.proc.pid  # a new session's leader: its pid is the group id
        self._selector = selectors.DefaultSelector()
        self._streams: dict[int, tuple[IO[bytes], _Tail]] = {}
        for stream, tail in ((self.proc.stdout, self._stdout), (self.proc.stderr, self._stderr)):
            assert stream is not None
            os.set_blocking(stream.fileno(), False)
            self._selector.register(stream.fileno(), selectors.EVENT_READ)
            self._streams[stream.fileno()] = (stream, tail)
        self._pidfd = _pidfd_open(self.proc.pid)
        if self._pidfd is not None:
            self._selector.register(self._pidfd, selectors.EVENT_READ)

    def wait(self) -> CommandResult:
        """Pump output until the process ends or times out, clean up its group, and report."""
        exited = self._pump(self.started + self.timeout)
        timed_out = not exited and not self._cancelled
        if not exited:
            self._signal(signal.SIGTERM)
            exited = self._pump(time.monotonic() + self.kill_grace)
        self._signal(signal.SIGKILL)  # the leader if still alive, and anything it left in its group
        if not exited:
            self._pump(time.monotonic() + 10.0)
        self._drain(time.monotonic() + DRAIN_SECONDS)
        return self._finish(timed_out)

    def kill(self) -> None:
        """Stop the run now (the caller was cancelled): SIGKILL to the whole group."""
        self._cancelled = True
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        with self._lock:
            if self._reaped:
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, signum)

    def _exited(self) -> bool:
        # WNOWAIT: look without reaping, so the group id stays reserved until we have killed the group.
        try:
            return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:  # reaped by someone else (a process-wide SIGCHLD handler)
            return True

    def _pump(self, deadline: float) -> bool:
        """Read output until the process exits (True) or the deadline passes (False)."""
        while True:
            if self._exited():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._cancelled:
                return False
            for key, _ in self._selector.select(min(remaining, POLL_SECONDS)):
                if key.fd != self._pidfd:
                    self._read(key.fd)

    def _drain(self, deadline: float) -> None:
        """Read what is left in the pipes, for a bounded time (an escaped grandchild may hold them open)."""
        if self._pidfd is not None:
            self._selector.unregister(self._pidfd)
        while self._streams and time.monotonic() < deadline:
            for key, _ in self._selector.select(min(deadline - time.monotonic(), POLL_SECONDS)):
                self._read(key.fd)

    def _read(self, fd: int) -> None:
        stream, tail = self._streams[fd]
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        if chunk:
            tail.add(chunk)
            return
        self._selector.unregister(fd)
        del self._streams[fd]
        stream.close()

    def _finish(self, timed_out: bool) -> CommandResult:
        with self._lock:
            exit_code = self.proc.wait()
            self._reaped = True
        duration = time.monotonic() - self.started
        for stream, _ in self._streams.values():
            stream.close()
        self._selector.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
        return CommandResult(
            exit_code=exit_code,
            timed_out=timed_out,
            duration=duration,
            cancelled=self._cancelled,
            stdout=bytes(self._stdout.data),
            stderr=bytes(self._stderr.data),
            stdout_bytes=self._stdout.total,
            stderr_bytes=self._stderr.total,
        )


def _pidfd_open(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None
