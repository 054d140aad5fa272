"""Detecting a blocked event loop, and naming the tool call that held it.

Every call runs on one asyncio event loop; a handler that blocks it (``time.sleep``, a CPU-bound loop, a
blocking library call not sent through ``ctx.run_sync``) freezes every other call and session. A monitor
thread per loop schedules a heartbeat callback on the loop (``call_soon_threadsafe``) and waits for it:

- how late the callback ran is the loop's lag, observed in ``ggen_mcp_event_loop_lag_seconds``;
- when it has not run after ``loop_lag_warning`` seconds, the loop is held: the monitor reads the loop
  thread's stack (``sys._current_frames``), finds the frames of the tool calls running on it (registered by
  :class:`running_call`), and logs one warning naming the innermost of them (the call whose code holds the
  loop), where it is, and every call in flight on the loop; ``ggen_mcp_event_loop_blocked_total`` counts it
  by tool. A line follows when the loop runs again, with how long it was held.

The monitor starts with the first tool call on a loop and ends when the loop is closed; a loop that is
merely stopped (between two ``run_until_complete``) is not reported. It beats every 0.1 s while a call runs
and once a second while none does (an idle server is not woken ten times a second; a stall outside any call
is still reported, up to a second later); a call that starts wakes it at once.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import weakref
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import structlog

from ggen_mcp_core import observability  # its metrics are made on first use

if TYPE_CHECKING:
    from ggen_mcp_core.tools import ToolContext

log = structlog.get_logger("ggen_mcp.loop")
MAX_BEAT_INTERVAL = 0.1  # seconds between heartbeats while a call runs and the loop is healthy
IDLE_BEAT_INTERVAL = 1.0  # seconds between heartbeats while no call runs
_MONITORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopMonitor] = weakref.WeakKeyDictionary()
_MONITORS_LOCK = threading.Lock()


class LoopMonitor:
    """The heartbeat thread of one event loop and the tool calls running on it (by their frame)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        self.loop = loop
        self.threshold = threshold
        self.loop_thread = threading.get_ident()
        self.calls: dict[int, ToolContext] = {}
        self.lock = threading.Lock()
        self.busy = threading.Event()  # set when a call starts on an idle loop: the next beat comes at once
        self.thread = threading.Thread(target=self._watch, name="ggen-loop-monitor", daemon=True)

    def add(self, frame: FrameType, ctx: ToolContext) -> None:
        with self.lock:
            self.calls[id(frame)] = ctx
            if len(self.calls) == 1:
                self.busy.set()

    def remove(self, frame: FrameType) -> None:
        with self.lock:
            self.calls.pop(id(frame), None)

    def _watch(self) -> None:
        interval = min(MAX_BEAT_INTERVAL, self.threshold / 2)
        while not self.loop.is_closed():
            if not self._beat():
                return
            if self._idle():
                self.busy.clear()
                if self._idle():  # no call started between the two looks: wait for one, or a second
                    self.busy.wait(max(IDLE_BEAT_INTERVAL, interval))
                    continue
            time.sleep(interval)

    def _idle(self) -> bool:
        with self.lock:
            return not self.calls

    def _beat(self) -> bool:
        """One heartbeat; False when the loop is gone."""
        ran = threading.Event()
        scheduled = time.monotonic()
        try:
            self.loop.call_soon_threadsafe(ran.set)
        except RuntimeError:  # closed
            return False
        if ran.wait(self.threshold):
            observability.LOOP_LAG.observe(time.monotonic() - scheduled)
            return True
        stopped = not self.loop.is_running()
        if not stopped:
            self._report(time.monotonic() - scheduled)
        while not ran.wait(1.0):
            if self.loop.is_closed():
                return False
            stopped = stopped or not self.loop.is_running()
        held = time.monotonic() - scheduled
        if not stopped:
            observability.LOOP_LAG.observe(held)
            log.warning("event loop runs again", blocked_for_s=round(held, 3))
        return True

    def _report(self, held: float) -> None:
        holding, at = self._holders()
        with self.lock:
            in_flight = [_describe(ctx) for ctx in self.calls.values()]
        observability.LOOP_BLOCKED.labels(tool=holding[0]["tool"] if holding else "(none)").inc()
        log.warning(
            "event loop blocked",
            blocked_for_s=round(held, 3),
            threshold_s=self.threshold,
            tool=holding[0]["tool"] if holding else None,
            plugin=holding[0]["plugin"] if holding else None,
            call_id=holding[0]["call_id"] if holding else None,
            holding=holding,
            at=at,
            in_flight=in_flight,
            hint="a handler blocks the loop: send blocking work through `await ctx.run_sync(fn, ...)`",
        )

    def _holders(self) -> tuple[list[dict[str, Any]], str | None]:
        """The tool calls on the loop thread's stack, innermost first, and where its Python code is."""
        frame = sys._current_frames().get(self.loop_thread)
        at = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}" if frame else None
        holding = []
        with self.lock:
            while frame is not None:
                ctx = self.calls.get(id(frame))
                if ctx is not None:
                    holding.append(_describe(ctx))
                frame = frame.f_back
        return holding, at


def _describe(ctx: ToolContext) -> dict[str, Any]:
    return {
        "tool": ctx.tool.name if ctx.tool else None,
        "plugin": ctx.tool.plugin if ctx.tool else None,
        "call_id": ctx.call_id,
        "parent_call_id": ctx.parent_call_id,
    }


def monitor_for(threshold: float) -> LoopMonitor | None:
    """The monitor of the running asyncio loop (started on first use); None off asyncio or when disabled."""
    if threshold <= 0:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # another async library (trio): no monitor
        return None
    with _MONITORS_LOCK:
        monitor = _MONITORS.get(loop)
        if monitor is None:
            monitor = _MONITORS[loop] = LoopMonitor(loop, threshold)
            monitor.thread.start()
    return monitor


class running_call:
    """``with running_call(ctx):`` in the frame that runs a call: registers that frame, so the monitor can
    tell which call's code is on the loop thread's stack while the loop is held."""

    __slots__ = ("ctx", "frame", "monitor")

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.monitor: LoopMonitor | None = None
        self.frame: FrameType | None = None

    def __enter__(self) -> None:
        self.monitor = monitor_for(self.ctx.host.settings.loop_lag_warning)
        if self.monitor is not None:
            self.frame = sys._getframe(1)
            self.monitor.add(self.frame, self.ctx)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.monitor is not None and self.frame is not None:
            self.monitor.remove(self.frame)
            self.frame = None
