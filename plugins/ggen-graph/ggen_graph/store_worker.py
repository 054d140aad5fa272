"""The graph worker: a child process that runs pyoxigraph (a store, or template graphs) off the network.

pyoxigraph cannot interrupt a running query, so the server runs the store in this process and kills it
when a call overruns its deadline (:mod:`ggen_graph.worker_client`); RocksDB keeps every committed write,
and the next call opens the store again. Before it imports pyoxigraph, while it is still single-threaded,
the process takes the network away from itself (:func:`ggen_mcp_core.confinement.confine_network`: no
SPARQL ``SERVICE`` or ``LOAD`` text reaches any host, whatever a parser thought of it) and caps its own
memory (``graph.worker_memory_mb``). It then reads ``(request_id, op, kwargs)`` messages from its pipe (buffered:
one read per wake-up, see :class:`ggen_graph.worker_frames.FrameReader`),
runs each in a thread pool (pyoxigraph releases the GIL while it works) and answers
``(request_id, ok, value)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from ggen_mcp_core.confinement import ConfinementUnavailable, IsolationMode, confine_network, limit_data_memory
from ggen_mcp_core.hardening import make_non_dumpable

_running = threading.local()  # the request a pool thread is answering


@dataclass(frozen=True)
class WorkerConfig:
    """What the server asks of a worker: ``kind`` is ``store`` (a pyoxigraph store: on disk at ``path``,
    else in memory) or ``graphs`` (many small in-memory graphs, for templates)."""

    kind: str = "store"
    path: str | None = None
    threads: int = 4
    replica_triples: int = 0
    network_isolation: IsolationMode = "required"
    memory_mb: int = 0

    def to_arg(self) -> str:
        return json.dumps(self.__dict__)


def main(argv: list[str]) -> None:
    """The worker process's entry point: ``<socket fd> <WorkerConfig as JSON>``."""
    fd, raw = argv
    conn = Connection(int(fd))
    config = WorkerConfig(**json.loads(raw))
    from ggen_graph.worker_options import ISOLATION_SETTING

    try:
        confinement = confine_network(config.network_isolation, setting=ISOLATION_SETTING)
    except ConfinementUnavailable as exc:
        conn.send(("failed", str(exc)))
        return
    # After the namespace (an unprivileged process writes its own uid_map, which non-dumpable forbids): a
    # hook running as the server's user must not read this process's environment or memory in /proc.
    make_non_dumpable()
    limit_data_memory(config.memory_mb)
    serve(conn, config, {"mechanism": confinement.mechanism, "detail": confinement.detail})


def serve(conn: Connection, config: WorkerConfig, confinement: dict[str, str]) -> None:
    """The worker's main loop: open the store, answer requests until the pipe closes."""
    import pyoxigraph as ox

    ops: Any
    if config.kind == "graphs":
        from ggen_graph.memory_graphs import MemoryGraphs

        ops = MemoryGraphs()
        store = None
    else:
        try:
            store = ox.Store(config.path) if config.path is not None else ox.Store()
        except OSError as exc:
            conn.send(("failed", _open_error(config.path, exc)))
            return
    send_lock = threading.Lock()
    if store is not None:
        from ggen_graph.store_ops import StoreOps

        replica = config.replica_triples if config.path is not None else 0
        ops = StoreOps(
            store,
            replica_triples=replica,
            on_write_start=partial(_write_started, conn, send_lock),
            on_progress=partial(_progress, conn, send_lock),
        )
    conn.send(("ready", {"pid": os.getpid(), **confinement}))
    from ggen_graph.worker_frames import FrameReader, decode

    requests = FrameReader(conn.fileno())
    with ThreadPoolExecutor(config.threads, thread_name_prefix="ggen-store") as pool:
        while True:
            try:
                frame = requests.read()
            except OSError:
                break
            message = None if frame is None else decode(frame)
            if message is None:
                break
            pool.submit(_answer, ops, conn, send_lock, config.memory_mb, *message)
    if store is not None:
        with contextlib.suppress(OSError):  # the directory may be gone (a deleted workspace): nothing to keep
            store.flush()


def _answer(
    ops: Any, conn: Connection, send_lock: threading.Lock, memory_mb: int, request_id: int, op: str, kwargs: Any
) -> None:
    from ggen_graph import worker_frames
    from ggen_graph.errors import to_wire

    _running.request_id = request_id
    try:
        reply: tuple[int, bool, Any] = (request_id, True, _dispatch(ops, op, kwargs))
    except MemoryError:
        reply = (request_id, False, ("ResourceLimitExceeded", _memory_message(op, memory_mb), None, None))
    except BaseException as exc:  # every failure goes back to the caller
        reply = (request_id, False, to_wire(exc))
    try:  # see ggen_graph.worker_frames: a SELECT result as marshalled plain values, anything else a pickle
        frame = worker_frames.encode(reply)
    except Exception as exc:  # an answer that cannot be encoded is an error answer, never a lost call
        frame = worker_frames.encode((request_id, False, to_wire(exc)))
    with send_lock, contextlib.suppress(OSError, ValueError):
        conn.send_bytes(frame)


def _write_started(conn: Connection, send_lock: threading.Lock) -> None:
    """Tell the server that the write this thread runs now holds the write lock: ``(request_id, None, "started")``.

    A write that never got this far cannot have changed the store, so the server may run it again on a new
    worker when this one crashes."""
    with send_lock, contextlib.suppress(OSError, ValueError):
        conn.send((_running.request_id, None, "started"))


def _progress(conn: Connection, send_lock: threading.Lock, done: int, total: int, message: str) -> None:
    """Tell the server how far the operation this thread runs has come: ``(request_id, None, ("progress",
    done, total, message))``; the server passes it on as an MCP progress notification."""
    with send_lock, contextlib.suppress(OSError, ValueError):
        conn.send((_running.request_id, None, ("progress", done, total, message)))


def _memory_message(op: str, memory_mb: int) -> str:
    from ggen_graph.worker_options import MEMORY_SETTING

    return f"the {op} made the graph worker exceed its memory limit ({MEMORY_SETTING}={memory_mb}) and was stopped"


def _dispatch(ops: Any, op: str, kwargs: dict[str, Any]) -> Any:
    if op == "validate":
        from ggen_graph.shacl import validate

        return validate(**kwargs)
    if op.startswith("_") or not hasattr(ops, op):
        raise ValueError(f"unknown store operation {op!r}")
    return getattr(ops, op)(**kwargs)


def _open_error(path: str | None, exc: OSError) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return (
            f"the graph store {path} is open in another process (one server per embedded store; "
            f"run several servers against a SPARQL endpoint with graph.store = 'sparql'): {text}"
        )
    return f"the graph store {path} could not be opened: {text}"
