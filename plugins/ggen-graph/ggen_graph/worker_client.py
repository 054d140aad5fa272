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
from concurrent.futures import Future
from concurrent.futures import InvalidStateError as FutureStateError
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread
import structlog

from ggen_graph import worker_frames
from ggen_graph.errors import QueryTimeout, ResourceLimitExceeded, StoreUnavailable, WorkerCrashed, from_wire
from ggen_graph.store_worker import WorkerConfig
from ggen_graph.worker_options import ISOLATION_SETTING, MEMORY_SETTING, WorkerOptions, default_options
from ggen_mcp_core.observability import ensure_stderr_logging

ensure_stderr_logging()
log = structlog.get_logger("ggen_mcp.graph")
Progress = Callable[[int, int, str], None]  # done, total, message: a long operation's progress

READ_OPS = frozenset({"ping", "count", "count_all", "query", "export", "graphs", "validate"})
BULKY_OPS = frozenset({"load", "validate"})  # large payloads: sent from a thread, never from the event loop
START_TIMEOUT = 60.0
MAX_CRASHES = 3  # a call in flight at this many crashes is the offender, whatever else ran beside it
STDERR_TAIL = 40
OUT_OF_MEMORY_MARKERS = ("memory allocation of", "MemoryError", "Cannot allocate memory", "bad_alloc")
CANCEL_GRACE = 0.05  # a cancelled read still running after this is stopped (its worker killed)
CANCEL_POLL = 0.01  # a cancelled call's request is checked this often until the worker is stopped
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
    """One running worker process and its pending requests.

    Its answers are read either by a reader thread (:meth:`read_in_thread`) or, for a worker started by an
    asyncio caller, on that event loop (:meth:`read_on_loop`): the socket is watched by the loop's selector,
    and an answer settles the caller's asyncio future directly, with no thread hand-off, no GIL contention
    with a reader thread and no wake-up of the loop from another thread.
    """

    def __init__(self, process: _Process, conn: Connection, crashes: list[int]) -> None:
        self.process = process
        self.conn = conn
        self.crashes = crashes  # the client's record: calls in flight at each crash
        self.pending: dict[int, Future[Any] | asyncio.Future[Any]] = {}
        self.started: set[int] = set()  # writes that hold the worker's write lock
        self.progress: dict[int, Progress] = {}  # requests whose progress someone listens to
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.alive = True
        self.stopped = False  # killed or closed by the server (not a crash)
        self.lost_reason = "the graph store worker ended"
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop that reads the answers, when not a thread
        self._buffer = bytearray()
        self._fd = conn.fileno()

    def read_in_thread(self) -> None:
        """Read the answers in a daemon thread."""
        self.loop = None
        threading.Thread(target=self.reader, name="ggen-graph-reader", daemon=True).start()

    def read_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read the answers on ``loop`` (called on the loop's thread)."""
        self.loop = loop
        loop.add_reader(self._fd, self._readable)

    def loop_is_usable(self) -> bool:
        """False when the answers are read on a loop that no longer runs (they would never be read)."""
        loop = self.loop
        return loop is None or (loop.is_running() and not loop.is_closed())

    def on_loop_thread(self) -> bool:
        loop = self.loop
        if loop is None:
            return False
        try:
            return asyncio.get_running_loop() is loop
        except RuntimeError:
            return False

    def _readable(self) -> None:
        """The loop's callback: read what arrived, handle every whole message in it."""
        try:
            data = os.read(self._fd, worker_frames.READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.detach()
            threading.Thread(target=self.ended, name="ggen-graph-ended", daemon=True).start()
            return
        buffer = self._buffer
        buffer += data
        while True:
            message = worker_frames.take_frame(buffer)
            if message is None:
                return
            self.handle(worker_frames.decode(message))

    def detach(self) -> None:
        loop, self.loop = self.loop, None
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(ValueError, OSError, RuntimeError):
                loop.remove_reader(self._fd)

    def close_connection(self) -> None:
        """Close the pipe, after taking it out of the loop's selector (on the loop's thread when it runs)."""
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running() or self.on_loop_thread():
            self.detach()
            self.conn.close()
            return
        try:
            loop.call_soon_threadsafe(self._detach_and_close)
        except RuntimeError:  # the loop closed meanwhile
            self.conn.close()

    def _detach_and_close(self) -> None:
        self.detach()
        self.conn.close()

    def reader(self) -> None:
        """The reader thread: the same framing as on the loop, so a worker moved from a stopped loop to a
        thread mid-message loses nothing (what the loop had read waits in the buffer)."""
        buffer = self._buffer
        while True:
            message = worker_frames.take_frame(buffer)
            if message is not None:
                self.handle(worker_frames.decode(message))
                continue
            try:
                data = os.read(self._fd, worker_frames.READ_CHUNK)
            except OSError:
                break
            if not data:
                break
            buffer += data
        self.ended()

    def handle(self, message: tuple[int, bool | None, Any]) -> None:
        """One answer (or a write's "started" notice) from the worker."""
        request_id, ok, value = message
        if ok is None and isinstance(value, tuple):  # ("progress", done, total, message)
            listener = self.progress.get(request_id)
            if listener is not None:
                listener(value[1], value[2], value[3])
            return
        with self.lock:
            if ok is None:  # a write took the write lock: from now on it may change the store
                self.started.add(request_id)
                return
            self.started.discard(request_id)
            self.progress.pop(request_id, None)
            future = self.pending.pop(request_id, None)
        if future is not None:
            _settle(future, value if ok else from_wire(*value), ok)

    def ended(self) -> None:
        """The pipe closed: fail every call in flight, with the cause when the worker crashed."""
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
            self.progress.clear()
        for request_id, future in pending.items():
            failure = error(request_id) if error is not None else StoreUnavailable(self.lost_reason)
            _settle(future, failure, False)

    def is_pending(self, request_id: int) -> bool:
        """True while the worker has not answered this request."""
        with self.lock:
            return request_id in self.pending

    def writing(self) -> bool:
        """True while a write holds the worker's write lock (killing the worker could lose it)."""
        with self.lock:
            return bool(self.started)

    def submit(
        self,
        request_id: int,
        op: str,
        kwargs: dict[str, Any],
        future: Future[Any] | asyncio.Future[Any] | None = None,
        progress: Progress | None = None,
    ) -> Any:
        """Send one request; ``future`` (a new concurrent one when None) settles when the answer (or the
        worker's end) arrives; ``progress`` hears how far it has come (from the reader's thread or loop)."""
        if future is None:
            future = Future()
        with self.lock:
            if not self.alive:
                raise StoreUnavailable(self.lost_reason)
            self.pending[request_id] = future
            if progress is not None:
                self.progress[request_id] = progress
        try:
            # not Connection.send: the same pickle without a ForkingPickler (and the copy of the copyreg
            # dispatch table it makes) per message; requests hold only plain values.
            frame = worker_frames.encode((request_id, op, kwargs))
            with self.send_lock:
                self.conn.send_bytes(frame)
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


def _cancel_reason(op: str) -> str:
    return f"the graph store worker was restarted: a cancelled call's {op} was stopped"


def _expire(waiter: asyncio.Future[Any], expired: list[bool]) -> None:
    """A call's deadline passed: end its wait (the caller then kills the worker)."""
    if not waiter.done():
        expired.append(True)
        waiter.cancel()


def _settle(future: Future[Any] | asyncio.Future[Any], value: Any, ok: bool) -> None:
    """Set a future's outcome unless it was cancelled (an abandoned caller) or already settled; an asyncio
    future is settled on its loop's thread."""
    if isinstance(future, asyncio.Future):
        loop = future.get_loop()
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            _settle_now(future, value, ok)
        else:
            with contextlib.suppress(RuntimeError):  # its loop closed: nobody waits for it
                loop.call_soon_threadsafe(_settle_now, future, value, ok)
        return
    _settle_now(future, value, ok)


def _settle_now(future: Future[Any] | asyncio.Future[Any], value: Any, ok: bool) -> None:
    try:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
    except (FutureStateError, asyncio.InvalidStateError):
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
        progress: Progress | None = None,
    ) -> Any:
        """Run ``op`` in the worker; raise ``QueryTimeout`` (and kill the worker) after ``timeout`` seconds.

        ``what`` names the operation in the timeout message ("query exceeded 10 s"). ``before_retry`` runs
        before the call is retried on a new worker (to put back state the old worker held). ``progress``
        hears how far a load, clear or export has come.
        """
        arguments = kwargs or {}
        try:
            return self._call_once(op, timeout, what, arguments, progress)
        except WorkerCrashed as crash:
            return self._after_crash(op, timeout, what, arguments, crash, before_retry)
        except StoreUnavailable:
            if op not in self.retry_ops:
                raise
            if before_retry is not None:
                before_retry()
            return self._call_once(op, timeout, what, arguments, progress)

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

    def _call_once(
        self, op: str, timeout: float, what: str, kwargs: dict[str, Any], progress: Progress | None = None
    ) -> Any:
        worker = self._ensure()
        future = worker.submit(next(self._ids), op, kwargs, progress=progress)
        try:
            return future.result(timeout)
        except FutureTimeout:
            self._kill(worker, _restart_reason(op))
            raise QueryTimeout(timeout, what) from None

    async def call_async(
        self,
        op: str,
        kwargs: dict[str, Any] | None = None,
        *,
        deadline_s: float,
        what: str = "query",
        progress: Progress | None = None,
    ) -> Any:
        """:meth:`call` for async callers: on asyncio the event loop sends the request and awaits the answer
        with no thread in between (see :class:`_Worker`); elsewhere it runs :meth:`call` in a worker thread."""
        arguments = kwargs or {}
        call = partial(self.call, op, arguments, timeout=deadline_s, what=what, progress=progress)
        if not _on_asyncio():
            return await anyio.to_thread.run_sync(call)
        if op in BULKY_OPS:
            await self._ensure_async()  # a worker started here reads its answers on this loop
            return await anyio.to_thread.run_sync(call)
        try:
            return await self._call_once_async(op, deadline_s, what, arguments, progress)
        except WorkerCrashed as crash:
            retry = partial(self._after_crash, op, deadline_s, what, arguments, crash)
            return await anyio.to_thread.run_sync(retry)  # waits for the suspect lock, off the event loop
        except StoreUnavailable:
            if op not in self.retry_ops:
                raise
            return await self._call_once_async(op, deadline_s, what, arguments, progress)

    async def _ensure_async(self) -> _Worker:
        """The running worker, started (off the event loop) with its answers read on this loop when needed."""
        worker = self._worker
        if worker is not None and worker.alive and not worker.stopped and worker.loop_is_usable():
            return worker  # a worker being killed (stopped) is never handed out: the next call gets a new one
        return await anyio.to_thread.run_sync(self._ensure, asyncio.get_running_loop())

    async def _call_once_async(
        self, op: str, deadline_s: float, what: str, kwargs: dict[str, Any], progress: Progress | None = None
    ) -> Any:
        loop = asyncio.get_running_loop()
        worker = await self._ensure_async()
        request_id = next(self._ids)
        if worker.loop is loop:
            waiter: asyncio.Future[Any] = worker.submit(request_id, op, kwargs, loop.create_future(), progress)
        else:
            waiter = asyncio.wrap_future(worker.submit(request_id, op, kwargs, progress=progress))
        # The deadline: one timer that cancels the wait (cheaper than a cancel scope per call).
        expired: list[bool] = []
        timer = loop.call_later(deadline_s, _expire, waiter, expired)
        started = time.monotonic()
        try:
            return await waiter
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not expired or (task is not None and task.cancelling()):
                # The caller was cancelled: stop the request in the worker (a read: at once; a write: at
                # its deadline, a write cut short could be lost).
                remaining = deadline_s - (time.monotonic() - started)
                stop = threading.Thread(
                    target=self._stop_abandoned, args=(worker, request_id, remaining, op), daemon=True
                )
                stop.start()
                raise
        finally:
            timer.cancel()
        await anyio.to_thread.run_sync(self._kill, worker, _restart_reason(op))
        raise QueryTimeout(deadline_s, what)

    def _stop_abandoned(self, worker: _Worker, request_id: int, remaining: float, op: str) -> None:
        """Stop a request nobody waits for any more: a read is stopped (its worker killed) when it has not
        answered within a grace period, unless a write holds the worker; anything else at its deadline."""
        now = time.monotonic()
        end = now + max(remaining, 0.0)
        grace = now + CANCEL_GRACE if op in self.retry_ops else end
        while worker.is_pending(request_id):
            now = time.monotonic()
            if now >= end or (now >= grace and not worker.writing()):
                reason = _restart_reason(op) if now >= end else _cancel_reason(op)
                log.info("graph worker stopped for an abandoned call", op=op, pid=worker.process.pid, reason=reason)
                self._kill(worker, reason)
                return
            time.sleep(CANCEL_POLL)

    def _ensure(self, loop: asyncio.AbstractEventLoop | None = None) -> _Worker:
        """The running worker (started when there is none); with ``loop``, a new worker's answers are read
        on that loop. A worker whose reading loop stopped is moved to ``loop`` (or to a reader thread), and so
        is one whose loop is the caller's own when the caller blocks it (a synchronous call on the loop)."""
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the graph store was closed; retry the call")
            worker = self._worker
            if worker is not None and worker.alive and not worker.stopped and worker.process.is_alive():
                if not worker.loop_is_usable() or (loop is None and worker.on_loop_thread()):
                    self._rehome(worker, loop)
                return worker
            if worker is not None:
                self._reap(worker)
                self.restarts += 1
            self._worker = self._start(loop)
            return self._worker

    @staticmethod
    def _rehome(worker: _Worker, loop: asyncio.AbstractEventLoop | None) -> None:
        worker.detach()
        if loop is None:
            worker.read_in_thread()
        else:
            worker.loop = loop
            loop.call_soon_threadsafe(worker.read_on_loop, loop)

    def _config(self) -> WorkerConfig:
        return WorkerConfig(
            kind=self.kind,
            path=self.path,
            threads=self.threads,
            replica_triples=self.replica_triples,
            network_isolation=self.options.network_isolation,
            memory_mb=self.options.memory_mb,
        )

    def _start(self, loop: asyncio.AbstractEventLoop | None = None) -> _Worker:
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
        if loop is None:
            worker.read_in_thread()
        else:
            worker.loop = loop  # registered on the loop's thread; answers wait in the pipe until then
            loop.call_soon_threadsafe(worker.read_on_loop, loop)
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
        worker.close_connection()

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
        worker.close_connection()


__all__ = ["READ_OPS", "WorkerClient"]
