"""The same flows over real transports: a `ggen-mcp serve` subprocess on stdio, and uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
FIXTURES = "demo,raisingtool,brokenimport,nospec"


async def exercise(client: Any, expected_principal: str) -> None:
    """The flow every transport must carry: list, call, invalid call, raising tool, resources."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"demo_echo", "raisingtool_explode"} <= names
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    result = await client.call_tool("demo_echo", {"text": "over the wire"}, progress_callback=on_progress)
    assert result.structured_content == {"echo": "over the wire", "principal": expected_principal}
    assert progress == [0, 2]
    invalid = await client.call_tool("demo_echo", {"text": 5})
    assert invalid.is_error and "'text': Input should be a valid string" in tool_text(invalid)
    raising = await client.call_tool("raisingtool_explode", {})
    assert raising.is_error and "internal error (KeyError)" in tool_text(raising)
    again = await client.call_tool("demo_echo", {"text": "still serving"})
    assert not again.is_error
    records = json.loads((await client.read_resource("ggen://plugins")).contents[0].text)
    assert {r["name"]: r["status"] for r in records}["brokenimport"] == "failed_import"
    with pytest.raises(MCPError):
        await client.call_tool("nope", {})


@pytest.mark.parametrize("mode", MODES)
async def test_stdio_subprocess(subprocess_env: Callable[..., dict[str, str]], mode: str) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS=FIXTURES)
    params = StdioServerParameters(command=sys.executable, args=["-m", "ggen_mcp_core.cli", "serve"], env=env)
    async with Client(params, mode=mode) as client:
        assert client.protocol_version == ("2026-07-28" if mode == "auto" else "2025-11-25")
        assert client.server_info.name == "ggen-mcp"
        await exercise(client, "local")


@pytest.fixture
def host(fixture_site: Path, ggen_host: Any) -> PluginHost:
    return ggen_host(FIXTURES.split(","))  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", MODES)
async def test_http_both_eras(host: PluginHost, http_server: Callable[..., str], mode: str) -> None:
    base = http_server(host)
    async with Client(f"{base}/mcp", mode=mode) as client:
        assert client.protocol_version == ("2026-07-28" if mode == "auto" else "2025-11-25")
        await exercise(client, "anonymous@127.0.0.1")


@pytest.mark.parametrize("mode", MODES)
async def test_http_stateless(fixture_site: Path, ggen_host: Any, http_server: Callable[..., str], mode: str) -> None:
    host = ggen_host(FIXTURES.split(","), http={"stateless": True})
    base = http_server(host)
    async with Client(f"{base}/mcp", mode=mode) as client:
        await exercise(client, "anonymous@127.0.0.1")


async def test_health_ready_metrics(host: PluginHost, http_server: Callable[..., str]) -> None:
    base = http_server(host)
    async with httpx.AsyncClient(base_url=base) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["ready"] is True and body["tools"] == 6
        assert {p["name"]: p["status"] for p in body["plugins"]}["brokenimport"] == "failed_import"
    async with Client(f"{base}/mcp", mode="legacy") as client:
        await client.call_tool("demo_echo", {"text": "count me"})
        await client.call_tool("raisingtool_explode", {})
    async with httpx.AsyncClient(base_url=base) as http:
        metrics = (await http.get("/metrics")).text
    assert 'ggen_mcp_tool_calls_total{outcome="ok",plugin="demo",tool="demo_echo"}' in metrics
    assert 'ggen_mcp_tool_calls_total{outcome="error",plugin="raisingtool",tool="raisingtool_explode"}' in metrics
    assert "ggen_mcp_tool_duration_seconds_bucket" in metrics
    assert 'ggen_mcp_plugin_status{plugin="brokenimport",status="failed_import"} 1.0' in metrics


