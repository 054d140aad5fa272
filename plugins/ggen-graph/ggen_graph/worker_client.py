"""The server's side of a graph worker process: requests, deadlines, crashes, kill and restart.

Each call gets a deadline. When it passes, the caller gets ``QueryTimeout`` at once and the worker is
killed (``SIGKILL``): that is the only way to stop a pyoxigraph query that is still running. Calls that
were running in the same worker end with ``StoreUnavailable`` (read-only ones are retried once in a new
worker); the next call starts a new worker, which opens the store again. A killed worker loses at most
the write it was doing: RocksDB commits each load or update whole (except the bulk loader, see the docs).

A worker can also end on its own: a query that exhausts its memory limit (``graph.worker_memory_mb``) or
overflows a parser's stack. Only the call that caused it fails. Every read that was in flight is retried
on a fresh worker, one suspect at a time (so an innocent call never runs beside the offender again); a
call that is in flight at a second crash, alone or after two retries, is the offender and gets a clear
error naming the limit. A write that was changing the store (the worker reports when a write takes its
write lock) is not retried: RocksDB commits a load or update whole at its end, but the server cannot know
whether the crash came before or after that commit, and a load with blank nodes or a ``DELETE ... INSERT``
is not idempotent; its error says to check the store before running again. A write still queued behind
the lock cannot have changed anything and is retried like a read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread
import structlog

from ggen_graph.errors import QueryTimeout, ResourceLimitExceeded, StoreUnavailable, WorkerCrashed, from_wire
from ggen_graph.store_worker import WorkerConfig
from ggen_graph.worker_options import ISOLATION_SETTING, MEMORY_SETTING, WorkerOptions, default_options
from ggen_mcp_core.observability import ensure_stderr_logging

ensure_stderr_logging()
log = structlog.get_logger("ggen_mcp.graph")

READ_OPS = frozenset({"ping", "count", "count_all", "query", "export", "graphs", "validate"})
BULKY_OPS = frozenset({"load", "validate"})  # large payloads: sent from a thread, never from the event loop
START_TIMEOUT = 60.0
MAX_CRASHES = 3  # a call in flight at this many crashes is the offender, whatever else ran beside it
STDERR_TAIL = 40
OUT_OF_MEMORY_MARKERS = ("memory allocation of", "MemoryError", "Cannot allocate memory", "bad_alloc")
WORKER_MAIN = "import sys; from ggen_graph.store_worker import main; main(sys.argv[1:])"


class _Process:
    """The worker process: a fresh interpreter running :func:`ggen_graph.store_worker.main`.

    Not a ``multiprocessing`` child: those fork from a server that has imported the whole host (the
    ``__main__`` module is ``ggen-mcp`` itself), and with its resource tracker that cost ~65 MiB of
    resident memory per server for nothing the worker uses. The worker imports only what it needs.
    """

    def __init__(self, args: list[str], conn_fd: int) -> None:
        command = [sys.executable, "-c", WORKER_MAIN, str(conn_fd), *args]
        # RUST_BACKTRACE=0: an allocation failure prints one line, not a 50-frame backtrace per thread.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "RUST_BACKTRACE": "0"}
        self.popen = subprocess.Popen(
            command,
            pass_fds=(conn_fd,),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.pid = self.popen.pid
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL)
        self._stderr = threading.Thread(target=self._relay_stderr, name="ggen-graph-stderr", daemon=True)
        self._stderr.start()

    def _relay_stderr(self) -> None:
        """Copy the worker's stderr to ours, keeping the last lines (they tell why a worker died)."""
        stream = self.popen.stderr
        assert stream is not None
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.stderr_tail.append(line)
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(line)
        stream.close()

    def crash_cause(self) -> tuple[str, bool]:
        """How the process ended (``"killed by SIGABRT"``, ``"exit code 1"``) and whether it ran out of memory."""
        self.join(5)
        self._stderr.join(5)
        code = self.popen.returncode
        if code is None:
            cause = "its connection closed"
        elif code < 0:
            cause = f"killed by {_signal_name(-code)}"
        else:
            cause = f"exit code {code}"
        memory = any(marker in line for line in self.stderr_tail for marker in OUT_OF_MEMORY_MARKERS)
        return cause, memory

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()

    def join(self, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)


