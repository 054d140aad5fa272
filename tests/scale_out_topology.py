"""The scale-out topology the tests start on 127.0.0.1: one `oxigraph serve`, one redis-server, a market
registry over HTTP, and `ggen-mcp serve --transport http --stateless` replicas sharing one workspace; plus a
client that spreads calls over the replicas round robin, as a load balancer would.

Every process is started here and stopped by its own PID (with the processes it was seen to start).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.conftest import free_port, start_redis

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]
PACK = "io.example.scaled"


def oxigraph_binary() -> str:
    """The `oxigraph` server from the dev requirements (PyPI package oxigraph, beside this Python)."""
    import shutil

    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        raise RuntimeError("the `oxigraph` server is missing: install the dev requirements (PyPI package oxigraph)")
    return found


@dataclass
class Oxigraph:
    """One `oxigraph serve` on a fixed port and data directory: stop and start it again, data kept."""

    location: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        log = (self.location / "server.log").open("ab")
        command = [oxigraph_binary(), "serve", "--location", str(self.location / "data")]
        self.process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{self.port}", "--timeout-s", "30"], stdout=log, stderr=log
        )
        # a restart reopens the store (RocksDB replays its log): on a loaded 2-core machine that has taken over 30 s
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.post(f"{self.base}/query", content=b"ASK {}", headers=_SPARQL, timeout=1).raise_for_status()
                return
            except httpx.HTTPError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    detail = (self.location / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"oxigraph did not start: {detail}") from exc
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def count(self, graph: str | None = None) -> int:
        """Triples in a graph (or all graphs), asked of the server directly."""
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "{ ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } }"
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
        headers = {**_SPARQL, "Accept": "application/sparql-results+json"}
        answer = httpx.post(f"{self.base}/query", content=query.encode(), headers=headers, timeout=30)
        answer.raise_for_status()
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])


_SPARQL = {"Content-Type": "application/sparql-query"}


@dataclass
class Redis:
    """One redis-server on a fixed port: stop and start it again (no persistence: limit windows only)."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = start_redis(self.port, self.directory)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Registry:
    """A built market registry folder served over HTTP on 127.0.0.1 (as the market tests do)."""

    def __init__(self, root: Path) -> None:
        from ggen_market.builder import build_registry

        source = root / "packs" / f"{PACK}-1.0.0"
        (source / "templates").mkdir(parents=True)
        (source / "gpack.toml").write_text(
            f'[gpack]\nid = "{PACK}"\nname = "Scaled pack"\nversion = "1.0.0"\n'
            'description = "A pack for the scale-out tests"\nlicense = "MIT"\ncategory = "testing"\n'
            'tags = ["demo"]\nupdated = "2026-10-01T00:00:00Z"\n[dependencies]\n'
        )
        (source / "templates" / "hello.tmpl").write_text("---\nto: scaled/{{ name }}.txt\n---\nscaled {{ name }}\n")
        build_registry(root / "packs", root / "registry")
        served = root / "registry"

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(served), **kwargs)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/index.json"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Replica:
    """One `ggen-mcp serve --transport http --stateless` process; its stderr goes to a log file."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    seen: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [*GGEN, "serve", "--transport", "http", "--stateless", "--port", str(self.port)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def wait_ready(self, seconds: float = 120) -> None:
        assert self.process is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_text()[-3000:]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"replica {self.name} never became ready: {self.log_text()[-3000:]}")

    def readyz(self) -> tuple[int, dict[str, Any]]:
        answer = httpx.get(f"{self.base}/readyz", timeout=10)
        return answer.status_code, answer.json()

    def tree(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        self.seen.update(p.pid for p in procs)
        return procs

    def kill9(self) -> None:
        """SIGKILL the replica and every process it started, at once (a node or container dying)."""
        for proc in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.tree()
        for pid in self.seen:  # by PID: the replica and every process it was seen to start
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def replica_env(workspace: Path, **settings: str) -> dict[str, str]:
    """The environment of a replica: nothing inherited from GGEN_MCP_*, then ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
    env.update({"GGEN_MCP_WORKSPACE": str(workspace), "GGEN_MCP_HTTP__SHUTDOWN_GRACE": "1", **settings})
    return env


