"""The graph store worker's IPC cost: CPU per `graph_query`-shaped call on the server side and in the worker.

    .venv/bin/python bench/worker_ipc.py --data /tmp/perfbench/workspace/data.nt [--calls 1500] [--rounds 3]

`--data` is an N-Triples file (bench/load.py writes one into its workspace). It is loaded into an in-memory
worker store, then the load benchmark's query (bench/common.py, varying bindings) runs `--calls` times per
round, 10 at a time, through `WorkerClient.call_async`; each round prints the server process's CPU
(`time.process_time`) and the worker's (psutil) per call. A/B of a change: put the other tree's
`plugins/ggen-graph` first on PYTHONPATH (the worker inherits it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from ggen_graph.worker_client import WorkerClient

CONCURRENCY = 10


async def run(data: bytes, calls: int, rounds: int) -> None:
    client = WorkerClient(None, threads=4)
    try:
        await client.call_async("load", {"format": "ntriples", "data": data}, deadline_s=300)
        assert client.pid is not None
        worker = psutil.Process(client.pid)
        slots = asyncio.Semaphore(CONCURRENCY)

        async def one(n: int) -> None:
            kwargs = {
                "sparql": common.QUERY,
                "limit": 1000,
                "timeout": 10.0,
                "bindings": common.query_bindings(n, varying=True),
                "prefixes": {"ex": common.EX},
                "typed": False,
            }
            async with slots:
                await client.call_async("query", kwargs, deadline_s=10)

        await asyncio.gather(*(one(n) for n in range(200)))  # warm-up
        for _ in range(rounds):
            server0, worker0, wall0 = time.process_time(), sum(worker.cpu_times()[:2]), time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(calls)))
            server = 1000 * (time.process_time() - server0) / calls
            worker_ms = 1000 * (sum(worker.cpu_times()[:2]) - worker0) / calls
            wall = 1000 * (time.perf_counter() - wall0) / calls
            print(f"server {server:.3f} ms/call  worker {worker_ms:.3f} ms/call  wall {wall:.3f} ms/call")
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.data.read_bytes(), args.calls, args.rounds))


if __name__ == "__main__":
    main()
