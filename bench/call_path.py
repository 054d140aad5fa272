"""The host's CPU per uncached graph_query call, in process: the call pipeline and result shaping, no client.

    .venv/bin/python bench/call_path.py [--calls 2000] [--rounds 5] [--triples 20000] [--profile out.prof]
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
        .venv/bin/python bench/call_path.py --calls 500 --rounds 1 --callgrind   # instructions, not time

Loads generated data (the load benchmark's shape) into a fresh workspace's store through `graph_load`, then
runs `ggen_mcp_core.calls.call_tool` for `graph_query` with a new binding pair every call (970 pairs, the result
cache off so nothing is answered from it), 10 at a time, and prints this process's CPU per call
(`time.process_time`: the pipeline, the graph pack's handler, the worker IPC's client side and the shaping of
the result, then the SDK's encoding of the result as the JSON-RPC reply does it). The store worker is another
process and is not counted. With `--profile` one more round runs under cProfile. Run the "before" code with
its tree first on PYTHONPATH to compare; the machine is noisy, so compare medians of alternating rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
import common


async def calls(host: Any, count: int, first: int) -> None:
    from mcp.types import JSONRPCResponse

    from ggen_mcp_core.calls import call_tool
    from ggen_mcp_core.events import RequestInfo

    request = RequestInfo(transport="memory")

    async def one(n: int) -> None:
        result = await call_tool(host, "graph_query", common.query_arguments(n, varying=True), request=request)
        if result.is_error or not result.structured_content:  # type: ignore[union-attr]
            raise RuntimeError(f"graph_query failed: {result}")
        # what the SDK does with it: the JSON-RPC reply's encoding
        body = result.model_dump(by_alias=True, mode="json", exclude_unset=True)
        JSONRPCResponse(jsonrpc="2.0", id=n, result=body).model_dump_json(by_alias=True, exclude_unset=True)

    async with anyio.create_task_group() as group:
        for lane in range(10):

            async def run(lane: int = lane) -> None:
                for n in range(first + lane, first + count, 10):
                    await one(n)

            group.start_soon(run)


async def load(host: Any, data: Path) -> None:
    from ggen_mcp_core.calls import call_tool
    from ggen_mcp_core.events import RequestInfo

    result = await call_tool(
        host, "graph_load", {"file": data.name, "replace": True}, request=RequestInfo(transport="memory")
    )
    if result.is_error:  # type: ignore[union-attr]
        raise RuntimeError(f"graph_load failed: {result}")


def instrument(callgrind: bool, state: str) -> None:
    """Switch callgrind's instrumentation of this process on or off."""
    if callgrind:
        import os
        import subprocess

        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--triples", type=int, default=20_000)
    parser.add_argument("--profile", type=Path)
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under `valgrind --tool=callgrind --instr-atstart=no`: instrument only the timed rounds "
        "(callgrind_control), so the output file counts their instructions",
    )
    args = parser.parse_args()
    from ggen_mcp_core.testing import make_host

    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder) / "ws"
        workspace.mkdir()
        common.generate_ntriples(workspace / "data.nt", args.triples)
        host = make_host(workspace, ["graph"], graph={"result_cache_entries": 0}, rate_limit={"enabled": False})
        per_call = []

        async def run() -> None:
            await load(host, workspace / "data.nt")
            await calls(host, 200, 0)  # warm-up
            instrument(args.callgrind, "on")
            for round_ in range(args.rounds):
                start = time.process_time()
                await calls(host, args.calls, (round_ + 1) * args.calls)
                per_call.append(1000 * (time.process_time() - start) / args.calls)
            instrument(args.callgrind, "off")
            if args.profile:
                import cProfile

                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                await calls(host, args.calls, 0)
                profiler.disable()
                profiler.dump_stats(args.profile)
            await host.shutdown()

        anyio.run(run)
        rounds = ", ".join(f"{v:.3f}" for v in per_call)
        print(f"host CPU per call: median {statistics.median(per_call):.3f} ms (rounds: {rounds})")


if __name__ == "__main__":
    main()
