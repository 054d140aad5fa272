"""Faults against a real `ggen-mcp serve` subprocess over Streamable HTTP on 127.0.0.1.

- kill -9 during graph_load, project_apply and market_install, then a restart: the store opens, ggen.lock
  parses, no half-written file is left outside .ggen's temporary folders, every file parses, the next call
  succeeds;
- a plugin whose tool raises on every call does not slow a healthy tool;
- Redis configured but down (and back): rate_limit.on_storage_error = allow serves with a warning in the log,
  deny refuses;
- a registry that accepts connections and never answers: graph_query and template_render keep their latency.

Latency numbers are printed (pytest -s) and recorded in docs/reliability.md; the assertions use generous
bounds, since other work shares the machine.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import psutil
import pytest

from ggen_mcp_core.testing import cache_dir_beside
from tests.conftest import free_port

pytestmark = pytest.mark.anyio
GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]
EX = "http://example.org/faults/"
TEMP_SUFFIXES = (".tmp", ".ggen-tmp", ".ggen-restore", ".part")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ---------------------------------------------------------------------------------------------------------
# A real server subprocess


@dataclass
class Served:
    """One `ggen-mcp serve --transport http` process; its stderr goes to a file (never a pipe that fills)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    seen: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def tree(self) -> list[psutil.Process]:
        """The server and its descendants (the graph store worker, the SHACL validator's worker)."""
        try:
            root = psutil.Process(self.process.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        self.seen.update(p.pid for p in procs)
        return procs

    def kill9(self, *, whole_tree: bool) -> list[psutil.Process]:
        """SIGKILL the server (and, with whole_tree, every process it started, at once); return the others."""
        procs = self.tree()
        targets = procs if whole_tree else procs[:1]
        for proc in targets:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        return procs[1:]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def serve(subprocess_env: Callable[..., dict[str, str]], tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `ggen-mcp serve` (plugins and settings from env) and wait until /readyz answers 200."""
    started: list[Served] = []

    def start(plugins: str, **env: str) -> Served:
        port = free_port()
        log = tmp_path / f"serve-{len(started)}.log"
        settings = {"GGEN_MCP_LOAD_PLUGINS": plugins, "GGEN_MCP_HTTP__SHUTDOWN_GRACE": "1", **env}
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [*GGEN, "serve", "--transport", "http", "--port", str(port)],
                env=subprocess_env(**settings),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        served = Served(process, port, log)
        started.append(served)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, served.log_text()[-3000:]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return served
            time.sleep(0.05)
        raise AssertionError(f"ggen-mcp serve never became ready: {served.log_text()[-3000:]}")

    yield start
    for served in started:
        served.tree()
        for pid in served.seen:  # by PID: the server and every process it was seen to start
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            served.process.wait(timeout=10)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The workspace subprocess_env points the server at."""
    root = tmp_path / "workspace"
    root.mkdir()
    return root


async def call(url: str, tool: str, arguments: dict[str, Any]) -> Any:
    from mcp import Client

    async with Client(url, mode="legacy") as client:
        return await client.call_tool(tool, arguments)


def text_of(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def ok(url: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await call(url, tool, arguments)
    assert not result.is_error, f"{tool}: {text_of(result)}"
    return dict(result.structured_content or {})


async def in_flight(port: int, at_least: int = 1) -> None:
    """Wait until the server reports that many tool calls running (its /metrics gauge)."""
    async with httpx.AsyncClient() as http:
        with anyio.fail_after(60):
            while True:
                text = (await http.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
                for line in text.splitlines():
                    if line.startswith("ggen_mcp_tool_calls_in_flight ") and float(line.split()[1]) >= at_least:
                        return
                await anyio.sleep(0.02)


async def wait_until(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``predicate`` until true; fail after ``seconds`` naming what never happened."""
    try:
        with anyio.fail_after(seconds):
            while not predicate():
                await anyio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out after {seconds:g} s waiting for {what}") from None


def leftovers(root: Path) -> list[str]:
    """Temporary files outside .ggen/ (where a crash-safe write must not leave any)."""
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] == ".ggen" or not path.is_file():
            continue
        if path.name.endswith(TEMP_SUFFIXES) or ".ggen-" in path.name:
            found.append(relative.as_posix())
    return sorted(found)


def assert_every_file_parses(root: Path) -> int:
    """Every JSON, TOML and Python file of the workspace (state under .ggen/ included, the store's own
    RocksDB files and temporary folders excepted) parses; returns how many were checked."""
    checked = 0
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if not path.is_file() or "store" in parts[:2] or "tmp" in parts[:2]:
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            json.loads(data)
        elif path.suffix in {".toml", ".lock"}:
            tomllib.loads(data.decode())
        elif path.suffix == ".py":
            compile(data, str(path), "exec")
        else:
            continue
        checked += 1
    return checked


def write_people(path: Path, people: int) -> int:
    """N-Triples: `people` subjects with a type and a name; returns the triples written."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(people):
            out.write(f"<{EX}p{n}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Person> .\n")
            out.write(f'<{EX}p{n}> <{EX}name> "person {n}" .\n')
    return 2 * people


def latency_ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered) * 1000, 1),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "n": len(ordered),
    }


def report(name: str, numbers: dict[str, Any]) -> None:
    print(f"\n[faults] {name}: {json.dumps(numbers)}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------
# kill -9


@pytest.mark.parametrize("victims", ["server", "tree"])
async def test_kill_9_during_graph_load_then_restart(
    serve: Callable[..., Served], workspace: Path, victims: str
) -> None:
    """`server`: only the server process dies (what the OOM killer does); `tree`: the server and the store
    worker die at once (a container or cgroup kill). The load is below graph.bulk_load_bytes,
    so it is one transaction: afterwards the store holds all of it or none of it."""
    (workspace / "seed.ttl").write_text(f"<{EX}seed> <{EX}name> 'seed' .\n")
    big = write_people(workspace / "big.nt", 60_000)
    server = serve("graph")
    assert (await ok(server.url, "graph_load", {"file": "seed.ttl"}))["triples_added"] == 1
    outcome: dict[str, Any] = {}

    async def load() -> None:
        try:
            outcome["result"] = await call(server.url, "graph_load", {"file": "big.nt"})
        except Exception as exc:  # the connection dies with the server
            outcome["error"] = type(exc).__name__

    async with anyio.create_task_group() as group:
        group.start_soon(load)
        await in_flight(server.port)
        worker = await store_worker(server)
        start_cpu = sum(worker.cpu_times()[:2])
        await wait_until(lambda: sum(worker.cpu_times()[:2]) - start_cpu > 0.15, 60, "the worker to load")
        assert "result" not in outcome, "the load finished before the kill: make big.nt bigger"
        others = server.kill9(whole_tree=victims == "tree")
    assert "error" in outcome
    if victims == "server":  # the orphaned worker finishes its transaction, flushes and exits by itself
        _, alive = psutil.wait_procs(others, timeout=120)
        assert not alive, f"processes left running after the server died: {alive}"

    restarted = serve("graph")
    listing = await ok(restarted.url, "graph_list", {})  # the store opens
    total = listing["total_triples"]
    assert total in {1, 1 + big}, f"a transactional load was half applied: {total} triples"
    answer = await ok(restarted.url, "graph_query", {"sparql": f"ASK {{ <{EX}seed> ?p ?o }}"})
    assert answer["boolean"] is True
    assert (await ok(restarted.url, "graph_load", {"file": "seed.ttl"}))["triples_added"] == 0
    assert leftovers(workspace) == []
    assert_every_file_parses(workspace)
    report(f"kill -9 during graph_load ({victims})", {"triples_after_restart": total, "load_size": big})


async def store_worker(server: Served) -> psutil.Process:
    """The graph store worker process (the one that opened the store)."""
    found: list[psutil.Process] = []

    def look() -> bool:
        for proc in server.tree()[1:]:
            with contextlib.suppress(psutil.NoSuchProcess):
                if any(f.path.endswith("/LOCK") for f in proc.open_files()):
                    found.append(proc)
                    return True
        return False

    await wait_until(look, 30, "the store worker")
    return found[0]


async def test_kill_9_during_project_apply_then_restart(serve: Callable[..., Served], workspace: Path) -> None:
    """The files are staged under .ggen/tmp/template/apply-*/ (never beside their targets); the kill leaves
    them there, and the next project_apply, after the restart, sweeps the killed apply's folder."""
    files = 200
    pad = "x" * 4000
    folder = workspace / "templates" / "many"
    folder.mkdir(parents=True)
    for n in range(files):
        (folder / f"t{n}.tmpl").write_text(
            f'---\nto: "gen/f{n}.json"\n---\n{{"n": {n}, "name": "{{{{ name }}}}", "pad": "{pad}"}}\n'
        )
    server = serve("template")
    plan = await ok(server.url, "project_plan", {"template": "many", "vars": {"name": "a"}})
    assert plan["estimated_files"] == files
    outcome: dict[str, Any] = {}

    async def apply() -> None:
        try:
            outcome["result"] = await call(server.url, "project_apply", {"plan": plan["plan_id"]})
        except Exception as exc:
            outcome["error"] = type(exc).__name__

    generated = workspace / "gen"
    staging = workspace / ".ggen" / "tmp" / "template"

    def staged() -> list[Path]:
        return [p for p in staging.rglob("*") if p.name.endswith(TEMP_SUFFIXES)]

    async with anyio.create_task_group() as group:
        group.start_soon(apply)
        await wait_until(lambda: len(staged()) >= 5, 60, "staging")
        assert "result" not in outcome, "the apply finished before the kill: add templates"
        server.kill9(whole_tree=True)
    staged_at_kill = len(staged())
    assert staged_at_kill > 0 and leftovers(workspace) == []

    restarted = serve("template")
    written = sorted(p.name for p in generated.glob("f*.json"))
    for name in written:  # a target is either absent or whole
        json.loads((generated / name).read_text())
    again = await ok(restarted.url, "project_apply", {"plan": plan["plan_id"], "force": True})
    assert len(again["files_created"]) + len(again["files_modified"]) == files
    assert sorted(p.name for p in generated.glob("f*.json")) == sorted(f"f{n}.json" for n in range(files))
    checked = assert_every_file_parses(workspace)
    report(
        "kill -9 during project_apply",
        {
            "staged_at_kill": staged_at_kill,
            "targets_complete_after_kill": len(written),
            "parsed": checked,
            "leftovers": len(leftovers(workspace)),
            "staged_after_next_apply": len(staged()),
        },
    )
    assert leftovers(workspace) == []
    assert staged() == [] and list(staging.glob("apply-*")) == [], "the killed apply's staging was not swept"


# ---------------------------------------------------------------------------------------------------------
# A registry on 127.0.0.1 that can stall


class Registry:
    """Serves a built registry folder; `stall` makes archive downloads send half and wait, `hang` makes every
    request wait without answering (until `release` is set, or 120 s)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stall = False
        self.hang = False
        self.release = threading.Event()
        self.connections = 0
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                registry.connections += 1
                if registry.hang:
                    registry.release.wait(120)
                    return
                target = registry.root / self.path.split("?")[0].lstrip("/")
                if not target.is_file():
                    self.send_error(404)
                    return
                body = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if registry.stall and target.name.endswith(".tar.gz"):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    registry.release.wait(120)
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/index.json"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    from ggen_market.builder import build_registry

    source = tmp_path / "packs" / "io.example.faults-1.0.0"
    (source / "templates").mkdir(parents=True)
    (source / "gpack.toml").write_text(
        '[gpack]\nid = "io.example.faults"\nname = "Faults pack"\nversion = "1.0.0"\n'
        'description = "A pack for the fault tests"\nlicense = "MIT"\ncategory = "testing"\ntags = ["demo"]\n'
        'updated = "2026-10-01T00:00:00Z"\n[dependencies]\n'
    )
    for n in range(200):  # random-ish bodies so the archive does not compress to nothing
        body = " ".join(f"{(n * 7919 + k * 104729) % 1000003:x}" for k in range(60))
        (source / "templates" / f"t{n}.tmpl").write_text(f"---\nto: out/t{n}.txt\n---\n{body}\n")
    build_registry(tmp_path / "packs", tmp_path / "registry")
    served = Registry(tmp_path / "registry")
    yield served
    served.close()


async def test_kill_9_during_market_install_then_restart(
    serve: Callable[..., Served], workspace: Path, registry: Registry
) -> None:
    env = {"GGEN_MCP_MARKET__REGISTRY_URL": registry.url, "GGEN_MCP_MARKET__RETRIES": "1"}
    server = serve("market", **env)
    assert (await ok(server.url, "market_search", {"query": "faults"}))["total"] == 1
    registry.stall = True
    outcome: dict[str, Any] = {}

    async def install() -> None:
        try:
            outcome["result"] = await call(server.url, "market_install", {"package": "io.example.faults"})
        except Exception as exc:
            outcome["error"] = type(exc).__name__

    downloads = cache_dir_beside(workspace) / "market" / "tmp"  # downloads go beside the archive cache
    async with anyio.create_task_group() as group:
        group.start_soon(install)
        await wait_until(
            lambda: any(p.stat().st_size > 0 for p in downloads.glob("dl-*")) if downloads.is_dir() else False,
            60,
            "the download to start",
        )
        assert "result" not in outcome
        server.kill9(whole_tree=False)
        registry.stall = False
        registry.release.set()
    assert not (workspace / ".ggen" / "packs" / "io.example.faults").exists()

    restarted = serve("market", **env)
    installed = await ok(restarted.url, "market_install", {"package": "io.example.faults"})
    assert installed["version"] == "1.0.0"
    lock = tomllib.loads((workspace / "ggen.lock").read_text())
    assert [p["id"] for p in lock["packs"]] == ["io.example.faults"]
    assert len(list((workspace / ".ggen" / "packs" / "io.example.faults" / "1.0.0" / "templates").iterdir())) == 200
    assert leftovers(workspace) == []
    checked = assert_every_file_parses(workspace)
    report("kill -9 during market_install", {"parsed": checked})


# ---------------------------------------------------------------------------------------------------------
# A raising plugin, Redis down, a hanging registry


async def timed_calls(url: str, calls: list[tuple[str, dict[str, Any]]], rounds: int) -> dict[str, list[float]]:
    """Run the calls in turn, `rounds` times, in one session; latencies per tool. Every call must succeed."""
    from mcp import Client

    samples: dict[str, list[float]] = {tool: [] for tool, _ in calls}
    async with Client(url, mode="legacy") as client:
        await client.list_tools()
        for _ in range(rounds):
            for tool, arguments in calls:
                start = time.perf_counter()
                result = await client.call_tool(tool, arguments)
                samples[tool].append(time.perf_counter() - start)
                assert not result.is_error, f"{tool}: {text_of(result)}"
    return samples


async def paced_stream(url: str, tool: str, arguments: dict[str, Any], interval: float, seen: list[Any]) -> None:
    """Call `tool` every `interval` seconds (until cancelled), keeping each result."""
    from mcp import Client

    async with Client(url, mode="legacy") as client:
        await client.list_tools()
        while True:
            seen.append(await client.call_tool(tool, arguments))
            await anyio.sleep(interval)


async def test_a_tool_that_always_raises_does_not_slow_the_others(
    serve: Callable[..., Served], workspace: Path
) -> None:
    write_people(workspace / "people.nt", 2000)
    server = serve("graph,raisingtool", GGEN_MCP_RATE_LIMIT__ENABLED="false")
    await ok(server.url, "graph_load", {"file": "people.nt"})
    healthy = [("graph_query", {"sparql": f"SELECT ?s WHERE {{ ?s <{EX}name> 'person 7' }}"})]
    rounds, streams, interval = 40, 4, 0.05  # about 4 x 18 = 70 raising calls per second alongside
    await timed_calls(server.url, healthy, 10)  # warm-up

    async def under(tool: str, arguments: dict[str, Any]) -> tuple[list[float], list[Any]]:
        seen: list[Any] = []
        async with anyio.create_task_group() as group:
            for _ in range(streams):
                group.start_soon(paced_stream, server.url, tool, arguments, interval, seen)
            await anyio.sleep(0.5)
            samples = (await timed_calls(server.url, healthy, rounds))["graph_query"]
            group.cancel_scope.cancel()
        return samples, seen

    quiet = (await timed_calls(server.url, healthy, rounds))["graph_query"]
    raising, errors = await under("raisingtool_explode", {})
    control, _ = await under("graph_list", {})
    quiet_again = (await timed_calls(server.url, healthy, rounds))["graph_query"]

    assert errors and all(r.is_error for r in errors)
    assert "internal error (KeyError)" in text_of(errors[0]) and "/etc/secret-path" not in text_of(errors[0])
    numbers = {
        "alone": latency_ms(quiet + quiet_again),
        "with raising stream": latency_ms(raising),
        "with healthy stream (control)": latency_ms(control),
        "raising calls": len(errors),
    }
    report("raising plugin", numbers)
    # Against the control only: it runs the same paced streams a few seconds later, so the suite's own load
    # (other xdist workers) weighs on both alike; "alone" has no stream beside it and is only reported (a
    # bound on it failed under the suite's load: 101.7 ms against 3 x 14.6 + 50, with the control at 26.2 ms).
    assert numbers["with raising stream"]["p50"] < 3 * numbers["with healthy stream (control)"]["p50"] + 50, numbers
    assert "raisingtool_explode" in server.log_text()  # the traceback is logged, not sent


async def test_redis_down_follows_on_storage_error_over_http(
    serve: Callable[..., Served], workspace: Path, tmp_path: Path, redis_starter: Callable[..., Any]
) -> None:
    port = free_port()
    redis = redis_starter(port, tmp_path)
    try:
        storage = {
            "GGEN_MCP_RATE_LIMIT__STORAGE": f"redis://127.0.0.1:{port}/0",
            "GGEN_MCP_RATE_LIMIT__ANONYMOUS_LIMIT": "1000/minute",
        }
        lenient = serve("template", **storage)
        strict = serve("template", GGEN_MCP_RATE_LIMIT__ON_STORAGE_ERROR="deny", **storage)
        for server in (lenient, strict):
            await ok(server.url, "template_list", {})
        import redis as redis_client

        keys = redis_client.Redis(port=port).keys("*")
        assert keys, "the limiter did not use Redis while it was up"

        redis.terminate()
        redis.wait(timeout=10)
        started = time.perf_counter()
        served = await call(lenient.url, "template_list", {})
        lenient_ms = (time.perf_counter() - started) * 1000
        refused = await call(strict.url, "template_list", {})
        assert not served.is_error, text_of(served)
        assert refused.is_error and "rate-limit storage unavailable" in text_of(refused), text_of(refused)
        assert "retry after 1 s" in text_of(refused)
        await wait_until(lambda: "serving without limits" in lenient.log_text(), 10, "the warning")
        assert "rate-limit storage failed; refusing" in strict.log_text()

        redis = redis_starter(port, tmp_path)  # back: the strict server serves again, without a restart
        await anyio.sleep(1.1)  # the limiter retries its storage at most once a second after a failure
        recovered = await call(strict.url, "template_list", {})
        assert not recovered.is_error, text_of(recovered)
        report("redis down", {"allow_call_ms_while_down": round(lenient_ms, 1)})
    finally:
        redis.kill()
        redis.wait(timeout=10)


async def test_a_hanging_registry_does_not_slow_calls_that_do_not_need_it(
    serve: Callable[..., Served], workspace: Path, registry: Registry
) -> None:
    write_people(workspace / "people.nt", 2000)
    (workspace / "templates").mkdir()
    (workspace / "templates" / "hello.tmpl").write_text("---\nto: hello.txt\n---\nhello {{ name }}\n")
    registry.hang = True
    server = serve(
        "graph,template,market", GGEN_MCP_MARKET__REGISTRY_URL=registry.url, GGEN_MCP_RATE_LIMIT__ENABLED="false"
    )
    await ok(server.url, "graph_load", {"file": "people.nt"})
    calls = [
        ("graph_query", {"sparql": f"SELECT ?s WHERE {{ ?s <{EX}name> 'person 7' }}"}),
        ("template_render", {"template": "hello", "vars": {"name": "x"}}),
    ]
    await timed_calls(server.url, calls, 5)
    before = await timed_calls(server.url, calls, 40)
    hanging = 20
    pending: list[Any] = []
    async with anyio.create_task_group() as group:
        for n in range(hanging):
            group.start_soon(paced_stream, server.url, "market_search", {"query": f"q{n}"}, 0.0, pending)
        await wait_until(lambda: registry.connections >= 5, 30, "market_search to reach the registry")
        during = await timed_calls(server.url, calls, 40)
        still_hanging = hanging - len(pending)
        group.cancel_scope.cancel()
    numbers = {
        tool: {"before": latency_ms(before[tool]), "registry hanging": latency_ms(during[tool])} for tool, _ in calls
    }
    numbers["market_search calls hanging during the measurement"] = still_hanging  # type: ignore[assignment]
    report("hanging registry", numbers)
    assert still_hanging > 0, "the registry did not hang the market calls"
    for tool, _ in calls:
        assert numbers[tool]["registry hanging"]["p50"] < 3 * numbers[tool]["before"]["p50"] + 50, numbers


async def test_calls_stuck_on_a_hanging_registry_cannot_take_every_call_slot(
    serve: Callable[..., Served], workspace: Path, registry: Registry
) -> None:
    """As many hanging market_search calls as call slots: the market plugin holds only its share (half of
    max_concurrent_calls by default), the other calls get 'server busy' naming the plugin, graph_query runs."""
    (workspace / "seed.ttl").write_text(f"<{EX}seed> <{EX}name> 'seed' .\n")
    registry.hang = True
    slots = 8
    share = slots // 2  # limits.max_concurrent_per_plugin unset
    server = serve(
        "graph,market",
        GGEN_MCP_MARKET__REGISTRY_URL=registry.url,
        GGEN_MCP_RATE_LIMIT__ENABLED="false",
        GGEN_MCP_MAX_CONCURRENT_CALLS=str(slots),
        GGEN_MCP_LIMITS__QUEUE_TIMEOUT="1",
    )
    await ok(server.url, "graph_load", {"file": "seed.ttl"})
    pending: list[Any] = []
    async with anyio.create_task_group() as group:
        for n in range(slots):
            group.start_soon(paced_stream, server.url, "market_search", {"query": f"q{n}"}, 0.0, pending)
        await in_flight(server.port, at_least=share)
        await wait_until(lambda: any(r.is_error for r in pending), 30, "a market_search refused by its share")
        result = await call(server.url, "graph_query", {"sparql": f"ASK {{ <{EX}seed> ?p ?o }}"})
        group.cancel_scope.cancel()
    refused = [text_of(r) for r in pending if r.is_error]
    report("hanging registry, every slot", {"graph_query": text_of(result)[:80], "market_search": refused[0]})
    assert not result.is_error, text_of(result)
    assert f"calls of plugin 'market' running (its share: {share} of {slots} slots)" in refused[0], refused
