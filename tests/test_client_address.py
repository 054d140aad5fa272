"""The client address (anonymous rate-limit key, audit principal) over a real `ggen-mcp serve` on 127.0.0.1.

Without ``http.trusted_proxies`` the socket peer is the client whatever X-Forwarded-For says, so rotating the
header neither lifts the anonymous limit nor reaches the audit log; with the proxy named, the header is used.
The separate metrics port honours the Host allowlist like the main one.
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ggen_mcp_core.testing import tool_text
from tests.conftest import free_port
from tests.test_operations import serve, wait_ready

__all__ = ["serve"]  # the fixture, used by name
pytestmark = pytest.mark.anyio
CALLS = 5
LIMIT = "3/minute"


async def echo_rotating_forwarded_for(port: int) -> list[Any]:
    """``CALLS`` demo_echo calls in one MCP session, each HTTP request with a new X-Forwarded-For."""
    addresses = (f"203.0.113.{n}" for n in itertools.count(1))

    async def spoof(request: httpx2.Request) -> None:
        request.headers["x-forwarded-for"] = next(addresses)

    async with httpx2.AsyncClient(event_hooks={"request": [spoof]}, timeout=30) as http:
        transport = streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)
        async with Client(transport, mode="legacy") as client:
            return [await client.call_tool("demo_echo", {"text": str(n)}) for n in range(CALLS)]


def audit_principals(path: Path) -> list[str]:
    return [json.loads(line)["principal"] for line in path.read_text(encoding="utf-8").splitlines()]


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)


async def test_forwarded_for_is_ignored_without_a_trusted_proxy(
    serve: Callable[..., subprocess.Popen[str]], tmp_path: Path
) -> None:
    port = free_port()
    audit = tmp_path / "audit.log"
    process = serve("--port", str(port), GGEN_MCP_RATE_LIMIT__ANONYMOUS_LIMIT=LIMIT, GGEN_MCP_AUDIT__FILE=str(audit))
    wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    results = await echo_rotating_forwarded_for(port)
    stop(process)
    assert [r.is_error for r in results] == [False, False, False, True, True]
    assert f"rate limit {LIMIT.replace('/', ' per 1 ')} reached for anonymous@127.0.0.1" in tool_text(results[-1])
    assert audit_principals(audit) == ["anonymous@127.0.0.1"] * CALLS


async def test_a_trusted_proxy_supplies_the_client_address(
    serve: Callable[..., subprocess.Popen[str]], tmp_path: Path
) -> None:
    port = free_port()
    audit = tmp_path / "audit.log"
    process = serve(
        "--port",
        str(port),
        GGEN_MCP_RATE_LIMIT__ANONYMOUS_LIMIT=LIMIT,
        GGEN_MCP_AUDIT__FILE=str(audit),
        GGEN_MCP_HTTP__TRUSTED_PROXIES='["127.0.0.0/8"]',
    )
    wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    results = await echo_rotating_forwarded_for(port)
    stop(process)
    assert not any(r.is_error for r in results), "each forwarded address has its own limit"
    principals = audit_principals(audit)
    assert len(principals) == CALLS and all(p.startswith("anonymous@203.0.113.") for p in principals)
    assert [r.structured_content["principal"] for r in results] == principals


def test_the_metrics_port_checks_the_host_header(serve: Callable[..., subprocess.Popen[str]]) -> None:
    port, metrics_port = free_port(), free_port()
    process = serve("--port", str(port), "--metrics-port", str(metrics_port))
    wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    assert "ggen_mcp_plugin_status" in httpx.get(url, timeout=5).text
    for host in ("evil.example.com", f"127.0.0.1:{metrics_port}.evil.example.com", f"evil.example.com:{metrics_port}"):
        refused = httpx.get(url, headers={"host": host}, timeout=5)
        assert refused.status_code == 421 and "http.allowed_hosts" in refused.text, host
    stop(process)