async def test_hook_ggen_readiness(host: PluginHost, http_server: Callable[..., str]) -> None:
    base = http_server(host)
    marker = host.workspace.root / "demo-not-ready"
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/readyz")).status_code == 200
        marker.write_text("")
        waiting = await readyz_until(http, 503)  # the answer is cached for a second
        assert waiting.json()["not_ready"] == {"demo": "the demo backend is warming up"}
        marker.unlink()
        await readyz_until(http, 200)


async def readyz_until(http: httpx.AsyncClient, status: int) -> httpx.Response:
    """Poll /readyz until it answers ``status`` (dependency probes are cached for a second)."""
    import anyio

    with anyio.fail_after(10):
        while True:
            answer = await http.get("/readyz")
            if answer.status_code == status:
                return answer
            await anyio.sleep(0.1)


async def test_readyz_probes_are_cached_and_bounded(host: PluginHost, monkeypatch: pytest.MonkeyPatch) -> None:
    """One probe round per CACHE_SECONDS, however often /readyz is asked; a hook that does not answer within
    PROBE_SECONDS counts as not ready, naming the bound."""
    import anyio

    from ggen_mcp_core import hookimpl, readiness

    marker = host.workspace.root / "demo-not-ready"
    probes = readiness.DependencyProbes(host)
    monkeypatch.setattr(readiness, "CACHE_SECONDS", 3600.0)
    assert await probes.problems() == {}
    marker.write_text("")
    assert await probes.problems() == {}, "the cached answer was not reused"
    monkeypatch.setattr(readiness, "CACHE_SECONDS", 0.0)
    assert await probes.problems() == {"demo": "the demo backend is warming up"}
    marker.unlink()

    class Hanging:
        @hookimpl
        async def ggen_readiness(self) -> str | None:
            await anyio.sleep(3600)
            return None

    host.add_module(Hanging(), name="hanging")
    monkeypatch.setattr(readiness, "PROBE_SECONDS", 0.2)
    with anyio.fail_after(30):
        assert await probes.problems() == {"hanging": "readiness check did not answer within 0.2 s"}


async def test_hook_ggen_shutdown(host: PluginHost, http_server: Callable[..., str]) -> None:
    import importlib

    demo = importlib.import_module("ggen_fixture_demo.plugin")
    demo.SHUTDOWNS.clear()
    http_server(host)
    assert demo.SHUTDOWNS == []
    from tests.conftest import stop_servers

    stop_servers()
    assert [str(host.workspace.root)] == demo.SHUTDOWNS


async def test_readyz_is_503_until_serving(host: PluginHost) -> None:
    from ggen_mcp_core.http import build_app

    app = build_app(host)
    transport = httpx.ASGITransport(app=app)  # no lifespan: the session manager is not running
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        response = await http.get("/readyz")
    assert response.status_code == 503 and response.json()["ready"] is False


async def test_host_and_origin_validation(host: PluginHost, http_server: Callable[..., str]) -> None:
    base = http_server(host)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=base) as http:
        ok = await http.post("/mcp", json=init, headers=headers)
        assert ok.status_code == 200
        evil_host = await http.post("/mcp", json=init, headers={**headers, "host": "evil.example.com"})
        assert evil_host.status_code == 421
        evil_origin = await http.post("/mcp", json=init, headers={**headers, "origin": "http://evil.example.com"})
        assert evil_origin.status_code == 403
        huge = await http.post("/mcp", content=b"[" + b"1," * 3_000_000 + b"1]", headers=headers)
        assert huge.status_code == 413


async def test_allowlist_is_configurable(fixture_site: Path, ggen_host: Any, http_server: Callable[..., str]) -> None:
    host = ggen_host(["demo"], http={"allowed_hosts": ["mcp.internal:*"], "allowed_origins": []})
    base = http_server(host)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.post("/mcp", json=init, headers=headers)).status_code == 421
        port = base.rsplit(":", 1)[1]
        allowed = await http.post("/mcp", json=init, headers={**headers, "host": f"mcp.internal:{port}"})
        assert allowed.status_code == 200
