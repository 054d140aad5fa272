"""The start-up heap: collected once and frozen, over stdio only after the client has the `initialize` answer.

Start-up builds about 100,000 long-lived objects (modules, schemas, plugins). :func:`freeze_startup_heap` moves
them out of the garbage collector's view; without it each full collection walks that whole heap (150-200 ms
pauses every few seconds under load, most of the open-loop p95/p99 of docs/performance.md). The full collection
before the freeze (so that start-up garbage is freed, not kept forever) costs about 50 ms; a stdio client waits
for the answer to `initialize` (issue 16), so over stdio :class:`FreezeAfterAnswer` runs it when the client's
next message arrives: a client sends `notifications/initialized` (or any other message) only once it has the
answer.
"""

from __future__ import annotations

import gc
from contextvars import Context
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

import anyio

from ggen_mcp_core.launcher import end_startup

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def freeze_startup_heap() -> None:
    """Collect everything once, move what is left (the start-up heap) out of the collector's view and put the
    collector's thresholds back (full collections were deferred while starting: ``launcher``)."""
    gc.collect()
    gc.freeze()
    end_startup()


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