class _Worker:
    """One running worker process and its pending requests."""

    def __init__(self, process: _Process, conn: Connection, crashes: list[int]) -> None:
        self.process = process
        self.conn = conn
        self.crashes = crashes  # the client's record: calls in flight at each crash
        self.pending: dict[int, Future[Any]] = {}
        self.started: set[int] = set()  # writes that hold the worker's write lock
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.alive = True
        self.stopped = False  # killed or closed by the server (not a crash)
        self.lost_reason = "the graph store worker ended"

    def reader(self) -> None:
        while True:
            try:
                request_id, ok, value = self.conn.recv()
            except (EOFError, OSError, ValueError):
                break
            with self.lock:
                if ok is None:  # a write took the write lock: from now on it may change the store
                    self.started.add(request_id)
                    continue
                self.started.discard(request_id)
                future = self.pending.pop(request_id, None)
            if future is not None:
                _settle(future, value if ok else from_wire(*value), ok)
        if self.stopped:
            self.fail_all()
            return
        cause, memory = self.process.crash_cause()
        if self.stopped:  # killed at a deadline while we waited for the exit status
            self.fail_all()
            return
        with self.lock:
            in_flight = len(self.pending)
        self.crashes.append(in_flight)
        log.warning(
            "graph worker crashed", pid=self.process.pid, cause=cause, out_of_memory=memory, in_flight=in_flight
        )
        started = set(self.started)
        self.fail_all(
            lambda request: WorkerCrashed(cause, memory=memory, in_flight=in_flight, started=request in started)
        )

    def fail_all(self, error: Callable[[int], StoreUnavailable] | None = None) -> None:
        with self.lock:
            self.alive = False
            pending, self.pending = self.pending, {}
        for request_id, future in pending.items():
            failure = error(request_id) if error is not None else StoreUnavailable(self.lost_reason)
            _settle(future, failure, False)

    def is_pending(self, request_id: int) -> bool:
        """True while the worker has not answered this request."""
        with self.lock:
            return request_id in self.pending

    def submit(self, request_id: int, op: str, kwargs: dict[str, Any]) -> Future[Any]:
        """Send one request; its future settles when the answer (or the worker's end) arrives."""
        future: Future[Any] = Future()
        with self.lock:
            if not self.alive:
                raise StoreUnavailable(self.lost_reason)
            self.pending[request_id] = future
        try:
            with self.send_lock:
                self.conn.send((request_id, op, kwargs))
        except (OSError, ValueError) as exc:
            # The worker died: its reader settles the calls in flight (with the cause); this one never ran.
            with self.lock:
                self.pending.pop(request_id, None)
            raise StoreUnavailable(f"the graph store worker is gone: {exc}") from None
        return future


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _restart_reason(op: str) -> str:
    return f"the graph store worker was restarted: another call overran its deadline ({op})"


def _settle(future: Future[Any], value: Any, ok: bool) -> None:
    """Set a future's outcome unless it was cancelled (an abandoned caller) or already settled."""
    try:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
    except InvalidStateError:
        pass


