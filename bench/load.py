"""Load generator: ggen-mcp under concurrent MCP sessions over Streamable HTTP, side by side with a bare-SDK
baseline (bench/baseline_server.py) answering the same query.

    .venv/bin/python bench/load.py                      # the full matrix, 3 repetitions (about 35 minutes)
    .venv/bin/python bench/load.py matrix --quick       # 1 repetition, short windows (about 8 minutes)
    .venv/bin/python bench/load.py run --server ggen --loop open --sessions 100 --mode legacy --workload mix
    .venv/bin/python bench/load.py run --server ggen --loop closed --sessions 10 --profile /tmp/ggen.pyspy

Method: one asyncio process holds one SDK `Client` per simulated session,
connected one after another 30 ms apart (each lists the tools) before the clock starts. A closed loop calls back
to back; an open loop fires each session's calls on a fixed staggered schedule whether or not earlier calls
finished, and measures latency from the scheduled send time. Each run gets fresh server processes; within a
repetition the servers take turns, and the tables give the median over repetitions. Everything is bounded: a
30 s deadline per call, a cap on calls per session, a deadline on the whole run, and servers are stopped by PID.

Workloads: `query-varying` (graph_query, 970 different binding pairs in turn: nothing can be answered from a
cache), `query-fixed` (the same bindings every call: what a result cache would serve), `mix` (40 % graph_query
varying, 20 % each market_search, template_render, project_plan). The ggen-mcp server runs all four packs with
auth off and the rate limit disabled (GGEN_MCP_RATE_LIMIT__ENABLED=false); its store is the embedded on-disk
store of a workspace loaded with graph_load. Server CPU and peak RSS cover the server and its children (the
graph store worker). Results: JSON lines and a Markdown report in the output folder, the report also on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import Server
from shared_store import SharedServices, shared_services

CALL_TIMEOUT = 30.0
MAX_CALLS_PER_SESSION = 200_000
CONNECT_STAGGER = 0.03
SEARCH_WORDS = ("python", "rust", "sql", "typescript", "models", "api", "")
ALT_PYTHONPATH = [""]  # set by `run --alt-pythonpath`
ALT_ENV: dict[str, str] = {}  # set by `run --alt-env KEY=VALUE`
MIX = ("graph_query", "market_search", "graph_query", "template_render", "project_plan")


@dataclass(frozen=True)
class Scenario:
    """One load shape: who calls what, how often, for how long."""

    name: str
    loop: str  # closed | open
    sessions: int
    mode: str  # legacy (2025-11-25 sessions) | auto (2026-07-28)
    workload: str  # query-varying | query-fixed | mix
    rate: float = 1.0  # open loop: calls per second per session
    warmup: float = 3.0
    duration: float = 15.0


@dataclass
class Call:
    start: float  # scheduled (open loop) or actual (closed loop) send time, monotonic
    end: float
    tool: str
    error: str | None


def skip_client_validation() -> None:
    """Make every SDK ClientSession in this process skip re-validating structured results against the tool's
    output schema (jsonschema, about a third of the load generator's CPU): a lighter client, closer to one
    on its own host. The result checks of this module still run."""
    from mcp.client.session import ClientSession

    async def no_validation(self: ClientSession, name: str, result: Any) -> None:
        return None

    ClientSession.validate_tool_result = no_validation  # type: ignore[method-assign]


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """The options of a bench that runs one kind of server after another on the prepared workspace."""
    parser.add_argument("--out", required=True, help="output folder (the prepared workspace is reused)")
    parser.add_argument("--server", action="append", help="baseline | ggen | ggen-alt (repeatable; in turn)")
    parser.add_argument("--alt-pythonpath", help="server ggen-alt: this folder first on the server's PYTHONPATH")
    add_alt_env_option(parser)
    parser.add_argument("--triples", type=int, default=100_000)


def add_alt_env_option(parser: argparse.ArgumentParser) -> None:
    """``--alt-env KEY=VALUE`` (repeatable): an environment variable of the ggen-alt server only."""
    parser.add_argument(
        "--alt-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="server ggen-alt: an environment variable (a setting, e.g. GGEN_MCP_GRAPH__WORKER_THREADS=2)",
    )


def bench_from(args: argparse.Namespace) -> Bench:
    """Set up a bench run from :func:`add_server_options`' options: signals, the light client, ggen-alt's path,
    the prepared workspace."""
    terminate_on_sigterm()
    skip_client_validation()
    ALT_PYTHONPATH[0] = args.alt_pythonpath or ""
    ALT_ENV.update({key: value for key, _, value in (pair.partition("=") for pair in args.alt_env)})
    return prepare(output_dir(args.out), args.triples)


def terminate_on_sigterm() -> None:
    """SIGTERM ends the run through SystemExit, so the servers it started are stopped by PID."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def workload_call(workload: str, session: int, n: int) -> tuple[str, dict[str, Any]]:
    """The tool and arguments of call ``n`` of session ``session``."""
    serial = session * 7919 + n
    if workload == "query-fixed":
        return "graph_query", common.query_arguments(serial, varying=False)
    if workload == "query-varying":
        return "graph_query", common.query_arguments(serial, varying=True)
    tool = MIX[(session + n) % len(MIX)]
    if tool == "graph_query":
        return tool, common.query_arguments(serial, varying=True)
    if tool == "market_search":
        return tool, {"query": SEARCH_WORDS[serial % len(SEARCH_WORDS)], "limit": 5}
    variables = {"name": f"Model{serial % 50}"}
    if tool == "template_render":
        return tool, {"template": "model", "vars": variables}
    return tool, {"template": "model", "vars": variables, "output": f"out/{serial % 8}"}


def check_result(tool: str, result: Any) -> str | None:
    """None when the result is what the call should give, else the kind of error."""
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        return "tool-error: " + re.sub(r"[0-9a-f]{16,}", "<id>", text)[:70]
    data = result.structured_content or {}
    expected = {
        "graph_query": lambda d: d.get("count", 0) > 0 and d.get("rows"),
        "market_search": lambda d: "results" in d,
        "template_render": lambda d: bool(d.get("files")),
        "project_plan": lambda d: bool(d.get("plan_id")),
    }[tool]
    return None if expected(data) else f"bad-result: {tool}"


async def one_call(client: Any, tool: str, arguments: dict[str, Any]) -> str | None:
    try:
        with anyio.fail_after(CALL_TIMEOUT):
            result = await client.call_tool(tool, arguments)
    except TimeoutError:
        return "timeout"
    except Exception as exc:  # every failure is counted by kind, none stops the run
        return f"exception: {type(exc).__name__}"
    return check_result(tool, result)


class Window:
    """The measurement window: calls, and server/client CPU and memory sampled at its edges."""

    def __init__(self, servers: list[Server], scenario: Scenario, on_begin: Callable[[], Any] | None = None) -> None:
        self.servers = servers
        self.on_begin = on_begin
        self.scenario = scenario
        self.calls: list[Call] = []
        self.begin = self.end = math.nan
        self.cpu_begin: list[float] = []
        self.cpu_end: list[float] = []
        self.client_cpu = (0.0, 0.0)
        self.rss_max = 0
        self.metrics_begin: list[float] = []
        self.metrics_end: list[float] = []
        self.close_errors = 0
        self.aborted = False
        self.http: Any = None  # an httpx.AsyncClient for /metrics, opened by drive() before the clock
        self.services: list[Server] = []  # shared Oxigraph and Redis: CPU only
        self.services_cpu = (0.0, 0.0)

    def open(self, now: float) -> None:
        self.begin = now + self.scenario.warmup
        self.end = self.begin + self.scenario.duration

    async def sample(self) -> None:
        """Read CPU at both edges of the window, RSS every 0.5 s in it."""
        await anyio.sleep_until(self.begin)
        if self.on_begin is not None:
            self.on_begin()
        self.cpu_begin = [s.cpu_seconds() for s in self.servers]
        services_begin = sum(s.cpu_seconds() for s in self.services)
        self.metrics_begin = [await tool_calls_served(self.http, s) for s in self.servers]
        client_begin = client_cpu()
        while time.monotonic() < self.end:
            self.rss_max = max(self.rss_max, sum(s.rss_bytes() for s in self.servers))
            await anyio.sleep(min(0.5, max(0.0, self.end - time.monotonic())))
        self.cpu_end = [s.cpu_seconds() for s in self.servers]
        self.services_cpu = (services_begin, sum(s.cpu_seconds() for s in self.services))
        self.metrics_end = [await tool_calls_served(self.http, s) for s in self.servers]
        self.client_cpu = (client_begin, client_cpu())


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def tool_calls_served(http: Any, server: Server) -> float:
    """ggen_mcp_tool_calls_total summed over tools and outcomes, from the server's /metrics (nan for the
    baseline, which has none). ``http`` is made before the clock: a new httpx client loads the CA bundle,
    which blocked this event loop for ~200 ms at the edges of the window (latency the servers never caused)."""
    if server.name != "ggen":
        return math.nan
    import httpx

    try:
        text = (await http.get(f"http://127.0.0.1:{server.port}/metrics", timeout=30)).text
    except httpx.HTTPError:  # an overloaded server may not answer in time: no share for this run
        return math.nan
    return sum(float(m.group(1)) for m in re.finditer(r"^ggen_mcp_tool_calls_total\{[^}]*\} (\S+)$", text, re.M))


async def closed_session(client: Any, session: int, window: Window) -> None:
    n = 0
    while time.monotonic() < window.end and n < MAX_CALLS_PER_SESSION:
        tool, arguments = workload_call(window.scenario.workload, session, n)
        start = time.monotonic()
        error = await one_call(client, tool, arguments)
        window.calls.append(Call(start, time.monotonic(), tool, error))
        n += 1


async def open_session(client: Any, session: int, window: Window, first: float) -> None:
    period = 1.0 / window.scenario.rate
    offset = first + (session / window.scenario.sessions) * period

    async def fire(n: int, scheduled: float) -> None:
        tool, arguments = workload_call(window.scenario.workload, session, n)
        error = await one_call(client, tool, arguments)
        window.calls.append(Call(scheduled, time.monotonic(), tool, error))

    async with anyio.create_task_group() as group:
        for n in range(MAX_CALLS_PER_SESSION):
            scheduled = offset + n * period
            if scheduled >= window.end:
                break
            await anyio.sleep_until(scheduled)
            group.start_soon(fire, n, scheduled)


async def drive(
    servers: list[Server],
    scenario: Scenario,
    on_begin: Callable[[], Any] | None = None,
    services: list[Server] | None = None,
) -> Window:
    """Connect the sessions (spread over the servers in turn), run the loop, return the window. ``services``
    (the shared Oxigraph and Redis) only have their CPU measured."""

    import httpx

    window = Window(servers, scenario, on_begin)
    window.services = services or []
    async with contextlib.AsyncExitStack() as stack:
        window.http = await stack.enter_async_context(httpx.AsyncClient(trust_env=False))
        clients = []
        for i in range(scenario.sessions):
            client = await stack.enter_async_context(session(servers[i % len(servers)].url, scenario.mode, window))
            await client.list_tools()
            clients.append(client)
            await anyio.sleep(CONNECT_STAGGER)
        start = time.monotonic()
        window.open(start)
        with anyio.move_on_after(scenario.warmup + scenario.duration + 2 * CALL_TIMEOUT + 30) as deadline:
            async with anyio.create_task_group() as group:
                group.start_soon(window.sample)
                for i, client in enumerate(clients):
                    if scenario.loop == "closed":
                        group.start_soon(closed_session, client, i, window)
                    else:
                        group.start_soon(open_session, client, i, window, start)
        window.aborted = deadline.cancelled_caught
    return window


@contextlib.asynccontextmanager
async def session(url: str, mode: str, window: Window) -> Any:
    """An SDK Client whose closing errors (a server too busy to end the session cleanly) are counted, not
    raised: they happen after the measurement and must not lose it."""
    from mcp import Client

    client = Client(url, mode=mode)
    await client.__aenter__()
    try:
        yield client
    finally:
        try:
            with anyio.move_on_after(15, shield=True):
                await client.__aexit__(None, None, None)
        except Exception:
            window.close_errors += 1


async def closed_loop_calls(clients: list[Any], first: int, last: int) -> None:
    """Calls ``first`` to ``last - 1`` of the ``query-varying`` workload, shared out to ``clients`` in a closed loop
    (client ``k`` makes calls ``first + k``, ``first + k + len(clients)``, ...); the first failure raises."""

    async def run(client: Any, session: int) -> None:
        for n in range(first + session, last, len(clients)):
            error = await one_call(client, *workload_call("query-varying", 0, n))
            if error is not None:
                raise RuntimeError(f"call {n} failed: {error}")

    async with anyio.create_task_group() as group:
        for session, client in enumerate(clients):
            group.start_soon(run, client, session)


async def prime(servers: list[Server], scenario: Scenario) -> None:
    """One call of each tool of the workload on every server before the clock: starts the store worker."""
    from mcp import Client

    tools = {workload_call(scenario.workload, 0, n)[0]: n for n in range(len(MIX))}
    for server in servers:
        async with Client(server.url, mode=scenario.mode) as client:
            for tool, n in tools.items():
                error = await one_call(client, *workload_call(scenario.workload, 0, n))
                if error:
                    raise RuntimeError(f"priming {tool} on {server.name} failed: {error}")


def summarize(window: Window, scenario: Scenario) -> dict[str, Any]:
    """Throughput, latency percentiles, errors by kind, CPU per call, memory."""
    if scenario.loop == "closed":  # completed in the window
        measured = [c for c in window.calls if window.begin <= c.end < window.end]
    else:  # scheduled in the window (latency from the scheduled time)
        measured = [c for c in window.calls if window.begin <= c.start < window.end]
    ok = [c for c in measured if c.error is None]
    calls = len(measured)
    complete = bool(window.cpu_end) and len(window.cpu_end) == len(window.cpu_begin)  # not cut off early
    server_cpu = sum(e - b for b, e in zip(window.cpu_begin, window.cpu_end, strict=True)) if complete else math.nan
    client = window.client_cpu[1] - window.client_cpu[0] if complete else math.nan
    out: dict[str, Any] = {
        "calls": calls,
        "throughput": round(calls / scenario.duration, 1),
        **common.latency_summary([c.end - c.start for c in measured]),
        "errors": len(measured) - len(ok),
        "errors_by_kind": dict(Counter(c.error for c in measured if c.error)),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_call": round(1000 * server_cpu / calls, 2) if calls else math.nan,
        "server_cores": round(server_cpu / scenario.duration, 2),
        "client_cpu_ms_per_call": round(1000 * client / calls, 2) if calls else math.nan,
        "services_cpu_ms_per_call": round(1000 * (window.services_cpu[1] - window.services_cpu[0]) / calls, 2)
        if calls and window.services
        else math.nan,
        "peak_rss_mib": round(sum(s.peak_rss_bytes() for s in window.servers) / 2**20, 1),
        "window_rss_max_mib": round(window.rss_max / 2**20, 1),
        "session_close_errors": window.close_errors,
        "aborted": window.aborted,
    }
    per_tool = {}
    for tool in sorted({c.tool for c in measured}):
        latencies = [c.end - c.start for c in measured if c.tool == tool]
        per_tool[tool] = {"calls": len(latencies), **common.latency_summary(latencies)}
    if len(per_tool) > 1:
        out["per_tool"] = per_tool
    served = [e - b for b, e in zip(window.metrics_begin, window.metrics_end, strict=True)] if complete else []
    if len(window.servers) > 1 and served and not any(math.isnan(x) for x in served):
        total = sum(served) or 1
        out["worker_share"] = [round(x / total, 3) for x in served]
        out["worker_cpu_s"] = [round(e - b, 2) for b, e in zip(window.cpu_begin, window.cpu_end, strict=True)]
    return out


@dataclass
class Bench:
    """What a run needs: the prepared workspaces and data, and where logs go."""

    workspace: Path
    second_workspace: Path
    data: Path
    out: Path

    @property
    def shared_workspace(self) -> Path:
        """The workspace the ggen-shared replicas share (templates and plans; the graph is in Oxigraph)."""
        shared = self.out / "workspace-shared"
        if not shared.is_dir():
            (shared / "templates").mkdir(parents=True)
            shutil.copy(self.workspace / "templates" / "model.tmpl", shared / "templates" / "model.tmpl")
        return shared


def make_servers(kind: str, bench: Bench, tag: str, services: SharedServices | None = None) -> list[Server]:
    log = bench.out / "logs" / f"{tag}.log"
    if kind == "baseline":
        return [common.baseline_server(bench.data, log)]
    if kind == "baseline-stateless":
        return [common.baseline_server(bench.data, log, stateless=True)]
    if kind == "ggen":
        return [common.ggen_server(bench.workspace, log)]
    if kind == "ggen-json":  # http.json_response: plain JSON POST replies instead of SSE streams
        server = common.ggen_server(bench.workspace, log)
        server.command.append("--json-response")
        return [server]
    if kind == "ggen-stateless":
        return [common.ggen_server(bench.workspace, log, stateless=True)]
    if kind == "ggen-alt":  # an alternative host or pack tree first on PYTHONPATH (A/B of a change)
        server = common.ggen_server(bench.workspace, log)
        server.env["PYTHONPATH"] = ALT_PYTHONPATH[0]
        server.env.update(ALT_ENV)
        return [server]
    if kind.startswith("ggen-shared-"):  # replicas on one workspace, one Oxigraph server and one Redis
        assert services is not None
        count = int(kind.removeprefix("ggen-shared-").removesuffix("r"))
        env = services.replica_env()
        return [
            common.ggen_server(bench.shared_workspace, log.with_suffix(f".r{n}.log"), stateless=True, **env)
            for n in range(count)
        ]
    if kind == "ggen-2w":
        return [
            common.ggen_server(bench.workspace, log, stateless=True),
            common.ggen_server(bench.second_workspace, log.with_suffix(".w2.log"), stateless=True),
        ]
    raise ValueError(f"unknown server kind {kind!r}")


def run_one(kind: str, scenario: Scenario, bench: Bench, rep: int, profile: Path | None = None) -> dict[str, Any]:
    """A fresh server (or two), one scenario, the numbers; servers stopped afterwards."""
    tag = f"{scenario.name}_{kind}_r{rep}"
    with contextlib.ExitStack() as stack:
        shared = kind.startswith("ggen-shared-")
        services = stack.enter_context(shared_services(bench.out, bench.data)) if shared else None
        servers = make_servers(kind, bench, tag, services)
        row = _run_started(kind, scenario, servers, rep, profile, services)
    return row


def _run_started(
    kind: str,
    scenario: Scenario,
    servers: list[Server],
    rep: int,
    profile: Path | None,
    services: SharedServices | None,
) -> dict[str, Any]:
    load_before = common.load_average()[0]
    with common.started(*servers):
        anyio.run(prime, servers, scenario)
        spies: list[subprocess.Popen[bytes]] = []
        if profile:
            on_begin = lambda: spies.append(start_profiler(servers[0], scenario, profile))  # noqa: E731
        extra = [services.oxigraph, services.redis] if services else []
        window = anyio.run(drive, servers, scenario, on_begin if profile else None, extra)
        for spy in spies:
            spy.wait(timeout=scenario.duration + 60)
        row = {
            "scenario": scenario.name,
            "server": kind,
            "rep": rep,
            **{k: v for k, v in asdict(scenario).items() if k != "name"},
            **summarize(window, scenario),
            "processes": [p for s in servers for p in s.per_process()],
            "loadavg_1m_before": round(load_before, 2),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    return row


def start_profiler(server: Server, scenario: Scenario, out: Path) -> subprocess.Popen[bytes]:
    """py-spy on the server and its children for the measurement window (raw collapsed stacks)."""
    py_spy = str(common.BIN / "py-spy")
    command = [py_spy, "record", "--pid", str(server.pid), "--subprocesses", "--rate", "100", "--format", "raw"]
    command += ["--duration", str(int(scenario.duration)), "--output", str(out), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare(out: Path, triples: int) -> Bench:
    """The workspace loaded through graph_load, and its copy for a second worker; reused when the output folder
    already holds them (so several `run` invocations share one preparation)."""
    workspace, second = out / "workspace", out / "workspace2"
    if (second / ".ggen" / "store").is_dir() and (workspace / "data.nt").is_file():
        return Bench(workspace, second, workspace / "data.nt", out)
    print(f"preparing {workspace}: {triples} triples through graph_load ...", file=sys.stderr)
    data = common.prepare_workspace(workspace, triples=triples)
    common.copy_workspace(workspace, second)
    return Bench(workspace, second, data, out)


def matrix(quick: bool) -> list[tuple[Scenario, list[str]]]:
    """Every scenario and the servers that take turns in it."""
    window = {"warmup": 2.0, "duration": 8.0} if quick else {"warmup": 3.0, "duration": 15.0}
    open_window = {"warmup": 2.0, "duration": 10.0} if quick else {"warmup": 3.0, "duration": 20.0}
    rows: list[tuple[Scenario, list[str]]] = []
    for mode in ("legacy", "auto"):
        kinds = ["baseline", "ggen", "ggen-json"] if mode == "legacy" else ["baseline", "ggen"]
        rows.append((Scenario(f"open100-{mode}-query", "open", 100, mode, "query-varying", **open_window), kinds))
        rows.append((Scenario(f"open100-{mode}-mix", "open", 100, mode, "mix", **open_window), ["ggen"]))
    for sessions in (10, 100):
        for mode in ("legacy", "auto"):
            scenario = Scenario(f"closed{sessions}-{mode}-varying", "closed", sessions, mode, "query-varying", **window)
            json_too = sessions == 10 and mode == "legacy"  # legacy SSE replies cost a connection per call
            rows.append((scenario, ["baseline", "ggen", "ggen-json"] if json_too else ["baseline", "ggen"]))
    for mode in ("legacy", "auto"):
        fixed = Scenario(f"closed10-{mode}-fixed", "closed", 10, mode, "query-fixed", **window)
        rows.append((fixed, ["baseline", "ggen"]))
        two = Scenario(f"closed10-{mode}-workers", "closed", 10, mode, "query-varying", **window)
        rows.append((two, ["ggen-stateless", "ggen-2w"]))
    shared = Scenario("closed10-legacy-shared", "closed", 10, "legacy", "query-varying", **window)
    rows.append((shared, ["ggen-shared-1r", "ggen-shared-2r"]))
    return rows


def run_matrix(args: argparse.Namespace) -> None:
    out = output_dir(args.out)
    bench = prepare(out, args.triples)
    results = out / "load.jsonl"
    meta = {"machine": common.machine(), "command": " ".join(sys.argv), "reps": args.reps}
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    plan = matrix(args.quick)
    if args.only:
        plan = [(s, k) for s, k in plan if re.search(args.only, s.name)]
    rows: list[dict[str, Any]] = []
    for rep in range(1, args.reps + 1):
        for scenario, kinds in plan:
            for kind in kinds:
                print(f"rep {rep}: {scenario.name} on {kind} (load {common.load_average()[0]:.2f})", file=sys.stderr)
                row = run_one(kind, scenario, bench, rep)
                rows.append(row)
                with results.open("a") as handle:
                    handle.write(json.dumps(row) + "\n")
                print(f"    {brief(row)}", file=sys.stderr)
    meta["loadavg_end"] = [round(x, 2) for x in common.load_average()]
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    report = render_report(rows, meta)
    (out / "report.md").write_text(report)
    print(report)
    print(f"raw results: {results}", file=sys.stderr)


def brief(row: dict[str, Any]) -> str:
    errors = f" errors {row['errors']} {row['errors_by_kind']}" if row["errors"] else ""
    share = f" share {row['worker_share']}" if "worker_share" in row else ""
    return (
        f"{row['throughput']} calls/s, p50 {row['p50_ms']} p95 {row['p95_ms']} p99 {row['p99_ms']} ms, "
        f"server {row['server_cpu_ms_per_call']} ms CPU/call ({row['server_cores']} cores), "
        f"client {row['client_cpu_ms_per_call']} ms/call, "
        f"store+redis {row.get('services_cpu_ms_per_call')} ms/call, "
        f"peak RSS {row['peak_rss_mib']} MiB{share}{errors}"
    )


METRICS: list[tuple[str, str]] = [
    ("throughput", "throughput (calls/s)"),
    ("p50_ms", "p50 (ms)"),
    ("p95_ms", "p95 (ms)"),
    ("p99_ms", "p99 (ms)"),
    ("errors", "errors"),
    ("server_cpu_ms_per_call", "server CPU ms/call"),
    ("server_cores", "server cores busy"),
    ("client_cpu_ms_per_call", "client CPU ms/call"),
    ("peak_rss_mib", "server peak RSS MiB (VmHWM, all processes)"),
]


def fmt(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 100):
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def median(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if not (isinstance(r[key], float) and math.isnan(r[key]))]
    return statistics.median(values) if values else math.nan


def render_report(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """Markdown: per scenario, each server's median over repetitions, the runs, and the ratios."""
    lines = [f"machine: {json.dumps(meta['machine'])}", ""]
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        group = [r for r in rows if r["scenario"] == scenario]
        kinds = list(dict.fromkeys(r["server"] for r in group))
        lines += [f"### {scenario}", "", "| metric | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
        for key, label in METRICS:
            cells = []
            for kind in kinds:
                runs = [r for r in group if r["server"] == kind]
                each = " / ".join(fmt(r[key]) for r in runs)
                cells.append(f"**{fmt(median(runs, key))}** ({each})" if len(runs) > 1 else fmt(median(runs, key)))
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines += ["", *extra_lines(group, kinds), ""]
    return "\n".join(lines)


def extra_lines(group: list[dict[str, Any]], kinds: list[str]) -> list[str]:
    out = []
    by_kind = {k: [r for r in group if r["server"] == k] for k in kinds}
    first = kinds[0]
    for other in kinds[1:]:

        def ratio(key: str, other: str = other) -> float:
            return median(by_kind[other], key) / median(by_kind[first], key)

        out.append(
            f"{other}/{first} (medians): throughput {ratio('throughput'):.2f}, p50 {ratio('p50_ms'):.2f}, "
            f"server CPU/call {ratio('server_cpu_ms_per_call'):.2f}"
        )
    for kind, runs in by_kind.items():
        errors = Counter()
        for r in runs:
            errors.update(r["errors_by_kind"])
        if errors:
            out.append(f"{kind} errors by kind: {dict(errors)}")
        if "worker_share" in runs[0]:
            out.append(f"{kind} per-worker share of calls: " + " / ".join(str(r["worker_share"]) for r in runs))
        if "per_tool" in runs[0]:
            for tool in runs[0]["per_tool"]:
                p95 = " / ".join(fmt(r["per_tool"][tool]["p95_ms"]) for r in runs if tool in r.get("per_tool", {}))
                p50 = " / ".join(fmt(r["per_tool"][tool]["p50_ms"]) for r in runs if tool in r.get("per_tool", {}))
                out.append(f"{kind} {tool}: p50 {p50} ms, p95 {p95} ms")
        loads = " / ".join(str(r["loadavg_1m_before"]) for r in runs)
        out.append(f"{kind} 1-min load average before each run: {loads}")
    return [line + "  " for line in out]


def output_dir(path: str | None) -> Path:
    out = Path(path) if path else Path(tempfile.gettempdir()) / "ggen-mcp-bench" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    print(f"output: {out}", file=sys.stderr)
    return out


def run_single(args: argparse.Namespace) -> None:
    out = output_dir(args.out)
    bench = prepare(out, args.triples)
    scenario = Scenario(
        "single", args.loop, args.sessions, args.mode, args.workload, args.rate, args.warmup, args.duration
    )
    rows = []
    for rep in range(1, args.reps + 1):
        for kind in args.server:
            profile = Path(f"{args.profile}.{kind}.r{rep}") if args.profile else None
            row = run_one(
                kind, replace(scenario, name=f"single-{args.loop}{args.sessions}-{args.mode}"), bench, rep, profile
            )
            rows.append(row)
            with (out / "load.jsonl").open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(f"{kind} r{rep}: {brief(row)}", file=sys.stderr)
            if profile:
                print(f"    profile: {profile}", file=sys.stderr)
    print(render_report(rows, {"machine": common.machine()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output folder (default: a new folder under the temp dir)")
    parser.add_argument("--triples", type=int, default=common.TRIPLES, help="size of the generated store")
    sub = parser.add_subparsers(dest="command")
    m = sub.add_parser("matrix", help="every scenario, servers alternating, N repetitions (the default)")
    m.add_argument("--reps", type=int, default=3)
    m.add_argument("--quick", action="store_true", help="short windows")
    m.add_argument("--only", help="regex: only scenarios whose name matches")
    r = sub.add_parser("run", help="one scenario on one or more servers")
    r.add_argument(
        "--server",
        action="append",
        choices=[
            "baseline",
            "baseline-stateless",
            "ggen",
            "ggen-json",
            "ggen-stateless",
            "ggen-2w",
            "ggen-alt",
            "ggen-shared-1r",
            "ggen-shared-2r",
        ],
    )
    r.add_argument("--loop", choices=["closed", "open"], default="closed")
    r.add_argument("--sessions", type=int, default=10)
    r.add_argument("--mode", choices=["legacy", "auto"], default="legacy")
    r.add_argument("--workload", choices=["query-varying", "query-fixed", "mix"], default="query-varying")
    r.add_argument("--rate", type=float, default=1.0, help="open loop: calls/s per session")
    r.add_argument("--warmup", type=float, default=3.0)
    r.add_argument("--duration", type=float, default=15.0)
    r.add_argument("--reps", type=int, default=1)
    r.add_argument("--profile", help="py-spy raw output path prefix (the server and its children)")
    r.add_argument("--alt-pythonpath", help="server ggen-alt: this folder first on the server's PYTHONPATH")
    add_alt_env_option(r)
    parser.add_argument(
        "--light-client", action="store_true", help="the SDK client skips output-schema validation of results"
    )
    args = parser.parse_args()
    terminate_on_sigterm()
    if args.light_client:
        skip_client_validation()
    if args.command == "run":
        args.server = args.server or ["ggen"]
        ALT_PYTHONPATH[0] = args.alt_pythonpath or ""
        ALT_ENV.update({key: value for key, _, value in (pair.partition("=") for pair in args.alt_env)})
        run_single(args)
    else:
        if args.command is None:
            args.reps, args.quick, args.only = 3, False, None
        run_matrix(args)


if __name__ == "__main__":
    main()
