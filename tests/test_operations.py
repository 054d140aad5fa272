"""Operating the HTTP server: exposure guard, TLS, separate metrics port, tracing, graceful SIGTERM."""

from __future__ import annotations

import datetime
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ggen_mcp_core.calls import call_tool
from ggen_mcp_core.events import RequestInfo
from tests.conftest import free_port

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]


def wait_ready(url: str, process: subprocess.Popen[str], verify: Any = True) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(url, timeout=1, verify=verify).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


@pytest.fixture
def serve(subprocess_env: Callable[..., dict[str, str]]) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, **env: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [*GGEN, "serve", "--transport", "http", *args],
            env=subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo", **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_non_loopback_without_auth_refuses_to_start(subprocess_env: Callable[..., dict[str, str]]) -> None:
    out = subprocess.run(
        [*GGEN, "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "refusing to serve 0.0.0.0 without authentication" in out.stderr
    assert "--insecure-no-auth" in out.stderr


def test_sigterm_during_a_slow_call_finishes_it_and_exits_0(serve: Callable[..., subprocess.Popen[str]]) -> None:
    from mcp import Client

    port = free_port()
    process = serve("--port", str(port), GGEN_MCP_DEMO__SLOW_TIMEOUT="20", GGEN_MCP_HTTP__SHUTDOWN_GRACE="15")
    wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    outcome: dict[str, Any] = {}

    async def slow_call() -> None:
        try:
            async with Client(f"http://127.0.0.1:{port}/mcp", mode="legacy") as client:
                await client.list_tools()  # the client validates results against schemas it has listed
                outcome["result"] = await client.call_tool("demo_slow", {"seconds": 2})
        except Exception as exc:  # closing the client may need a new connection, refused once we stopped
            outcome["closing_error"] = exc

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(slow_call)
            async with httpx.AsyncClient() as http:  # signal only once the call is running on the server
                with anyio.fail_after(20):
                    while (
                        "ggen_mcp_tool_calls_in_flight 1.0"
                        not in (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                    ):
                        await anyio.sleep(0.05)
            process.send_signal(signal.SIGTERM)

    anyio.run(scenario)
    process.wait(timeout=30)
    assert process.returncode == 0
    assert "result" in outcome, f"the in-flight call was lost: {outcome.get('closing_error')!r}"
    assert outcome["result"].structured_content["echo"] == "slept 2.0"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_and_separate_metrics_port(serve: Callable[..., subprocess.Popen[str]], tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    port, metrics_port = free_port(), free_port()
    process = serve(
        "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key), "--metrics-port", str(metrics_port)
    )
    wait_ready(f"https://127.0.0.1:{port}/readyz", process, verify=ssl.create_default_context(cafile=str(cert)))
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    assert "ggen_mcp_plugin_status" in metrics
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert f"at https://127.0.0.1:{port}/mcp" in stderr


@pytest.mark.anyio
async def test_a_span_per_tool_call_continues_the_callers_trace(fixture_site: Path, ggen_host: Any) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import ggen_mcp_core.calls as calls

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    original = calls.TRACER
    calls.TRACER = provider.get_tracer("test")
    try:
        host = ggen_host(["demo"])
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        request = RequestInfo(transport="http", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        await call_tool(host, "demo_echo", {"text": "t"}, request=request)
        await call_tool(host, "demo_echo", {"text": "x" * 500}, request=request)
    finally:
        calls.TRACER = original
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["ggen.tool demo_echo", "ggen.tool demo_echo"]
    assert all(format(s.context.trace_id, "032x") == trace_id for s in spans)
    assert [s.attributes["ggen.outcome"] for s in spans] == ["ok", "invalid"]
    assert spans[0].attributes["ggen.plugin"] == "demo"
    del trace
