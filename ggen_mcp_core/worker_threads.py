"""Blocking work in worker threads, and the truth about a thread whose call ended before it did.

A thread cannot be stopped from outside. When a call times out (or is cancelled) while its handler waits on
``ctx.run_sync(func)``, anyio abandons the wait: the call ends, gives back its call slot and its token of
anyio's thread limiter, and ``func`` runs on in its thread until it returns, holding whatever it holds (open
files, memory, locks, a write it has not made yet). This module keeps count of those threads
(``ggen_mcp_abandoned_worker_threads``), logs when one is abandoned and when it finally returns, and records
on the call's context what was abandoned, so the timeout message can say so instead of "stopped".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from ggen_mcp_core import observability  # its metrics are made on first use

if TYPE_CHECKING:
    from ggen_mcp_core.tools import ToolContext

T = TypeVar("T")


def describe(func: Callable[..., Any]) -> str:
    """A short name of the work a thread runs: ``module.qualname`` (or the callable's repr)."""
    target = getattr(func, "func", func)  # functools.partial
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    module = getattr(target, "__module__", None)
    if name is None:
        return repr(target)[:120]
    return f"{module}.{name}" if module else str(name)


class _Job:
    """One piece of blocking work: whether it returned, and whether its call gave up waiting for it."""

    __slots__ = ("abandoned_at", "ctx", "done", "lock", "name", "tool")

    def __init__(self, ctx: ToolContext, func: Callable[..., Any]) -> None:
        self.ctx = ctx
        self.name = describe(func)
        self.tool = ctx.tool.name if ctx.tool else "(no tool)"
        self.lock = threading.Lock()
        self.done = False
        self.abandoned_at: float | None = None

    def run(self, func: Callable[..., T], *args: Any) -> T:
        try:
            return func(*args)
        finally:
            with self.lock:
                self.done = True
                abandoned_at = self.abandoned_at
            if abandoned_at is not None:
                observability.ABANDONED_THREADS.labels(tool=self.tool).dec()
                self.ctx.log.info(
                    "abandoned worker thread finished",
                    work=self.name,
                    seconds_after_its_call_ended=round(time.monotonic() - abandoned_at, 3),
                )

    def abandon(self) -> bool:
        """Mark the work abandoned by its call; False when it already returned (nothing runs on)."""
        with self.lock:
            if self.done:
                return False
            self.abandoned_at = time.monotonic()
        observability.ABANDONED_THREADS.labels(tool=self.tool).inc()
        ctx: ToolContext | None = self.ctx
        while ctx is not None:  # a caller whose deadline ended a nested call abandoned the thread too
            ctx._abandoned.append(self.name)
            ctx = ctx.parent
        self.ctx.log.warning(
            "call ended while its worker thread runs on",
            work=self.name,
            holds="no call slot and no thread-limiter token; the thread and whatever the work holds "
            "(open files, memory, locks, writes not yet made) stay until it returns",
        )
        return True


async def run_abandonable(ctx: ToolContext, func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a worker thread; if the call is cancelled first, record that the thread runs on."""
    job = _Job(ctx, func)
    try:
        return await anyio.to_thread.run_sync(job.run, func, *args, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        job.abandon()
        raise


def timeout_message(ctx: ToolContext, tool: str, deadline: float) -> str:
    """What a timed-out call tells its client: stopped (async work was cancelled), or abandoned with a
    thread still running (which work, and what it still holds)."""
    if not ctx._abandoned:
        return f"{tool} timed out after {deadline:g} s and was cancelled; narrow the request or raise tool_timeout"
    work = ", ".join(sorted(set(ctx._abandoned)))
    return (
        f"{tool} timed out after {deadline:g} s; the call was abandoned, but its worker thread ({work}) cannot "
        "be stopped and keeps running until that function returns: it holds no call slot, but its files, "
        "memory and any write it has not made yet stay live until then (ggen_mcp_abandoned_worker_threads "
        f"counts such threads; call id {ctx.call_id}); narrow the request or raise tool_timeout"
    )
