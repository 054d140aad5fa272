"""Soak: ggen-mcp under a steady open-loop load for a long time; does memory or the open-file count grow?

    .venv/bin/python bench/soak.py                        # 10 minutes at 50 calls/s, the mix workload
    .venv/bin/python bench/soak.py --minutes 2 --rate 20   # shorter
    .venv/bin/python bench/soak.py --workload query-varying --mode auto

One `ggen-mcp serve` (all four packs, auth off, rate limit off) on a workspace whose store holds the generated
100k triples (loaded with graph_load). `--sessions` SDK clients share the rate, each calling on a fixed
schedule (bench/load.py's open loop). Every `--every` seconds it samples the server's process tree: resident
memory (RSS, summed), open file descriptors, threads, and the .ggen/plans folder that project_plan fills.
After the warm-up (`--warmup-minutes`, default 2) the targets are: RSS grows by less than 10 %, and the
open-descriptor count does not grow (the last samples against the first ones after warm-up). Results: JSON
lines (one per sample) and a Markdown summary in the output folder, the summary also on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import load
from common import Server


class Soak:
    """The running soak: calls so far, samples so far."""

    def __init__(self, server: Server, workspace: Path, args: argparse.Namespace) -> None:
        self.server = server
        self.workspace = workspace
        self.args = args
        self.calls: list[load.Call] = []
        self.samples: list[dict[str, Any]] = []
        self.start = math.nan
        self.end = math.nan

    def sample(self, now: float, previous_cpu: float, previous_calls: int) -> dict[str, Any]:
        plans = self.workspace / ".ggen" / "plans"
        plan_files = list(plans.glob("*.json")) if plans.is_dir() else []
        done = [c for c in self.calls if c.end <= now]
        recent = [c for c in done[previous_calls:]]
        return {
            "t_s": round(now - self.start, 1),
            "rss_mib": round(self.server.rss_bytes() / 2**20, 1),
            "rss_by_process_mib": [
                round(p.memory_info().rss / 2**20, 1) for p in self.server.processes() if p.is_running()
            ],
            "open_fds": self.server.open_fds(),
            "threads": sum(p.num_threads() for p in self.server.processes()),
            "cpu_s": round(self.server.cpu_seconds() - previous_cpu, 2),
            "calls": len(recent),
            "errors": sum(1 for c in recent if c.error),
            **{k: v for k, v in common.latency_summary([c.end - c.start for c in recent]).items()},
            "plan_files": len(plan_files),
            "plan_mib": round(sum(p.stat().st_size for p in plan_files) / 2**20, 1),
            "loadavg_1m": round(common.load_average()[0], 2),
        }

    async def sampler(self, out: Path) -> None:
        cpu, count = self.server.cpu_seconds(), 0
        while True:
            await anyio.sleep_until(self.start + (len(self.samples) + 1) * self.args.every)
            now = time.monotonic()
            row = self.sample(now, cpu, count)
            cpu, count = self.server.cpu_seconds(), len([c for c in self.calls if c.end <= now])
            self.samples.append(row)
            with out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(
                f"{row['t_s']:6.0f} s  RSS {row['rss_mib']} MiB  fds {row['open_fds']}  threads {row['threads']}  "
                f"{row['calls'] / self.args.every:.1f} calls/s  p95 {row['p95_ms']} ms  errors {row['errors']}  "
                f"plans {row['plan_files']}  load {row['loadavg_1m']}",
                file=sys.stderr,
            )
            if now >= self.end:
                return


async def run(soak: Soak, out: Path) -> None:
    from contextlib import AsyncExitStack

    from mcp import Client

    args = soak.args
    scenario = load.Scenario("soak", "open", args.sessions, args.mode, args.workload, rate=args.rate / args.sessions)
    window = load.Window([soak.server], scenario)
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(args.sessions):
            client = await stack.enter_async_context(Client(soak.server.url, mode=args.mode))
            await client.list_tools()
            clients.append(client)
            await anyio.sleep(load.CONNECT_STAGGER)
        soak.start = time.monotonic()
        soak.end = soak.start + args.minutes * 60
        window.begin, window.end = soak.start, soak.end
        window.calls = soak.calls
        async with anyio.create_task_group() as group:
            group.start_soon(soak.sampler, out)
            for i, client in enumerate(clients):
                group.start_soon(load.open_session, client, i, window, soak.start)


def verdict(samples: list[dict[str, Any]], warmup_s: float) -> dict[str, Any]:
    """RSS growth and descriptor growth after the warm-up: medians of the first and last three samples."""
    after = [s for s in samples if s["t_s"] > warmup_s]
    if len(after) < 4:
        return {"note": "too few samples after the warm-up"}
    head, tail = after[:3], after[-3:]
    rss_start = statistics.median(s["rss_mib"] for s in head)
    rss_end = statistics.median(s["rss_mib"] for s in tail)
    fds_start = statistics.median(s["open_fds"] for s in head)
    fds_end = statistics.median(s["open_fds"] for s in tail)
    growth = (rss_end - rss_start) / rss_start
    return {
        "rss_after_warmup_mib": rss_start,
        "rss_end_mib": rss_end,
        "rss_growth_pct": round(100 * growth, 1),
        "rss_target_met": growth < 0.10,
        "rss_peak_mib": max(s["rss_mib"] for s in samples),
        "fds_after_warmup": fds_start,
        "fds_end": fds_end,
        "fds_max": max(s["open_fds"] for s in after),
        "fds_target_met": fds_end <= fds_start,
        "threads_after_warmup": head[0]["threads"],
        "threads_end": tail[-1]["threads"],
        "calls": sum(s["calls"] for s in samples),
        "errors": sum(s["errors"] for s in samples),
        "p95_ms_median_of_samples": statistics.median(s["p95_ms"] for s in samples if s["calls"]),
        "plan_files_end": samples[-1]["plan_files"],
        "plan_mib_end": samples[-1]["plan_mib"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup-minutes", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=50.0, help="calls per second, all sessions together")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--mode", choices=["legacy", "auto"], default="legacy")
    parser.add_argument("--workload", choices=["mix", "query-varying", "query-fixed"], default="mix")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--out", help="output folder (default: a new folder under the temp dir)")
    parser.add_argument("--triples", type=int, default=common.TRIPLES)
    parser.add_argument(
        "--light-client", action="store_true", help="the SDK client skips output-schema validation of results"
    )
    args = parser.parse_args()
    load.terminate_on_sigterm()
    if args.light_client:
        load.skip_client_validation()
    out = load.output_dir(args.out)
    bench = load.prepare(out, args.triples)
    meta = {"machine": common.machine(), "command": " ".join(sys.argv), **vars(args)}
    server = common.ggen_server(bench.workspace, out / "logs" / "soak.log")
    with common.started(server):
        scenario = load.Scenario("soak", "open", args.sessions, args.mode, args.workload)
        anyio.run(load.prime, [server], scenario)
        soak = Soak(server, bench.workspace, args)
        anyio.run(run, soak, out / "soak.jsonl")
        meta["processes"] = server.per_process()
    meta["loadavg_end"] = [round(x, 2) for x in common.load_average()]
    result = verdict(soak.samples, args.warmup_minutes * 60)
    errors: dict[str, int] = {}
    for c in soak.calls:
        if c.error:
            errors[c.error] = errors.get(c.error, 0) + 1
    summary = {**meta, "result": result, "errors_by_kind": errors}
    (out / "soak-summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
