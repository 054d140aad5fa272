"""A circuit breaker for one remote dependency, and the exponential backoff with full jitter between retries.

Shared by the packs that call a remote service (the market's registries, the graph pack's SPARQL store).
The breaker opens after ``threshold`` failed requests in a row (a request fails when all its attempts fail
on connection errors, timeouts or 5xx answers) and refuses calls for ``reset`` seconds; then one trial
request goes through (half-open): success closes it, failure opens it again. A pack gives the error raised
while it is open (``unavailable``), so its callers see the pack's own error type.

Every breaker is reported at /metrics as ``ggen_mcp_breaker_state{dependency,name,state}``: 1 for its current
state (closed, open, half_open), read when scraped (a breaker turns half-open with time alone).
``dependency`` says what it guards (``sparql``: the graph pack's remote store; ``registry``: a market
registry, also in the market's own ``ggen_mcp_market_breaker_state``); ``name`` is the endpoint or registry.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from prometheus_client.core import GaugeMetricFamily, Metric

from ggen_mcp_core.errors import ToolError
from ggen_mcp_core.observability import REGISTRY

State = Literal["closed", "open", "half_open"]
STATES: tuple[State, ...] = ("closed", "open", "half_open")
_SEVERITY = {"closed": 0, "half_open": 1, "open": 2}
_LIVE: weakref.WeakValueDictionary[int, CircuitBreaker] = weakref.WeakValueDictionary()
_LIVE_LOCK = threading.Lock()


@dataclass
class CircuitBreaker:
    """The state of one dependency's breaker (process-wide, shared by every session)."""

    name: str
    threshold: int = 5
    reset: float = 30.0
    what: str = "dependency"
    unavailable: Callable[[str], Exception] = ToolError
    dependency: str = "remote"  # the ``dependency`` label of ggen_mcp_breaker_state: what it guards
    failures: int = 0
    opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        with _LIVE_LOCK:
            _LIVE[id(self)] = self

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


def live_breakers() -> list[CircuitBreaker]:
    """Every breaker still in use in this process."""
    with _LIVE_LOCK:
        return list(_LIVE.values())


def _label_name(name: str) -> str:
    """The breaker's name for a metric label: an endpoint URL loses any user:password part."""
    parts = urlsplit(name)
    if parts.scheme and parts.hostname and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return name


class BreakerStateCollector:
    """``ggen_mcp_breaker_state``: each dependency's breaker state at scrape time (several breakers on one
    endpoint, as tests make, report the worst of their states)."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "ggen_mcp_breaker_state",
            "1 for the current state of each remote dependency's circuit breaker, by what it guards.",
            labels=["dependency", "name", "state"],
        )
        worst: dict[tuple[str, str], State] = {}
        for breaker in live_breakers():
            key = (breaker.dependency, _label_name(breaker.name))
            current = breaker.state
            if key not in worst or _SEVERITY[current] > _SEVERITY[worst[key]]:
                worst[key] = current
        for (dependency, name), current in sorted(worst.items()):
            for state in STATES:
                family.add_metric([dependency, name, state], 1.0 if state == current else 0.0)
        yield family


if "ggen_mcp_breaker_state" not in REGISTRY._names_to_collectors:
    REGISTRY.register(BreakerStateCollector())


def backoff_delay(attempt: int, base: float, cap: float = 8.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): uniform in ``[0, min(cap, base*2^(n-1))]``."""
    return random.uniform(0, min(cap, base * (2 ** (attempt - 1))))
