"""The SHACL validator worker: an in-memory graph worker process (without network, like every graph worker)."""

from __future__ import annotations

import atexit
import threading

from ggen_graph.worker_client import WorkerClient

_lock = threading.Lock()
_validator: WorkerClient | None = None


def validator() -> WorkerClient:
    """The process-wide validator worker (started on first use, restarted when killed at a deadline)."""
    global _validator
    with _lock:
        if _validator is None:
            _validator = WorkerClient(None, threads=2)
        return _validator


def close_validator() -> None:
    """Stop the validator worker."""
    global _validator
    with _lock:
        worker, _validator = _validator, None
    if worker is not None:
        worker.close()


atexit.register(close_validator)