def start_replicas(count: int, prefix: str, logs: Path, env: dict[str, str]) -> list[Replica]:
    """Start ``count`` replicas at once, then wait until each reports ready."""
    replicas = [Replica(f"{prefix}{n}", env, logs / f"{prefix}{n}.log") for n in range(count)]
    for replica in replicas:
        replica.spawn()
    for replica in replicas:
        replica.wait_ready()
    return replicas


@dataclass
class Topology:
    """The started services and replicas, sharing ``workspace``."""

    workspace: Path
    oxigraph: Oxigraph
    redis: Redis
    registry: Registry
    replicas: list[Replica]

    def restart(self, index: int) -> Replica:
        """Replace a killed replica by a new process with the same settings (a new port)."""
        old = self.replicas[index]
        old.stop()
        fresh = Replica(old.name, old.env, old.log)
        fresh.spawn()
        fresh.wait_ready()
        self.replicas[index] = fresh
        return fresh


def start_topology(root: Path, replicas: int = 2) -> Iterator[Topology]:
    """Start everything; yield the topology; stop everything (also when starting fails half-way)."""
    workspace = root / "workspace"
    workspace.mkdir()
    (root / "oxigraph").mkdir()
    (root / "redis").mkdir()
    oxigraph, redis = Oxigraph(root / "oxigraph"), Redis(root / "redis")
    registry: Registry | None = None
    started: list[Replica] = []
    try:
        oxigraph.start()
        redis.start()
        registry = Registry(root / "market")
        env = replica_env(
            workspace,
            GGEN_MCP_LOAD_PLUGINS="graph,template,market,hook",
            GGEN_MCP_GRAPH__STORE="sparql",
            GGEN_MCP_GRAPH__QUERY_ENDPOINT=f"{oxigraph.base}/query",
            GGEN_MCP_GRAPH__UPDATE_ENDPOINT=f"{oxigraph.base}/update",
            GGEN_MCP_GRAPH__CONNECT_TIMEOUT="2",
            GGEN_MCP_GRAPH__REMOTE_BACKOFF="0.05",
            GGEN_MCP_GRAPH__REMOTE_BREAKER_THRESHOLD="3",
            GGEN_MCP_GRAPH__REMOTE_BREAKER_RESET="2",
            GGEN_MCP_RATE_LIMIT__STORAGE=redis.url(0),
            GGEN_MCP_RATE_LIMIT__ANONYMOUS_LIMIT="100000/minute",
            GGEN_MCP_MARKET__REGISTRY_URL=registry.url,
            GGEN_MCP_HOOKS__ALLOW_COMMANDS="true",
        )
        started = start_replicas(replicas, "replica", root, env)
        topology = Topology(workspace, oxigraph, redis, registry, started)
        yield topology
        started = topology.replicas
    finally:
        for replica in started:
            replica.stop()
        if registry is not None:
            registry.close()
        redis.stop()
        oxigraph.stop()


class RoundRobin:
    """A client that sends each call to the next replica in turn, in its own MCP session (as a load balancer
    in front of stateless replicas would); ``failover`` retries a call that lost its replica on the next one."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self.turn = 0
        self.served_by: list[str] = []

    def next(self) -> Replica:
        replica = self.replicas[self.turn % len(self.replicas)]
        self.turn += 1
        return replica

    async def call(self, tool: str, arguments: dict[str, Any], on: Replica | None = None) -> Any:
        from mcp import Client

        replica = on or self.next()
        self.served_by.append(replica.name)
        async with Client(replica.url, mode="legacy") as client:
            return await client.call_tool(tool, arguments)

    async def ok(self, tool: str, arguments: dict[str, Any], on: Replica | None = None) -> dict[str, Any]:
        result = await self.call(tool, arguments, on)
        assert not result.is_error, f"{tool}: {text_of(result)}"
        return dict(result.structured_content or {})

    async def failover(self, tool: str, arguments: dict[str, Any], first: Replica) -> tuple[Any, list[str]]:
        """Call on ``first``; when its connection dies, retry on the next replica that answers."""
        failures: list[str] = []
        candidates = [first, *[r for r in self.replicas if r is not first]]
        for replica in candidates:
            try:
                return await self.call(tool, arguments, on=replica), failures
            except Exception as exc:  # the replica died with the call in flight, or refuses connections
                failures.append(f"{replica.name}: {type(exc).__name__}")
        raise AssertionError(f"every replica failed {tool}: {failures}")


def text_of(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)
