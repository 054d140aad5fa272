"""The store worker: a child process that owns a pyoxigraph store and runs operations on it.

pyoxigraph cannot interrupt a running query, so the server runs the store in this process and kills it
when a call overruns its deadline (:mod:`ggen_graph.worker_client`); RocksDB keeps every committed write,
and the next call opens the store again. The process reads ``(request_id, op, kwargs)`` messages from its
pipe, runs each in a thread pool (pyoxigraph releases the GIL while it works) and answers
``(request_id, ok, value)``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from ggen_graph.errors import to_wire
from ggen_graph.store_ops import StoreOps

_BLOCKED_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "urllib.Request"})


def main(argv: list[str]) -> None:
    """The worker process's entry point: ``<socket fd> <store path or ""> <threads> <network guard 0|1>
    <replica triples>`` (see :class:`ggen_graph.worker_client.WorkerClient`)."""
    fd, path, threads, guard, replica = argv
    serve(Connection(int(fd)), path or None, int(threads), guard == "1", int(replica))


def serve(conn: Connection, path: str | None, threads: int, network_guard: bool, replica_triples: int = 0) -> None:
    """The worker's main loop: open the store, answer requests until the pipe closes."""
    if network_guard:
        sys.addaudithook(_refuse_network)
    try:
        store = ox.Store(path) if path is not None else ox.Store()
    except OSError as exc:
        conn.send(("failed", _open_error(path, exc)))
        return
    ops = StoreOps(store, replica_triples=replica_triples if path is not None else 0)
    send_lock = threading.Lock()
    conn.send(("ready", os.getpid()))
    with ThreadPoolExecutor(threads, thread_name_prefix="ggen-store") as pool:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            pool.submit(_answer, ops, conn, send_lock, *message)
    with contextlib.suppress(OSError):  # the directory may be gone (a deleted workspace): nothing to keep
        store.flush()


def _answer(ops: StoreOps, conn: Connection, send_lock: threading.Lock, request_id: int, op: str, kwargs: Any) -> None:
    try:
        reply: tuple[int, bool, Any] = (request_id, True, _dispatch(ops, op, kwargs))
    except BaseException as exc:  # every failure goes back to the caller
        reply = (request_id, False, to_wire(exc))
    with send_lock, contextlib.suppress(OSError, ValueError):
        conn.send(reply)


def _dispatch(ops: StoreOps, op: str, kwargs: dict[str, Any]) -> Any:
    if op == "validate":
        from ggen_graph.shacl import validate

        return validate(**kwargs)
    if op.startswith("_") or not hasattr(ops, op):
        raise ValueError(f"unknown store operation {op!r}")
    return getattr(ops, op)(**kwargs)


def _refuse_network(event: str, args: tuple[Any, ...]) -> None:
    if event in _BLOCKED_EVENTS:
        raise PermissionError(f"network access is disabled in the graph worker ({event})")


def _open_error(path: str | None, exc: OSError) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return (
            f"the graph store {path} is open in another process (one server per embedded store; "
            f"run several servers against a SPARQL endpoint with graph.store = 'sparql'): {text}"
        )
    return f"the graph store {path} could not be opened: {text}"
