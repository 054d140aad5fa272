"""Shared fixtures for the host's tests: fake plugin distributions and real servers on 127.0.0.1."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.testing import cache_dir_beside

FIXTURE_SITE = Path(__file__).parent / "fixture_dists" / "host"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fixture_site(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the fixture distributions (healthy and broken plugins) on sys.path for this test."""
    monkeypatch.syspath_prepend(str(FIXTURE_SITE))
    importlib.invalidate_caches()
    yield FIXTURE_SITE
    for name in [m for m in sys.modules if m.startswith("ggen_fixture_")]:
        del sys.modules[name]


@pytest.fixture
def subprocess_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """Environment for a `ggen-mcp` subprocess that sees the fixture plugins."""

    def make(**extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
        env["PYTHONPATH"] = os.pathsep.join([str(FIXTURE_SITE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["GGEN_MCP_WORKSPACE"] = str(tmp_path / "workspace")
        env["GGEN_MCP_CACHE_DIR"] = str(cache_dir_beside(tmp_path / "workspace"))  # never the user's cache
        env.update(extra)
        return env

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SERVERS: list[tuple[Any, threading.Thread]] = []


def stop_servers() -> None:
    """Stop the uvicorn servers ``http_server`` started (their lifespans end: plugins shut down)."""
    while _SERVERS:
        server, thread = _SERVERS.pop()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def http_server() -> Iterator[Callable[..., str]]:
    """Start uvicorn on a free 127.0.0.1 port in a thread: ``base_url = http_server(host)``."""
    import uvicorn

    from ggen_mcp_core.http import build_app, server_options
    from ggen_mcp_core.plugins import PluginHost

    servers = _SERVERS

    def start(plugin_host: PluginHost) -> str:
        port = free_port()
        http = plugin_host.settings.http
        http.port = port  # as `ggen-mcp serve` would be configured: the derived resource URL names this port
        config = uvicorn.Config(
            build_app(plugin_host),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            **server_options(http),
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    stop_servers()


def start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """A real redis-server on 127.0.0.1:``port``, answering (installed by .ci/run from Debian's packages)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            raise RuntimeError("redis-server is not installed; .ci/run installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    process = subprocess.Popen([*command, "--dir", str(directory)], **quiet)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_starter() -> Callable[[int, Path], subprocess.Popen[bytes]]:
    """:func:`start_redis`, for tests that stop and start Redis themselves."""
    return start_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free 127.0.0.1 port for the whole session."""
    port = free_port()
    process = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)
