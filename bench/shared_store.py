"""The shared services of the scale-out topology for bench/load.py: one `oxigraph serve` loaded with the
benchmark data, and one redis-server for the rate-limit windows; replicas of `ggen-mcp serve --stateless`
point at both (docs/deployment.md, "Scaling out"). Everything on 127.0.0.1, stopped by PID."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import common
import httpx
from common import Server

# High enough never to refuse a benchmark call: the limiter still counts every call in Redis.
LIMIT = "1000000/minute"


@dataclass
class SharedServices:
    oxigraph: Server
    redis: Server

    @property
    def sparql(self) -> str:
        return f"http://127.0.0.1:{self.oxigraph.port}"

    def replica_env(self) -> dict[str, str]:
        """What each replica is given (as in deploy/compose.yaml), besides its shared workspace."""
        return {
            "GGEN_MCP_GRAPH__STORE": "sparql",
            "GGEN_MCP_GRAPH__QUERY_ENDPOINT": f"{self.sparql}/query",
            "GGEN_MCP_GRAPH__UPDATE_ENDPOINT": f"{self.sparql}/update",
            "GGEN_MCP_RATE_LIMIT__ENABLED": "true",
            "GGEN_MCP_RATE_LIMIT__STORAGE": f"redis://127.0.0.1:{self.redis.port}/0",
            "GGEN_MCP_RATE_LIMIT__ANONYMOUS_LIMIT": LIMIT,
        }


@contextmanager
def shared_services(root: Path, data: Path) -> Iterator[SharedServices]:
    """Start Oxigraph (fresh data directory, ``data`` loaded) and Redis; stop both afterwards."""
    oxigraph_bin = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    redis_bin = shutil.which("redis-server")
    if redis_bin is None or not Path(oxigraph_bin).exists():
        raise RuntimeError("the shared topology needs `oxigraph` (dev requirements) and redis-server on PATH")
    if (root / "oxigraph").exists():
        shutil.rmtree(root / "oxigraph")
    port = common.free_port()
    oxigraph = Server(
        "oxigraph",
        [oxigraph_bin, "serve", "--location", str(root / "oxigraph"), "--bind", f"127.0.0.1:{port}"],
        {},
        port,
        root / "logs" / "oxigraph.log",
    )
    port = common.free_port()
    redis = Server(
        "redis",
        [redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        {},
        port,
        root / "logs" / "redis.log",
    )
    with common.started(oxigraph, redis):
        services = SharedServices(oxigraph, redis)
        _load(services.sparql, data)
        yield services


def _load(base: str, data: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(f"{base}/query", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"})
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    answer = httpx.post(
        f"{base}/store?default",
        content=data.read_bytes(),
        headers={"Content-Type": "application/n-triples"},
        timeout=300,
    )
    answer.raise_for_status()
