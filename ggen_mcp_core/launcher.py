"""The ``ggen-mcp`` console script: no full garbage collection while the command starts, then the command line.

Start-up builds about 100,000 long-lived objects (modules, some 700 pydantic models, tool schemas) and little
cyclic garbage. Every full collection while they are built walks all of them to find almost nothing: measured
on `ggen-mcp serve`, three full collections and their gen-1 promotions cost about 100 ms of a one-second start
(issue 16, docs/performance.md). So the command raises the full-collection threshold while it starts; young
collections still run and free the short-lived cycles. :func:`end_startup` puts the interpreter's thresholds
back once the plugins are loaded (``cli.load_host``); ``serve`` instead keeps them until it has collected
everything once and frozen the start-up heap (``startup_heap``; over stdio once the client has the answer to
`initialize`). A process that
imports the command line without this entry point (a test, an application embedding the host) keeps the
interpreter's own thresholds.
"""

from __future__ import annotations

import gc

STARTUP_FULL_COLLECTION_THRESHOLD = 1_000_000  # gen-1 collections before a full one: none while starting
_saved_thresholds: tuple[int, int, int] | None = None


def defer_full_collections() -> None:
    """Raise the full-collection threshold until :func:`end_startup` (idempotent)."""
    global _saved_thresholds
    if _saved_thresholds is None:
        _saved_thresholds = gc.get_threshold()
        young, middle, _ = _saved_thresholds
        gc.set_threshold(young, middle, STARTUP_FULL_COLLECTION_THRESHOLD)


def end_startup() -> None:
    """Put back the thresholds :func:`defer_full_collections` changed (nothing when it did not run)."""
    global _saved_thresholds
    if _saved_thresholds is not None:
        gc.set_threshold(*_saved_thresholds)
        _saved_thresholds = None


def main() -> None:
    """Console-script entry point: defer full collections, then run the command line."""
    defer_full_collections()
    from ggen_mcp_core.cli import main as command_line

    command_line()
