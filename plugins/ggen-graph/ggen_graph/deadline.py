"""Query deadlines for in-process pyoxigraph stores.

pyoxigraph has no way to interrupt a running query. In process, the query runs in a daemon thread: the
caller stops waiting at the deadline, and the thread stops at its next result row (it checks the clock
between rows). A query that spends long inside one row (an aggregate over a huge join) keeps its thread
busy until pyoxigraph returns; to bound that work, at most ``MAX_RUNAWAY`` such abandoned queries may be
running at once, and further queries are refused until one ends. The persistent store does better: its
queries run in a worker process that is killed at the deadline (see :mod:`ggen_graph.store_worker`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ggen_graph.errors import QueryRefused, QueryTimeout

T = TypeVar("T")
MAX_RUNAWAY = 2

_lock = threading.Lock()
_runaway = 0


def runaway_queries() -> int:
    """How many abandoned queries are still running."""
    return _runaway


def run_with_deadline(work: Callable[[float], T], timeout: float) -> T:
    """Run ``work(deadline)`` in a thread; raise ``QueryTimeout`` when it is not done by ``timeout`` seconds.

    ``work`` receives the ``time.monotonic()`` deadline and should raise ``QueryTimeout`` itself when it
    notices the deadline has passed between rows.
    """
    if _runaway >= MAX_RUNAWAY:
        raise QueryRefused(
            f"{_runaway} earlier queries that exceeded their deadline are still running; retry in a moment"
        )
    deadline = time.monotonic() + timeout
    done = threading.Event()
    box: dict[str, object] = {}

    def target() -> None:
        global _runaway
        try:
            box["value"] = work(deadline)
        except BaseException as exc:  # handed to the caller below
            # pyoxigraph results may only be dropped in the thread that made them: forget the frames.
            exc.__traceback__ = exc.__context__ = exc.__cause__ = None
            box["error"] = exc
        finally:
            with _lock:
                if box.get("abandoned"):
                    _runaway -= 1
                done.set()

    threading.Thread(target=target, name="ggen-graph-query", daemon=True).start()
    if not done.wait(timeout):
        with _lock:
            if not done.is_set():
                _abandon(box)
                raise QueryTimeout(timeout)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _abandon(box: dict[str, object]) -> None:
    global _runaway
    box["abandoned"] = True
    _runaway += 1


def check_deadline(deadline: float, timeout: float) -> None:
    """Raise ``QueryTimeout`` when ``deadline`` (``time.monotonic()``) has passed."""
    if time.monotonic() > deadline:
        raise QueryTimeout(timeout)
