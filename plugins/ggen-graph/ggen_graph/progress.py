"""Progress of long store operations (load, clear, export), passed on to the client as MCP progress.

The store worker tells the server how far an operation has come (bytes parsed of a load, the steps of a
clear or export); :func:`reported` collects those reports for one tool call and sends the latest one to the
client about every ``INTERVAL`` seconds, then a final one when the operation ends, so every notification
carries a determinate total and none follows the result.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ggen_graph.worker_client import Progress
    from ggen_mcp_core import ToolContext

INTERVAL = 0.1
LISTENER: ContextVar[Progress | None] = ContextVar("ggen_graph_progress", default=None)


class _Latest:
    """The newest report (written by the pipe's reader, read by the sender)."""

    def __init__(self) -> None:
        self.report: tuple[int, int, str] | None = None
        self.sent: tuple[int, int, str] | None = None

    def __call__(self, done: int, total: int, message: str) -> None:
        self.report = (done, total, message)

    async def send(self, ctx: ToolContext) -> None:
        """Send the newest report if it is ahead of the last one sent (progress only ever increases)."""
        report = self.report
        if report is not None and (self.sent is None or report[0] > self.sent[0]):
            self.sent = report
            done, total, message = report
            # Shielded: the sender is cancelled when the operation ends, and a notification it had begun would
            # be lost while counted as sent, so finish() would not send the last one (seen when a load ended
            # within one INTERVAL of its last report).
            with anyio.CancelScope(shield=True):
                await ctx.progress(done, total, message)

    async def finish(self, ctx: ToolContext) -> None:
        """The operation ended: its last notification says done (progress equal to the total)."""
        if self.report is not None:
            _, total, message = self.report
            self.report = (total, total, message)
            await self.send(ctx)


@contextlib.asynccontextmanager
async def reported(ctx: ToolContext) -> AsyncIterator[None]:
    """Within this block, the store operations of the call report their progress to ``ctx``'s client."""
    latest = _Latest()
    token = LISTENER.set(latest)
    failure: BaseException | None = None
    try:
        async with anyio.create_task_group() as group:

            async def sender() -> None:
                while True:
                    await anyio.sleep(INTERVAL)
                    await latest.send(ctx)

            group.start_soon(sender)
            try:
                yield
            except BaseException as exc:  # raised as itself below, not wrapped in the task group's ExceptionGroup
                failure = exc
            finally:
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure
        await latest.finish(ctx)
    finally:
        LISTENER.reset(token)
