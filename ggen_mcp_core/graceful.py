"""Uvicorn's server with a graceful drain, for ``ggen-mcp serve --transport http`` (imported only there)."""

from __future__ import annotations

import asyncio
import time
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from ggen_mcp_core.plugins import PluginHost


class GracefulServer(uvicorn.Server):
    """SIGTERM/SIGINT drains: /readyz and new MCP requests answer 503, in-flight tool calls finish (up to
    ``http.shutdown_grace``), then uvicorn shuts down and the process exits 0. A second signal forces it.

    Two uvicorn behaviours are replaced: it would end open SSE response streams (and so in-flight calls)
    as soon as shutdown starts, and re-raise the signal afterwards so the process dies "by SIGTERM".
    """

    def __init__(self, config: uvicorn.Config, host: PluginHost) -> None:
        super().__init__(config)
        self.plugin_host = host
        self._drain_task: asyncio.Task[None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.plugin_host.draining:
            self.should_exit = self.force_exit = True
            return
        self.plugin_host.draining = True
        loop = asyncio.get_event_loop()
        self._drain_task = loop.create_task(self._drain())

    async def _drain(self) -> None:
        grace = self.plugin_host.settings.http.shutdown_grace
        deadline = time.monotonic() + grace
        while self.plugin_host.in_flight() and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a counter
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # let the last responses flush
        self.should_exit = True
