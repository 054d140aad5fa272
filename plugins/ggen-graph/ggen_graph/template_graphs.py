"""The process-wide template-graph worker: every :class:`ggen_graph.engine.MemoryGraph`'s store lives there.

One long-lived worker process (started on first use, restarted when it dies or is killed at a deadline)
holds the stores of every template graph, keyed by the handle's id (:mod:`ggen_graph.memory_graphs`).
It runs with the process-wide worker options (:mod:`ggen_graph.worker_options`): no network, a memory
limit; when those change (a host loaded with other settings), the next call starts a new worker.
Handles that are garbage collected are forgotten in the worker with the next call (``drop``).
"""

from __future__ import annotations

import atexit
import threading

from ggen_graph.worker_client import WorkerClient
from ggen_graph.worker_options import default_options

THREADS = 4
# Everything a graphs worker does is a read, or a load into a store that dies with the worker and is loaded
# again from the handle: every call may be retried on a fresh worker.
RETRY_OPS = frozenset({"ping", "graph_load", "graph_query", "graph_dump", "graph_drop"})

_lock = threading.Lock()
_client: WorkerClient | None = None
_forgotten: list[str] = []


def template_graph_worker() -> WorkerClient:
    """The worker (a new one when the process-wide options changed since it started)."""
    global _client
    options = default_options()
    with _lock:
        if _client is not None and _client.options != options:
            _client.close()
            _client = None
        if _client is None:
            _client = WorkerClient(None, threads=THREADS, kind="graphs", options=options, retry_ops=RETRY_OPS)
        return _client


def forget(graph_id: str) -> None:
    """Let the worker drop this graph with the next call (called when a handle is garbage collected)."""
    with _lock:
        _forgotten.append(graph_id)


def take_forgotten() -> list[str]:
    """The ids to drop, handed out once."""
    with _lock:
        taken = list(_forgotten)
        _forgotten.clear()
        return taken


def close_template_graph_worker() -> None:
    """Stop the worker (its graphs are gone; handles load them again on the next call)."""
    global _client
    with _lock:
        client, _client = _client, None
        _forgotten.clear()
    if client is not None:
        client.close()


atexit.register(close_template_graph_worker)
