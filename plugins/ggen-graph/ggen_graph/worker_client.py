"""The server's side of a store worker process: requests, deadlines, kill and restart.

Each call gets a deadline. When it passes, the caller gets ``QueryTimeout`` at once and the worker is
killed (``SIGKILL``): that is the only way to stop a pyoxigraph query that is still running. Calls that
were running in the same worker end with ``StoreUnavailable`` (read-only ones are retried once in a new
worker); the next call starts a new worker, which opens the store again. A killed worker loses at most
the write it was doing: RocksDB commits each load or update whole (except the bulk loader, see the docs).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread

from ggen_graph.errors import QueryTimeout, StoreUnavailable, from_wire

READ_OPS = frozenset({"ping", "count", "count_all", "query", "export", "graphs"})
BULKY_OPS = frozenset({"load", "validate"})  # large payloads: sent from a thread, never from the event loop
START_TIMEOUT = 60.0
WORKER_MAIN = "import sys; from ggen_graph.store_worker import main; main(sys.argv[1:])"


class _Process:
    """The worker process: a fresh interpreter running :func:`ggen_graph.store_worker.main`.

    Not a ``multiprocessing`` child: those fork from a server that has imported the whole host (the
    ``__main__`` module is ``ggen-mcp`` itself), and with its resource tracker that cost ~65 MiB of
    resident memory per server for nothing the worker uses. The worker imports only what it needs.
    """

    def __init__(self, args: list[str], conn_fd: int) -> None:
        command = [sys.executable, "-c", WORKER_MAIN, str(conn_fd), *args]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.popen = subprocess.Popen(
            command, pass_fds=(conn_fd,), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        self.pid = self.popen.pid

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

    def __init__(self, process: _Process, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.pending: dict[int, Future[Any]] = {}
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()
        self.alive = True
        self.lost_reason = "the graph store worker ended"

    def reader(self) -> None:
        while True:
            try:
                request_id, ok, value = self.conn.recv()
            except (EOFError, OSError, ValueError):
                break
            with self.lock:
                future = self.pending.pop(request_id, None)
            if future is not None:
                _settle(future, value if ok else from_wire(*value), ok)
        self.fail_all()

    def fail_all(self) -> None:
        with self.lock:
            self.alive = False
            pending, self.pending = self.pending, {}
        for future in pending.values():
            _settle(future, StoreUnavailable(self.lost_reason), False)

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
            self.fail_all()
            raise StoreUnavailable(f"the graph store worker is gone: {exc}") from None
        return future


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
    """Runs store operations in a worker process that is restarted when it dies or overruns a deadline.

    :param path: the on-disk store directory, or None for an in-memory store.
    :param threads: operations the worker runs at once.
    :param network_guard: block Python-level network access in the worker (for rdflib/pyshacl work).
    :param replica_triples: keep an in-memory copy for reads of a store this small (0: never); see
        :mod:`ggen_graph.replica`.
    """

    def __init__(
        self, path: str | None, *, threads: int = 4, network_guard: bool = False, replica_triples: int = 0
    ) -> None:
        self.path = path
        self.threads = threads
        self.network_guard = network_guard
        self.replica_triples = replica_triples
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._closed = False
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        """The worker's process id, when one is running."""
        worker = self._worker
        return worker.process.pid if worker is not None and worker.alive else None

    def call(self, op: str, kwargs: dict[str, Any] | None = None, *, timeout: float, what: str = "query") -> Any:
        """Run ``op`` in the worker; raise ``QueryTimeout`` (and kill the worker) after ``timeout`` seconds.

        ``what`` names the operation in the timeout message ("query exceeded 10 s").
        """
        arguments = kwargs or {}
        try:
            return self._call_once(op, timeout, what, arguments)
        except StoreUnavailable:
            if op not in READ_OPS:
                raise
            return self._call_once(op, timeout, what, arguments)

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
        except StoreUnavailable:
            if op not in READ_OPS:
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

    def _start(self) -> _Worker:
        parent_socket, child_socket = socket.socketpair()
        parent = Connection(parent_socket.detach())
        args = [self.path or "", str(self.threads), "1" if self.network_guard else "0", str(self.replica_triples)]
        try:
            process = _Process(args, child_socket.fileno())
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
            raise StoreUnavailable(str(detail))
        worker = _Worker(process, parent)
        threading.Thread(target=worker.reader, name="ggen-graph-reader", daemon=True).start()
        return worker

    def _kill(self, worker: _Worker, reason: str) -> None:
        worker.lost_reason = reason
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(10)
        worker.fail_all()

    def _reap(self, worker: _Worker) -> None:
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
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.process.join(timeout)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5)
        worker.fail_all()
        worker.conn.close()


__all__ = ["READ_OPS", "WorkerClient"]
