"""Where a scale-out replica's CPU goes, independent of how busy the machine is (issue 17).

    .venv/bin/python bench/replica_cpu.py --out /tmp/ops-bench/shared --idle 30 --calls 300

The topology of `bench/load.py --server ggen-shared-2r` (one `oxigraph serve`, one redis-server, two
`ggen-mcp serve --stateless` replicas on one workspace). Three measurements, each over the replicas' process
trees (user + system seconds from /proc, voluntary context switches as the count of wake-ups):

- idle: no traffic for ``--idle`` seconds: the fixed CPU a replica spends per second on its own (timers, loop
  monitor, the store worker), which a load run divides by the calls each replica serves;
- serial on one replica: ``--calls`` graph_query calls one after another through one session;
- serial over two replicas: the same calls alternating between the two, still one at a time
  (``--reps`` of each, alternating; the medians are reported).

With ``--callgrind`` the first replica runs under valgrind's callgrind, instrumented only during each serial
run: instructions per call it served, which no other process on the machine can change (``perf stat`` has no
hardware counters on this VM). Its CPU and idle numbers are then valgrind's and are not reported.

Serial calls never overlap, so the replicas never compete for a core: CPU per call here is the work a call
costs, and a difference between one and two replicas under concurrent load (bench/load.py) that does not
show here is contention, not work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import common
import load
from common import Server
from shared_store import SharedServices, shared_services


def wakeups(server: Server) -> int:
    """Voluntary context switches over the server's tree (every thread): how often it went to sleep."""
    total = 0
    for proc in server.processes():
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            try:
                status = (task / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


def snapshot(servers: list[Server]) -> list[tuple[float, int]]:
    return [(s.cpu_seconds(), wakeups(s)) for s in servers]


def delta(before: list[tuple[float, int]], after: list[tuple[float, int]]) -> list[tuple[float, int]]:
    return [(a[0] - b[0], a[1] - b[1]) for b, a in zip(before, after, strict=True)]


def idle(servers: list[Server], seconds: float) -> dict[str, Any]:
    before = snapshot(servers)
    time.sleep(seconds)
    spent = delta(before, snapshot(servers))
    return {
        "idle_cpu_ms_per_s": [round(cpu * 1000 / seconds, 2) for cpu, _ in spent],
        "idle_wakeups_per_s": [round(n / seconds, 1) for _, n in spent],
    }


async def serial(urls: list[str], calls: int) -> None:
    from mcp import Client

    async with Client(urls[0], mode="legacy") as first, Client(urls[-1], mode="legacy") as second:
        clients = [first, second] if len(urls) > 1 else [first]
        for n in range(calls):
            tool, arguments = load.workload_call("query-varying", 1, n)
            error = await load.one_call(clients[n % len(clients)], tool, arguments)
            if error:
                raise RuntimeError(f"call {n}: {error}")


def serial_run(servers: list[Server], used: list[Server], calls: int) -> dict[str, Any]:
    before, wall = snapshot(servers), time.monotonic()
    anyio.run(serial, [s.url for s in used], calls)
    wall = time.monotonic() - wall
    spent = delta(before, snapshot(servers))
    cpu = sum(c for c, _ in spent)
    return {
        "calls": calls,
        "wall_s": round(wall, 2),
        "replica_cpu_ms_per_call": round(cpu * 1000 / calls, 3),
        "per_replica_cpu_s": [round(c, 3) for c, _ in spent],
        "wakeups_per_call": round(sum(n for _, n in spent) / calls, 1),
    }


def callgrind_control(server: Server, *flags: str) -> None:
    subprocess.run(["callgrind_control", *flags, str(server.pid)], check=True, capture_output=True, timeout=120)


def instructions_run(servers: list[Server], used: list[Server], calls: int, dumps: Path) -> dict[str, Any]:
    """Instructions the callgrind replica (``servers[0]``) executed per call it served, over one serial run."""
    target = servers[0]
    callgrind_control(target, "--zero")
    callgrind_control(target, "--instr=on")
    anyio.run(serial, [s.url for s in used], calls)
    callgrind_control(target, "--instr=off")
    before = set(dumps.glob(f"callgrind.{target.pid}*"))
    callgrind_control(target, "--dump")
    (dump,) = set(dumps.glob(f"callgrind.{target.pid}*")) - before
    totals = next(line for line in dump.read_text().splitlines() if line.startswith("totals:"))
    served = calls if len(used) == 1 else (calls + 1) // 2
    return {"calls_served": served, "instructions_per_call": int(totals.split()[1]) // served}


def instructions(bench: load.Bench, services: SharedServices, args: argparse.Namespace) -> dict[str, Any]:
    scenario = load.Scenario("prime", "closed", 1, "legacy", "query-varying", 0.0, 0.0, 1.0)
    servers = load.make_servers("ggen-shared-2r", bench, "replica-callgrind", services)
    dumps = bench.out / "callgrind"
    dumps.mkdir(exist_ok=True)
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={dumps}/callgrind.%p"]
    servers[0].command = valgrind + servers[0].command
    row: dict[str, Any] = {"loadavg_1m_before": round(common.load_average()[0], 2)}
    try:
        servers[0].start(timeout=900)
        with common.started(servers[1]):
            anyio.run(load.prime, servers, scenario)
            for rep in range(1, args.reps + 1):
                row[f"callgrind_1r_{rep}"] = instructions_run(servers, servers[:1], args.calls, dumps)
                row[f"callgrind_2r_{rep}"] = instructions_run(servers, servers, args.calls, dumps)
    finally:
        servers[0].stop()
    for kind in ("1r", "2r"):
        counts = [row[f"callgrind_{kind}_{rep}"]["instructions_per_call"] for rep in range(1, args.reps + 1)]
        row[f"callgrind_{kind}_median_instructions_per_call"] = statistics.median(counts)
    row["time"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return row


def measure(bench: load.Bench, services: SharedServices, args: argparse.Namespace) -> dict[str, Any]:
    scenario = load.Scenario("prime", "closed", 1, "legacy", "query-varying", 0.0, 0.0, 1.0)
    servers = load.make_servers("ggen-shared-2r", bench, "replica-cpu", services)
    with common.started(*servers):
        anyio.run(load.prime, servers, scenario)
        time.sleep(2)
        row: dict[str, Any] = {"loadavg_1m_before": round(common.load_average()[0], 2)}
        row |= idle(servers, args.idle)
        for rep in range(1, args.reps + 1):  # alternating, so drift in the machine's load hits both alike
            row[f"serial_1r_{rep}"] = serial_run(servers, servers[:1], args.calls)
            row[f"serial_2r_{rep}"] = serial_run(servers, servers, args.calls)
        for kind in ("1r", "2r"):
            per_call = [row[f"serial_{kind}_{rep}"]["replica_cpu_ms_per_call"] for rep in range(1, args.reps + 1)]
            row[f"serial_{kind}_median_ms_per_call"] = statistics.median(per_call)
        row["time"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output folder (shared with bench/load.py: the prepared data is reused)")
    parser.add_argument("--triples", type=int, default=common.TRIPLES)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle measurement")
    parser.add_argument("--calls", type=int, default=300, help="serial calls per measurement")
    parser.add_argument("--reps", type=int, default=3, help="serial measurements of each kind, alternating")
    parser.add_argument("--callgrind", action="store_true", help="instruction counts of one replica (slow)")
    args = parser.parse_args()
    load.terminate_on_sigterm()
    load.skip_client_validation()
    out = load.output_dir(args.out)
    bench = load.prepare(out, args.triples)
    with shared_services(out, bench.data) as services:
        row = (instructions if args.callgrind else measure)(bench, services, args)
    with (out / "replica_cpu.jsonl").open("a") as handle:
        handle.write(json.dumps(row) + "\n")
    print(json.dumps(row, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
