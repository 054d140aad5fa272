"""A circuit breaker for one remote dependency, and the exponential backoff with full jitter between retries.

Shared by the packs that call a remote service (the market's registries, the graph pack's SPARQL store).
The breaker opens after ``threshold`` failed requests in a row (a request fails when all its attempts fail
on connection errors, timeouts or 5xx answers) and refuses calls for ``reset`` seconds; then one trial
request goes through (half-open): success closes it, failure opens it again. A pack gives the error raised
while it is open (``unavailable``), so its callers see the pack's own error type.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ggen_mcp_core.errors import ToolError

State = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """The state of one dependency's breaker (process-wide, shared by every session)."""

    name: str
    threshold: int = 5
    reset: float = 30.0
    what: str = "dependency"
    unavailable: Callable[[str], Exception] = ToolError
    failures: int = 0
    opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> State:
        if self.opened_at is None:
            return "closed"
        return "open" if time.monotonic() - self.opened_at < self.reset else "half_open"

    def before(self) -> None:
        """Raise the ``unavailable`` error while the breaker is open."""
        with self._lock:
            if self.state == "open":
                assert self.opened_at is not None
                wait = self.reset - (time.monotonic() - self.opened_at)
                raise self.unavailable(
                    f"{self.what} {self.name} is failing; its circuit breaker is open for another {wait:.0f} s "
                    f"after {self.failures} failed requests"
                )

    def success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None

    def failure(self) -> None:
        with self._lock:
            half_open = self.state == "half_open"
            self.failures += 1
            if half_open or self.failures >= self.threshold:
                self.opened_at = time.monotonic()


def backoff_delay(attempt: int, base: float, cap: float = 8.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): uniform in ``[0, min(cap, base*2^(n-1))]``."""
    return random.uniform(0, min(cap, base * (2 ** (attempt - 1))))
