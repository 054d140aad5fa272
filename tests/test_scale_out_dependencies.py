"""The dependency handling the scale-out topology relies on, in one process (in-memory MCP sessions): the
remote store's retries and circuit breaker against a real `oxigraph serve` that is down and then started,
and the rate limiter's Redis probe against a real redis-server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.testing import tool_text
from tests.conftest import free_port
from tests.scale_out_topology import Oxigraph

pytestmark = pytest.mark.anyio


@pytest.fixture
def oxigraph_later(tmp_path: Path) -> Iterator[Oxigraph]:
    """An Oxigraph server with a port and data directory, not started yet (the test starts it)."""
    server = Oxigraph(tmp_path)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    from ggen_graph.stores import close_all

    close_all()


async def test_the_remote_store_retries_opens_its_breaker_and_closes_it(
    ggen_host: Callable[..., Any], ggen_client: Callable[..., Any], oxigraph_later: Oxigraph
) -> None:
    graph = {
        "store": "sparql",
        "query_endpoint": f"{oxigraph_later.base}/query",
        "update_endpoint": f"{oxigraph_later.base}/update",
        "remote_retries": 2,
        "remote_backoff": 0.01,
        "remote_breaker_threshold": 2,
        "remote_breaker_reset": 3600,
    }
    host = ggen_host(["graph"], graph=graph)
    query = {"sparql": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"}
    async with ggen_client(host, mode="legacy") as client:
        first = await client.call_tool("graph_query", query)
        assert first.is_error
        assert tool_text(first).startswith(f"the SPARQL endpoint {oxigraph_later.base}/query could not be reached")
        assert "(3 attempts)" in tool_text(first)  # one try and two retries
        second = await client.call_tool("graph_query", query)
        assert "could not be reached" in tool_text(second)
        refused = await client.call_tool("graph_update", {"sparql": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
        assert refused.is_error and "circuit breaker is open" in tool_text(refused), tool_text(refused)
        problems = await host.readiness(within=5)
        assert problems["graph"].startswith("graph store unreachable: the SPARQL endpoint")

        oxigraph_later.start()  # the breaker would stay open for an hour: a readiness probe that answers closes it
        assert await host.readiness(within=5) == {}
        written = await client.call_tool("graph_update", {"sparql": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
        assert not written.is_error, tool_text(written)
        found = await client.call_tool("graph_query", query)
        assert not found.is_error and found.structured_content["rows"] == [["urn:a"]]


async def test_the_rate_limit_probe_reports_redis_down_without_its_password(redis_url: str) -> None:
    from ggen_mcp_core.config import RateLimitSettings
    from ggen_mcp_core.ratelimit import RateLimiter

    assert await RateLimiter(RateLimitSettings(storage=redis_url)).probe(2.0) is None
    down = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    reason = await RateLimiter(RateLimitSettings(storage=down, on_storage_error="deny")).probe(2.0)
    assert reason is not None and "does not answer (on_storage_error = deny)" in reason
    assert "hunter2" not in reason and "***@127.0.0.1" in reason
    assert await RateLimiter(RateLimitSettings()).probe(2.0) is None  # memory storage: nothing to probe


def breaker_states(metrics: str, endpoint: str) -> dict[str, float]:
    """The ``ggen_mcp_breaker_state`` samples of the SPARQL endpoint ``endpoint``, by state."""
    prefix = f'ggen_mcp_breaker_state{{dependency="sparql",name="{endpoint}",state="'
    return {
        line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(prefix)
    }


async def test_the_remote_store_breaker_is_a_metric(
    ggen_host: Callable[..., Any], http_server: Callable[..., str], oxigraph_later: Oxigraph
) -> None:
    """ggen_mcp_breaker_state{dependency="sparql"} at /metrics follows the breaker: closed, open while the
    store is down, closed again once it answers (the same gauge carries the market's registry breakers)."""
    import httpx
    from mcp import Client

    endpoint = f"{oxigraph_later.base}/query"
    graph = {
        "store": "sparql",
        "query_endpoint": endpoint,
        "update_endpoint": f"{oxigraph_later.base}/update",
        "remote_retries": 0,
        "remote_breaker_threshold": 2,
        "remote_breaker_reset": 3600,
    }
    host = ggen_host(["graph"], graph=graph)
    base = http_server(host)
    query = {"sparql": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"}
    async with httpx.AsyncClient(trust_env=False) as http, Client(f"{base}/mcp", mode="legacy") as client:

        async def states() -> dict[str, float]:
            return breaker_states((await http.get(f"{base}/metrics")).text, endpoint)

        assert (await client.call_tool("graph_query", query)).is_error
        assert await states() == {"closed": 1.0, "open": 0.0, "half_open": 0.0}  # one failure: still closed
        assert (await client.call_tool("graph_query", query)).is_error
        assert await states() == {"closed": 0.0, "open": 1.0, "half_open": 0.0}
        refused = await client.call_tool("graph_query", query)
        assert "circuit breaker is open" in tool_text(refused)

        oxigraph_later.start()
        assert await host.readiness(within=5) == {}  # a probe that answers closes it
        assert await states() == {"closed": 1.0, "open": 0.0, "half_open": 0.0}
        assert not (await client.call_tool("graph_query", query)).is_error
