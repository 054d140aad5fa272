"""The market pack's Prometheus metrics, on the server's registry (served at /metrics).

- ``ggen_mcp_market_index_cache_total{result}``: index lookups answered from the cache (``hit``), fetched
  from the registry (``miss``), or served from a stale cache because the registry was unreachable (``stale``);
  the hit ratio is ``hit / sum``.
- ``ggen_mcp_market_breaker_state{registry,state}``: 1 for the current state (closed, open, half_open) of
  each registry's circuit breaker, read when scraped (a breaker turns half-open with time alone).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ggen_mcp_core.observability import REGISTRY, counter

INDEX_CACHE = counter(
    "ggen_mcp_market_index_cache_total",
    "Market index lookups: answered from the cache (hit), fetched (miss), or stale while the registry is down.",
    ("result",),
)
STATES = ("closed", "open", "half_open")


class BreakerCollector:
    """Reports every registry breaker's state at scrape time."""

    def collect(self) -> Iterator[Metric]:
        from ggen_market.breaker import all_breakers

        family = GaugeMetricFamily(
            "ggen_mcp_market_breaker_state",
            "1 for the current state of each registry's circuit breaker.",
            labels=["registry", "state"],
        )
        for breaker in all_breakers():
            current = breaker.state
            for state in STATES:
                family.add_metric([breaker.name, state], 1.0 if state == current else 0.0)
        yield family


_collector = BreakerCollector()
if "ggen_mcp_market_breaker_state" not in REGISTRY._names_to_collectors:
    REGISTRY.register(_collector)
