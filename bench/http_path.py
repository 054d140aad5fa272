"""Instructions per uncached graph_query call in the server process, over Streamable HTTP, under callgrind.

    .venv/bin/python bench/http_path.py --out /tmp/httppath [--calls 400] [--sessions 10] [--mode auto]
        [--server baseline --server ggen --server ggen-alt --alt-pythonpath /work/main]

Each server (bench/load.py's kinds: the bare SDK baseline, ggen-mcp, or ggen-alt, another code tree first on
PYTHONPATH) runs under `valgrind --tool=callgrind --instr-atstart=no`. The bench connects the sessions, makes a
warm-up round of calls, switches the server's instrumentation on (`callgrind_control -i on`), makes `--calls`
graph_query calls with a new binding pair each (10 sessions in a closed loop, as bench/load.py's
`query-varying`), switches it off and dumps the counts. It prints the server process's instructions per call:
everything the process did for the calls (HTTP, the SDK, the host, the IPC's client side and the encoding), not
the store worker (another process, not traced). Instruction counts do not depend on what else runs on the
machine, so two code trees can be compared on a busy one; they are not time (cache misses and system calls
are not in them). The workspace is bench/load.py's (100k triples, prepared once per output folder).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
from common import Server

VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]


def instructions(out_file: Path) -> int:
    """The total of the event counts in a callgrind output file (its `totals:` line)."""
    for line in out_file.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out_file}")


def callgrind_control(*arguments: str) -> None:
    subprocess.run(["callgrind_control", *arguments], check=True, capture_output=True, timeout=120)


async def calls(server: Server, sessions: int, mode: str, warmup: int, count: int) -> None:
    """``warmup`` calls, the instrumentation on, ``count`` calls, off: ``sessions`` clients in a closed loop."""
    import contextlib

    from mcp import Client

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(server.url, mode=mode)) for _ in range(sessions)]
        await load.closed_loop_calls(clients, 0, warmup)
        callgrind_control("-i", "on", str(server.pid))
        await load.closed_loop_calls(clients, warmup, warmup + count)
        callgrind_control("-i", "off", str(server.pid))
        callgrind_control("-d", str(server.pid))


def measure(kind: str, bench: load.Bench, args: argparse.Namespace, rep: int) -> float:
    """Instructions per call of one server kind, in a fresh server under callgrind."""
    server = load.make_servers(kind, bench, f"http_path_{kind}_r{rep}")[0]
    out_file = bench.out / "callgrind" / f"{kind}.r{rep}.out"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    for stale in out_file.parent.glob(f"{out_file.name}*"):
        stale.unlink()
    server.command = [*VALGRIND, f"--callgrind-out-file={out_file}", *server.command]
    server.start(timeout=600)
    try:
        anyio.run(load.prime, [server], load.Scenario("prime", "closed", 1, args.mode, "query-varying"))
        anyio.run(calls, server, args.sessions, args.mode, args.warmup, args.calls)
    finally:
        server.stop(timeout=120)
    dumps = sorted(out_file.parent.glob(f"{out_file.name}.*"))  # the explicit dump: the window only
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump for {kind} (see {server.log})")
    return instructions(dumps[0]) / args.calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    load.add_server_options(parser)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--mode", default="auto", choices=("auto", "legacy"))
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    bench = load.bench_from(args)
    kinds = args.server or ["baseline", "ggen"]
    results: dict[str, list[float]] = {kind: [] for kind in kinds}
    for rep in range(1, args.reps + 1):
        for kind in kinds:
            started = time.monotonic()
            per_call = measure(kind, bench, args, rep)
            results[kind].append(per_call)
            print(f"{kind} r{rep}: {per_call:,.0f} instructions/call ({time.monotonic() - started:.0f} s)", flush=True)
    reference = results.get("baseline")
    for kind, values in results.items():
        median = sorted(values)[len(values) // 2]
        ratio = f", {median / min(reference):.2f}x the baseline" if reference and kind != "baseline" else ""
        print(f"{kind}: median {median:,.0f} instructions/call{ratio}")


if __name__ == "__main__":
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind (with callgrind_control) is not installed")
    main()
