"""Start-up: how long a stdio client waits for the answer to `initialize`, ggen-mcp against a bare SDK server.

    .venv/bin/python bench/startup.py [--runs 9]
    .venv/bin/python bench/startup.py --callgrind   # instructions, not time (a noisy machine)

Each run starts a fresh process, writes one `initialize` request (JSON-RPC over stdio, newline-delimited) and
times until its answer arrives; ggen-mcp (`ggen-mcp serve`, all installed packs, a fresh workspace) and the bare
server (the SDK's `MCPServer` with one tool, run over stdio) take turns. Prints the medians and their ratio
against the 1.2x target (issue 16). Nothing is asserted by the tests: the machine is noisy. With
`--callgrind` each server runs twice under `valgrind --tool=callgrind` and answers `initialize`: once ended
by SIGTERM right after the answer (the instructions a client waits for), once seeing stdin close and exiting
(start, answer, exit); the instructions executed are counted, which other processes on the machine do not
change.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.2
BIN = Path(sys.executable).parent
BARE = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("bare", version="1.0.0")
@server.tool()
def echo(text: str) -> str:
    '''Echo the text.'''
    return text
server.run()
"""
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench-startup", "version": "1"},
    },
}


def commands(workspace: Path) -> dict[str, list[str]]:
    return {
        "ggen-mcp": [str(BIN / "ggen-mcp"), "--workspace", str(workspace), "serve"],
        "bare SDK": [sys.executable, "-c", BARE],
    }


def time_initialize(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to the answer to `initialize`, and the CPU seconds (user + system) the
    process had used when it was stopped right after the answer (less noisy than the wall time on a shared
    machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        process.stdin.flush()
        line = process.stdout.readline()
        elapsed = time.perf_counter() - start
        answer = json.loads(line)
        if answer.get("id") != 1 or "result" not in answer:
            raise RuntimeError(f"unexpected answer to initialize: {line[:200]!r}")
    finally:
        process.kill()
        process.wait(10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def count_instructions(command: list[str], env: dict[str, str], folder: Path, name: str, stop: str) -> int:
    """Instructions the process executes under callgrind from its start to its exit after answering
    `initialize`: with ``stop="exit"`` stdin is closed right after the answer (the count includes the exit),
    with ``stop="answer"`` the process is ended by SIGTERM right after it (what the client waited for)."""
    out = folder / f"callgrind.{name.replace(' ', '-')}.{stop}.out"
    wrapped = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command]
    process = subprocess.Popen(
        wrapped, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    if answer.get("id") != 1 or "result" not in answer:
        raise RuntimeError(f"unexpected answer to initialize: {answer!r:.200}")
    if stop == "answer":
        process.terminate()  # Python's default SIGTERM action ends it; callgrind still writes its counts
    process.stdin.close()
    process.wait(600)
    totals = [line for line in out.read_text().splitlines() if line.startswith(("summary:", "totals:"))]
    return int(totals[-1].split()[1])


def callgrind(env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        servers = commands(Path(folder))
        for command in servers.values():  # one plain start each first, as in the timed mode (caches filled)
            time_initialize(command, env)
        for stop, what in (("answer", "to the answer to initialize"), ("exit", "to the answer and exit")):
            counts = {
                name: count_instructions(command, env, Path(folder), name, stop) for name, command in servers.items()
            }
            for name, count in counts.items():
                print(f"{name:9} {count / 1e9:6.3f} G instructions {what}")
            ratio = counts["ggen-mcp"] / counts["bare SDK"]
            print(f"instruction ratio ggen-mcp / bare SDK, {what}: {ratio:.2f}x (target <= {TARGET}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each server, alternating")
    parser.add_argument("--callgrind", action="store_true", help="count instructions under callgrind instead")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
    if args.callgrind:
        callgrind(env)
        return
    times: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        servers = commands(Path(folder))
        for command in servers.values():  # one warm-up each (the page cache), not counted
            time_initialize(command, env)
        for _ in range(args.runs):
            for name, command in servers.items():
                elapsed, cpu = time_initialize(command, env)
                times.setdefault(name, []).append(elapsed)
                cpus.setdefault(name, []).append(cpu)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    for name, values in times.items():
        runs = ", ".join(f"{1000 * v:.0f}" for v in values)
        cpu = f"CPU median {1000 * cpu_medians[name]:6.1f} ms"
        print(f"{name:9} median {1000 * medians[name]:7.1f} ms, {cpu}  (runs: {runs})")
    ratio = medians["ggen-mcp"] / medians["bare SDK"]
    verdict = "met" if ratio <= TARGET else "missed"
    print(f"ratio ggen-mcp / bare SDK: {ratio:.2f}x (target <= {TARGET}x: {verdict})")
    print(f"CPU ratio ggen-mcp / bare SDK: {cpu_medians['ggen-mcp'] / cpu_medians['bare SDK']:.2f}x")
    print(f"load average: {os.getloadavg()[0]:.2f}; {args.runs} alternating runs; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
