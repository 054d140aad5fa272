"""``ggen-mcp call`` while a server holds the workspace's embedded store: a clear message, exit 1."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from tests.conftest import free_port

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]


def test_call_says_the_store_is_held_by_another_process(subprocess_env: Callable[..., dict[str, str]]) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="graph")
    port = free_port()
    server = subprocess.Popen(
        [*GGEN, "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # /readyz answers 200 once the graph store is open (the server's worker holds it)
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not get ready"
            time.sleep(0.2)
        done = subprocess.run([*GGEN, "call", "graph_list"], capture_output=True, text=True, env=env, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert done.returncode == 1
    assert "is open in another process" in done.stdout, done.stdout