class WorkerClient:
    """Runs graph operations in a worker process that is restarted when it dies or overruns a deadline.

    :param path: the on-disk store directory, or None for an in-memory store.
    :param threads: operations the worker runs at once.
    :param replica_triples: keep an in-memory copy for reads of a store this small (0: never); see
        :mod:`ggen_graph.replica`.
    :param kind: ``store`` (one pyoxigraph store) or ``graphs`` (template graphs, see
        :mod:`ggen_graph.memory_graphs`).
    :param options: network isolation and memory limit (the process-wide defaults when None).
    :param retry_ops: the operations retried on a fresh worker after the worker ended (reads: writes to an
        on-disk store are not, see the module docstring).
    """

    def __init__(
        self,
        path: str | None,
        *,
        threads: int = 4,
        replica_triples: int = 0,
        kind: str = "store",
        options: WorkerOptions | None = None,
        retry_ops: frozenset[str] = READ_OPS,
    ) -> None:
        self.path = path
        self.threads = threads
        self.replica_triples = replica_triples
        self.kind = kind
        self.options = options or default_options()
        self.retry_ops = retry_ops
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._suspects = threading.RLock()  # calls retried after a crash run one at a time
        self._worker: _Worker | None = None
        self._closed = False
        self._warned = False
        self.restarts = 0
        self.crashes: list[int] = []  # calls in flight at each crash of a worker (for operators and tests)
        self.isolation: dict[str, str] = {}  # the last worker's network confinement: mechanism, detail

    @property
    def pid(self) -> int | None:
        """The worker's process id, when one is running."""
        worker = self._worker
        return worker.process.pid if worker is not None and worker.alive else None

    def call(
        self,
        op: str,
        kwargs: dict[str, Any] | None = None,
        *,
        timeout: float,
        what: str = "query",
        before_retry: Callable[[], None] | None = None,
    ) -> Any:
        """Run ``op`` in the worker; raise ``QueryTimeout`` (and kill the worker) after ``timeout`` seconds.

        ``what`` names the operation in the timeout message ("query exceeded 10 s"). ``before_retry`` runs
        before the call is retried on a new worker (to put back state the old worker held).
        """
        arguments = kwargs or {}
        try:
            return self._call_once(op, timeout, what, arguments)
        except WorkerCrashed as crash:
            return self._after_crash(op, timeout, what, arguments, crash, before_retry)
        except StoreUnavailable:
            if op not in self.retry_ops:
                raise
            if before_retry is not None:
                before_retry()
            return self._call_once(op, timeout, what, arguments)

    def _after_crash(
        self,
        op: str,
        timeout: float,
        what: str,
        kwargs: dict[str, Any],
        crash: WorkerCrashed,
        before_retry: Callable[[], None] | None = None,
    ) -> Any:
        """Retry a call the worker crashed under, one suspect at a time, until it is cleared or convicted."""
        if op not in self.retry_ops and crash.started:
            raise self._write_lost(what, crash) from None
        crashes = 1
        with self._suspects:  # reentrant: before_retry may call the worker itself
            while True:
                try:
                    if before_retry is not None:
                        before_retry()
                    return self._call_once(op, timeout, what, kwargs)
                except WorkerCrashed as again:
                    crashes += 1
                    if op not in self.retry_ops and again.started:
                        raise self._write_lost(what, again) from None
                    if (again.in_flight == 1 and crashes >= 2) or crashes >= MAX_CRASHES:
                        raise self._offender_error(what, again) from None

    def _write_lost(self, what: str, crash: WorkerCrashed) -> StoreUnavailable:
        """A write that was changing the store when the worker died: never run twice by the server."""
        memory = f", out of memory: {MEMORY_SETTING}={self.options.memory_mb}" if crash.memory else ""
        return StoreUnavailable(
            f"the graph worker ended while this {what} ran ({crash.cause}{memory}); it was not retried: a "
            "write is committed whole at its end, but whether that happened before the crash is unknown, so "
            "check the store before running it again"
        )

    def _offender_error(self, what: str, crash: WorkerCrashed) -> ResourceLimitExceeded:
        if crash.memory:
            return ResourceLimitExceeded(
                f"the {what} made the graph worker exceed its memory limit "
                f"({MEMORY_SETTING}={self.options.memory_mb}) and was stopped; the other calls were not affected"
            )
        return ResourceLimitExceeded(
            f"the {what} ended the graph worker ({crash.cause}; for example a parser stack overflow on deeply "
            "nested input) and was stopped; the other calls were not affected"
        )

    def _call_once(self, op: str, timeout: float, what: str, kwargs: dict[str, Any]) -> Any:
        worker = self._ensure()
        future = worker.submit(next(self._ids), op, kwargs)
        try:
            return future.result(timeout)
        except FutureTimeout:
            self._kill(worker, _restart_reason(op))
            raise QueryTimeout(timeout, what) from None

    async def call_async(
        self, op: str, kwargs: dict[str, Any] | None = None, *, deadline_s: float, what: str = "query"
    ) -> Any:
        """:meth:`call` for async callers: on asyncio the event loop awaits the answer with no thread in
        between (the reader thread wakes it); elsewhere it runs :meth:`call` in a worker thread."""
        arguments = kwargs or {}
        if op in BULKY_OPS or not _on_asyncio():
            return await anyio.to_thread.run_sync(partial(self.call, op, arguments, timeout=deadline_s, what=what))
        try:
            return await self._call_once_async(op, deadline_s, what, arguments)
        except WorkerCrashed as crash:
            retry = partial(self._after_crash, op, deadline_s, what, arguments, crash)
            return await anyio.to_thread.run_sync(retry)  # waits for the suspect lock, off the event loop
        except StoreUnavailable:
            if op not in self.retry_ops:
                raise
            return await self._call_once_async(op, deadline_s, what, arguments)

    async def _call_once_async(self, op: str, deadline_s: float, what: str, kwargs: dict[str, Any]) -> Any:
        worker = self._worker
        if worker is None or not worker.alive:
            worker = await anyio.to_thread.run_sync(self._ensure)
        request_id = next(self._ids)
        future = worker.submit(request_id, op, kwargs)
        started = time.monotonic()
        try:
            with anyio.move_on_after(deadline_s) as scope:
                return await asyncio.wrap_future(future)
        except BaseException:
            # The caller went away (cancelled): keep the deadline anyway, from a watchdog thread.
            remaining = deadline_s - (time.monotonic() - started)
            threading.Thread(target=self._watch, args=(worker, request_id, remaining, op), daemon=True).start()
            raise
        if scope.cancelled_caught:
            await anyio.to_thread.run_sync(self._kill, worker, _restart_reason(op))
        raise QueryTimeout(deadline_s, what)

    def _watch(self, worker: _Worker, request_id: int, remaining: float, op: str) -> None:
        """Kill the worker if a request nobody waits for any more is still running at its deadline."""
        end = time.monotonic() + max(remaining, 0.0)
        while time.monotonic() < end:
            if not worker.is_pending(request_id):
                return
            time.sleep(0.05)
        if worker.is_pending(request_id):
            self._kill(worker, _restart_reason(op))

    def _ensure(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the graph store was closed; retry the call")
            worker = self._worker
            if worker is not None and worker.alive and worker.process.is_alive():
                return worker
            if worker is not None:
                self._reap(worker)
                self.restarts += 1
            self._worker = self._start()
            return self._worker

    def _config(self) -> WorkerConfig:
        return WorkerConfig(
            kind=self.kind,
            path=self.path,
            threads=self.threads,
            replica_triples=self.replica_triples,
            network_isolation=self.options.network_isolation,
            memory_mb=self.options.memory_mb,
        )

    def _start(self) -> _Worker:
        parent_socket, child_socket = socket.socketpair()
        parent = Connection(parent_socket.detach())
        try:
            process = _Process([self._config().to_arg()], child_socket.fileno())
        except OSError as exc:
            parent.close()
            raise StoreUnavailable(f"the graph store worker could not be started: {exc}") from None
        finally:
            child_socket.close()
        if not parent.poll(START_TIMEOUT):
            process.kill()
            raise StoreUnavailable(f"the graph store worker did not start within {START_TIMEOUT:g} s")
        try:
            status, detail = parent.recv()
        except (EOFError, OSError):
            process.join(5)
            raise StoreUnavailable(f"the graph store worker exited at start (code {process.exitcode})") from None
        if status != "ready":
            process.join(5)
            log.error("graph worker refused to start", kind=self.kind, reason=str(detail))
            raise StoreUnavailable(str(detail))
        self._report_isolation(detail)
        worker = _Worker(process, parent, self.crashes)
        threading.Thread(target=worker.reader, name="ggen-graph-reader", daemon=True).start()
        return worker

    def _report_isolation(self, ready: dict[str, Any]) -> None:
        self.isolation = {"mechanism": str(ready["mechanism"]), "detail": str(ready["detail"])}
        if ready["mechanism"] != "none":
            log.info("graph worker started", kind=self.kind, pid=ready["pid"], network_isolation=ready["mechanism"])
        elif not self._warned:
            self._warned = True
            log.error(
                "graph worker runs WITHOUT network isolation: SPARQL SERVICE/LOAD text could reach the network",
                kind=self.kind,
                pid=ready["pid"],
                setting=f"{ISOLATION_SETTING}=warn",
                refused=ready["detail"],
            )

    def _kill(self, worker: _Worker, reason: str) -> None:
        worker.lost_reason = reason
        worker.stopped = True
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(10)
        worker.fail_all()

    def _reap(self, worker: _Worker) -> None:
        worker.stopped = True
        worker.fail_all()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(10)
        worker.conn.close()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker: let it finish running calls and flush, kill it if it does not end in time."""
        with self._lock:
            worker, self._worker = self._worker, None
            self._closed = True
        if worker is None:
            return
        worker.lost_reason = "the graph store was closed"
        worker.stopped = True
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.process.join(timeout)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5)
        worker.fail_all()
        worker.conn.close()


__all__ = ["READ_OPS", "WorkerClient"]
