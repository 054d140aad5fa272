"""What the load and soak benchmarks share: the generated data, the query, the servers they start and stop, the
process-tree sampler (CPU, peak RSS, open files) and the latency statistics.

Everything runs on 127.0.0.1. Servers are started as subprocesses and stopped by PID (SIGTERM, then SIGKILL).
Nothing is downloaded: the 100k-triple data set is generated into a temporary directory.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GGEN = str(BIN / "ggen-mcp")
EX = "http://example.org/bench/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
CLASSES = 10
AGES = 97
TRIPLES = 100_000

# People of one class at one age, by name. Both bindings are passed as RDF terms, so the same text runs with
# 970 different binding pairs ("varying": no two consecutive calls of a session ask the same thing) or with
# one pair every time ("fixed": what a result cache would answer).
QUERY = f"SELECT ?type ?age ?s ?name WHERE {{ ?s a ?type ; <{EX}age> ?age ; <{EX}name> ?name }} ORDER BY ?name LIMIT 50"

TEMPLATE = """---
to: "src/{{ name | snake }}.py"
description: A Python dataclass from front-matter RDF (load benchmark)
variables:
  - name: name
    description: The class name
    required: true
prefixes:
  ex: http://example.org/
rdf_inline:
  - "ex:{{ name }} a ex:Model ; ex:field ex:id, ex:title, ex:price ."
sparql:
  fields: "SELECT ?f WHERE { ?m ex:field ?f } ORDER BY ?f"
---
from dataclasses import dataclass


