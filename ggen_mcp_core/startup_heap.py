"""The start-up heap: collected once and frozen, over stdio only after the client has the `initialize` answer;
then what modules imported on first use build, frozen after the call that imported them.

Start-up builds about 100,000 long-lived objects (modules, schemas, plugins). :func:`freeze_startup_heap` moves
them out of the garbage collector's view; without it each full collection walks that whole heap (150-200 ms
pauses every few seconds under load, most of the open-loop p95/p99 of docs/performance.md). The full collection
before the freeze (so that start-up garbage is freed, not kept forever) costs about 50 ms; a stdio client waits
for the answer to `initialize` (issue 16), so over stdio :class:`FreezeAfterAnswer` runs it when the client's
next message arrives: a client sends `notifications/initialized` (or any other message) only once it has the
answer.

Much is imported later, on first use: the HTTP transport's stack, the SDK's request path, each pack's tool
modules and their models (issue 16: packs import their heavy modules on first use). Left in the collector's
view, those 100,000 more objects made every full collection of a loaded HTTP server a 100-150 ms pause of the
event loop. So after a tool call, when modules were imported since the last freeze, :func:`freeze_new_imports`
collects once more and freezes again (at most :data:`MAX_REFREEZES` times in a process: modules are finite,
and a plugin that imports on every call must not make every call pay a full collection).
"""

from __future__ import annotations

import gc
import sys
from contextvars import Context
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

import anyio

from ggen_mcp_core.launcher import end_startup

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


MAX_REFREEZES = 32  # freezes after the start-up one, per process
# A serving process collects its middle generation every 100 young collections instead of 10: the objects of
# the requests in flight then are mostly gone before they could be moved to the old generation, whose growth
# is what triggers full collections, and a full collection walks every live object (every open session's).
# 100 sessions at 1 call/s: 3 full collections instead of 12 in a 30 s run, p99 19 ms instead of 85-163 ms
# (docs/performance.md, "Full collections of a serving process").
SERVING_MIDDLE_THRESHOLD = 100

_modules_at_freeze = 0  # len(sys.modules) at the last freeze; 0: this process never froze its heap
_refreezes = 0


def freeze_startup_heap() -> None:
    """Collect everything once, move what is left (the start-up heap) out of the collector's view and put the
    collector's thresholds back (full collections were deferred while starting: ``launcher``), with the serving
    process's middle threshold (:data:`SERVING_MIDDLE_THRESHOLD`)."""
    global _modules_at_freeze
    gc.collect()
    gc.freeze()
    end_startup()
    young, _, old = gc.get_threshold()
    gc.set_threshold(young, SERVING_MIDDLE_THRESHOLD, old)
    _modules_at_freeze = len(sys.modules)


def freeze_new_imports() -> bool:
    """After a call, in a process whose start-up heap is frozen: when modules were imported since the last
    freeze, collect everything once (their garbage is freed, not kept) and freeze again. True when it froze.

    What was alive at that moment is frozen too (the calls and sessions then open): freed as usual when its
    last reference goes, kept for good only where it ends as cyclic garbage, once per freeze at most."""
    global _modules_at_freeze, _refreezes
    if not _modules_at_freeze or len(sys.modules) <= _modules_at_freeze or _refreezes >= MAX_REFREEZES:
        return False
    gc.collect()
    gc.freeze()
    _refreezes += 1
    _modules_at_freeze = len(sys.modules)
    return True


class _Receiving(Protocol[T_co]):
    async def receive(self) -> T_co: ...

    async def aclose(self) -> None: ...


class FreezeAfterAnswer(Generic[T]):
    """A transport's read stream that freezes the start-up heap when the second message arrives from the client.

    The first message is `initialize`; the client sends the next one after reading the answer, so the
    collection never delays it. The SDK reads the sender's context from ``last_context``; it is passed on.
    """

    def __init__(self, inner: _Receiving[T]) -> None:
        self._inner = inner
        self._received = 0

    @property
    def last_context(self) -> Context | None:
        context: Context | None = getattr(self._inner, "last_context", None)
        return context

    @property
    def frozen(self) -> bool:
        return self._received > 1

    async def receive(self) -> T:
        item = await self._inner.receive()
        self._received += 1
        if self._received == 2:
            freeze_startup_heap()
        return item

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()
