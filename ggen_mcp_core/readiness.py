"""What ``/readyz`` checks besides the server's own state: every plugin's ``ggen_readiness`` (the graph pack's
store, remote or embedded) and the rate-limit storage when it is Redis.

Each probe is bounded in time (``PROBE_SECONDS``: a probe that has not answered counts as not ready, with
that reason) and the combined answer is cached for ``CACHE_SECONDS``, with one probe round in flight at a
time, so a load balancer polling every replica often costs one round trip per dependency a second.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    from ggen_mcp_core.plugins import PluginHost

PROBE_SECONDS = 2.0
CACHE_SECONDS = 1.0
RATE_LIMIT = "rate_limit"  # the key of the Redis probe's reason in /readyz's not_ready


class DependencyProbes:
    """The cached, time-bounded dependency checks of one server."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self._lock = anyio.Lock()
        self._checked_at = -CACHE_SECONDS
        self._problems: dict[str, str] = {}

    async def problems(self) -> dict[str, str]:
        """Why the server cannot serve, by plugin (and ``rate_limit``); empty when every dependency answers."""
        async with self._lock:
            if time.monotonic() - self._checked_at >= CACHE_SECONDS:
                self._problems = await self._probe()
                self._checked_at = time.monotonic()
            return dict(self._problems)

    async def _probe(self) -> dict[str, str]:
        problems = await self.host.readiness(within=PROBE_SECONDS)
        limiter = self.host.rate_limiter
        if limiter is not None:
            reason = await limiter.probe(PROBE_SECONDS)
            if reason:
                problems[RATE_LIMIT] = reason
        return problems
