"""A circuit breaker per registry (the host's :class:`ggen_mcp_core.breaker.CircuitBreaker`), and the backoff
between retries.

The breaker opens after ``threshold`` failed requests in a row and refuses calls for ``reset`` seconds; then
one trial request goes through (half-open). While it is open the market answers from its cached index,
marked stale, and other calls get ``RegistryUnavailable``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ggen_market.errors import RegistryUnavailable
from ggen_mcp_core.breaker import CircuitBreaker as DependencyBreaker
from ggen_mcp_core.breaker import backoff_delay

__all__ = ["CircuitBreaker", "all_breakers", "backoff_delay", "breaker_for"]


@dataclass
class CircuitBreaker(DependencyBreaker):
    """A registry's breaker: while open it raises ``RegistryUnavailable``."""

    what: str = "registry"
    unavailable: Callable[[str], Exception] = RegistryUnavailable
    dependency: str = "registry"  # ggen_mcp_breaker_state{dependency="registry"}, besides the market's own


_BREAKERS: dict[str, CircuitBreaker] = {}
_REGISTRY_LOCK = threading.Lock()


def all_breakers() -> list[CircuitBreaker]:
    """Every registry breaker made so far (for the metrics collector)."""
    with _REGISTRY_LOCK:
        return list(_BREAKERS.values())


def breaker_for(name: str, threshold: int, reset: float) -> CircuitBreaker:
    """The breaker of the registry ``name`` (created on first use; settings refresh its limits)."""
    with _REGISTRY_LOCK:
        breaker = _BREAKERS.get(name)
        if breaker is None:
            breaker = _BREAKERS[name] = CircuitBreaker(name, threshold, reset)
        breaker.threshold, breaker.reset = threshold, reset
        return breaker
