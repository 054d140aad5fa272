"""Per uncached graph_query call: context switches, pipe reads and writes, and CPU of each server process.

    .venv/bin/python bench/boundary_counts.py --out /tmp/bc [--calls 1000] [--sessions 10] [--reps 3]
        [--server baseline --server ggen]

Each server (bench/load.py's kinds) serves bench/load.py's `query-varying` workload (100,000 triples, a new
binding pair per call) to ``--sessions`` clients in a closed loop; after 100 warm-up calls the bench reads, for
the server and every process it started (the store worker), each thread's voluntary and involuntary context
switches (``/proc/<pid>/task/<tid>/status``), the process's read and write system calls (``/proc/<pid>/io``:
``syscr``/``syscw`` count read(2)/write(2) and their vector forms, pipes included, not socket send/recv) and its
CPU time, then again after ``--calls`` calls, and prints the differences per call, per process and per thread.

Switch and system-call counts do not depend on the machine's speed the way times do: they show what the
process boundary of the graph worker (issue 12) costs per call, where instruction counts (bench/http_path.py,
bench/worker_path.py) do not see it. CPU per call is time, and moves with the host.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
from common import Server

WARMUP = 100


def counters(pid: int) -> dict[str, Any]:
    """Switches per thread, read/write system calls and CPU seconds per process, of ``pid`` and its descendants."""
    threads: dict[tuple[int, str], tuple[int, int]] = {}
    processes: dict[int, dict[str, float]] = {}
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(OSError, psutil.NoSuchProcess):
            for tid in os.listdir(f"/proc/{proc.pid}/task"):
                with contextlib.suppress(OSError):
                    status = Path(f"/proc/{proc.pid}/task/{tid}/status").read_text()
                    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                    name = Path(f"/proc/{proc.pid}/task/{tid}/comm").read_text().strip()
                    threads[(proc.pid, f"{tid} {name}")] = (
                        int(fields["voluntary_ctxt_switches"]),
                        int(fields["nonvoluntary_ctxt_switches"]),
                    )
            io = dict(line.split(": ") for line in Path(f"/proc/{proc.pid}/io").read_text().splitlines())
            times = proc.cpu_times()
            processes[proc.pid] = {
                "reads": int(io["syscr"]),
                "writes": int(io["syscw"]),
                "cpu_ms": (times.user + times.system) * 1000,
                "sys_ms": times.system * 1000,
            }
    return {"threads": threads, "processes": processes}


async def closed_loop(server: Server, sessions: int, count: int) -> dict[str, Any]:
    """Warm up, then ``count`` calls; the counters' differences per call and the calls per second."""
    from mcp import Client

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(server.url, mode="auto")) for _ in range(sessions)]
        await load.closed_loop_calls(clients, 0, WARMUP)
        before, started = counters(server.pid), time.monotonic()
        await load.closed_loop_calls(clients, WARMUP, WARMUP + count)
        after, elapsed = counters(server.pid), time.monotonic() - started
    per_thread = {}
    for key, (voluntary, involuntary) in after["threads"].items():
        was = before["threads"].get(key, (0, 0))
        per_thread[key] = ((voluntary - was[0]) / count, (involuntary - was[1]) / count)
    per_process = {}
    for pid, now in after["processes"].items():
        was = before["processes"].get(pid, {"reads": 0, "writes": 0, "cpu_ms": 0.0, "sys_ms": 0.0})
        per_process[pid] = {field: (now[field] - was[field]) / count for field in now}
    return {"threads": per_thread, "processes": per_process, "calls_per_s": count / elapsed}


def report(kind: str, rep: int, measured: dict[str, Any]) -> dict[str, float]:
    """Print one server's figures; return its totals per call."""
    totals = {"voluntary": 0.0, "involuntary": 0.0, "reads": 0.0, "writes": 0.0, "cpu_ms": 0.0, "sys_ms": 0.0}
    for (pid, thread), (voluntary, involuntary) in sorted(measured["threads"].items()):
        totals["voluntary"] += voluntary
        totals["involuntary"] += involuntary
        if voluntary + involuntary >= 0.05:
            print(f"  {kind} r{rep} pid {pid} thread {thread}: {voluntary:.2f} voluntary, {involuntary:.2f} preempted")
    for pid, figures in sorted(measured["processes"].items()):
        for field in ("reads", "writes", "cpu_ms", "sys_ms"):
            totals[field] += figures[field]
        print(
            f"  {kind} r{rep} pid {pid}: {figures['cpu_ms']:.3f} ms CPU ({figures['sys_ms']:.3f} in the kernel), "
            f"{figures['reads']:.2f} reads, "
            f"{figures['writes']:.2f} writes"
        )
    print(
        f"{kind} r{rep}: per call {totals['cpu_ms']:.3f} ms CPU ({totals['sys_ms']:.3f} in the kernel), "
        f"{totals['voluntary']:.2f} voluntary and "
        f"{totals['involuntary']:.2f} involuntary switches, {totals['reads']:.2f} reads, {totals['writes']:.2f} "
        f"writes; {measured['calls_per_s']:.0f} calls/s",
        flush=True,
    )
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load.add_server_options(parser)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    bench = load.bench_from(args)
    kinds = args.server or ["baseline", "ggen"]
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for rep in range(1, args.reps + 1):
        for kind in kinds:
            server = load.make_servers(kind, bench, f"boundary_{kind}_r{rep}")[0]
            server.start(timeout=300)
            try:
                anyio.run(load.prime, [server], load.Scenario("prime", "closed", 1, "auto", "query-varying"))
                results[kind].append(report(kind, rep, anyio.run(closed_loop, server, args.sessions, args.calls)))
            finally:
                server.stop(timeout=60)
    for kind, runs in results.items():
        medians = {field: sorted(run[field] for run in runs)[len(runs) // 2] for field in runs[0]}
        print(f"{kind}: medians per call " + ", ".join(f"{field} {value:.3f}" for field, value in medians.items()))


if __name__ == "__main__":
    main()