@dataclass
class {{ name | pascal }}:
{% for row in sparql_results.fields %}    {{ local(row.f) }}: str
{% endfor %}"""


def generate_ntriples(path: Path, triples: int = TRIPLES) -> int:
    """People as N-Triples: type (one of 10 classes), name, age (0-96), a `knows` link, every second an email."""
    written = entity = 0
    with path.open("w", encoding="utf-8") as out:
        while written < triples:
            s = f"<{EX}p{entity}>"
            lines = [
                f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Class{entity % CLASSES}> .\n",
                f'{s} <{EX}name> "person {entity}" .\n',
                f'{s} <{EX}age> "{entity % AGES}"^^<{XSD_INTEGER}> .\n',
                f"{s} <{EX}knows> <{EX}p{(entity * 7919 + 13) % max(triples // 5, 1)}> .\n",
            ]
            if entity % 2 == 0:
                lines.append(f'{s} <{EX}email> "p{entity}@example.org" .\n')
            lines = lines[: triples - written]
            out.writelines(lines)
            written += len(lines)
            entity += 1
    return written


def query_bindings(n: int, *, varying: bool) -> dict[str, str]:
    """The bindings of call ``n``: 970 distinct (class, age) pairs in turn, or always class 3 at age 42."""
    if not varying:
        return {"type": f"<{EX}Class3>", "age": f'"42"^^<{XSD_INTEGER}>'}
    pair = (n * 389) % (CLASSES * AGES)  # 389 is prime to 970: every pair once per 970 calls
    return {"type": f"<{EX}Class{pair % CLASSES}>", "age": f'"{pair // CLASSES}"^^<{XSD_INTEGER}>'}


def query_arguments(n: int, *, varying: bool) -> dict[str, Any]:
    return {"sparql": QUERY, "bindings": query_bindings(n, varying=varying)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ggen_env(workspace: Path, **extra: str) -> dict[str, str]:
    """The environment of a `ggen-mcp serve` under load: all four packs, auth off, no rate limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
    env.update(
        {
            "GGEN_MCP_WORKSPACE": str(workspace),
            "GGEN_MCP_RATE_LIMIT__ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A server subprocess on 127.0.0.1 and the tree of processes it starts (the graph store worker)."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _known: dict[int, psutil.Process] = field(default_factory=dict)
    _gone_cpu: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self, timeout: float = 120.0) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def processes(self) -> list[psutil.Process]:
        """The server and every live descendant (remembered, so CPU of a child that exits is kept)."""
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for proc in tree:
            self._known.setdefault(proc.pid, proc)
        return tree

    def cpu_seconds(self) -> float:
        """user + system seconds of the server and its descendants (alive now, or seen before and gone)."""
        total = 0.0
        self.processes()
        for pid, proc in list(self._known.items()):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                del self._known[pid]
        return total

    def rss_bytes(self) -> int:
        """Resident memory now, summed over the tree."""
        return sum(_safe(lambda p: p.memory_info().rss, proc, 0) for proc in self.processes())

    def peak_rss_bytes(self) -> int:
        """VmHWM (peak resident set) summed over the tree."""
        return sum(_vm_hwm(proc.pid) for proc in self.processes())

    def open_fds(self) -> int:
        return sum(_safe(lambda p: p.num_fds(), proc, 0) for proc in self.processes())

    def per_process(self) -> list[dict[str, Any]]:
        out = []
        for proc in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                out.append(
                    {
                        "pid": proc.pid,
                        "name": " ".join(proc.cmdline()[:3])[-60:],
                        "cpu_s": round(times.user + times.system, 2),
                        "hwm_mib": round(_vm_hwm(proc.pid) / 2**20, 1),
                    }
                )
        return out

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the server by PID, SIGKILL it after ``timeout``; then make sure its children are gone."""
        if self.process is None or self.process.poll() is not None:
            return
        children = self.processes()[1:]
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        _, alive = psutil.wait_procs(children, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()


def _safe(getter: Any, proc: psutil.Process, default: Any) -> Any:
    try:
        return getter(proc)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return default


def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def ggen_server(workspace: Path, log: Path, *, stateless: bool = False, port: int | None = None, **env: str) -> Server:
    port = port or free_port()
    command = [GGEN, "serve", "--transport", "http", "--port", str(port)]
    if stateless:
        command.append("--stateless")
    return Server("ggen", command, ggen_env(workspace, **env), port, log)


def baseline_server(data: Path, log: Path, *, stateless: bool = False, port: int | None = None) -> Server:
    port = port or free_port()
    command = [sys.executable, str(REPO / "bench" / "baseline_server.py"), "--port", str(port), "--data", str(data)]
    if stateless:
        command.append("--stateless")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
    return Server("baseline", command, env, port, log)


def prepare_workspace(root: Path, *, triples: int = TRIPLES) -> Path:
    """A workspace with the generated data loaded into its embedded store through graph_load (over HTTP, as
    a client would), and one template for template_render and project_plan. Returns the data file."""
    import anyio
    from mcp import Client

    root.mkdir(parents=True, exist_ok=True)
    data = root / "data.nt"
    generate_ntriples(data, triples)
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "model.tmpl").write_text(TEMPLATE, encoding="utf-8")
    server = ggen_server(root, root.parent / "prepare.log").start()
    try:

        async def load() -> None:
            async with Client(server.url, mode="legacy") as client:
                result = await client.call_tool("graph_load", {"file": "data.nt", "replace": True})
                if result.is_error:
                    raise RuntimeError(f"graph_load failed: {result.content}")
                added = result.structured_content["triples_added"]
                if added != triples:
                    raise RuntimeError(f"graph_load added {added} triples, expected {triples}")

        anyio.run(load)
    finally:
        server.stop()
    return data


def copy_workspace(source: Path, target: Path) -> Path:
    """A second workspace with its own copy of the (closed) store: one embedded store per server process."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("plans"))
    return target


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(latencies: Sequence[float]) -> dict[str, float]:
    values = sorted(latencies)
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(values[-1] * 1000, 2) if values else math.nan,
    }


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import platform

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


@contextlib.contextmanager
def started(*servers: Server) -> Iterator[tuple[Server, ...]]:
    """Start servers (in order) and stop every one of them afterwards, whatever happens."""
    running: list[Server] = []
    try:
        for server in servers:
            running.append(server.start())
        yield tuple(running)
    finally:
        for server in reversed(running):
            server.stop()
