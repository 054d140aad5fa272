"""Every HTTP route behind the Host/Origin allowlists (exact host and port), metadata from configuration,
one Authorization header; over uvicorn on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ggen_mcp_core.auth import hash_key
from ggen_mcp_core.headergate import host_allowed, origin_allowed
from ggen_mcp_core.plugins import PluginHost

pytestmark = pytest.mark.anyio
DEFAULT_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
METADATA = "/.well-known/oauth-protected-resource/mcp"


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8931", True),
        ("LOCALHOST:80", True),
        ("[::1]:8000", True),
        ("[::1]:65535", True),
        ("127.0.0.1:8931.evil.com", False),
        ("127.0.0.1:8931@evil.com", False),
        ("127.0.0.1:", False),
        ("127.0.0.1", False),
        ("127.0.0.1:+80", False),
        ("127.0.0.1:٨٠", False),  # Arabic-Indic digits are digits to str.isdigit, not to a port
        ("127.0.0.1:123456", False),
        ("127.0.0.1.evil.com:80", False),
        ("localhost.evil.com:80", False),
        ("[::1]", False),
        ("[::1]x:80", False),
        ("[::1:80", False),
        ("::1:80", False),
        ("[::2]:80", False),
        ("", False),
        (" 127.0.0.1:80", False),
    ],
)
def test_host_matching_is_exact_on_host_and_port(host: str, allowed: bool) -> None:
    assert host_allowed(host, DEFAULT_HOSTS) is allowed


def test_port_and_bare_entries() -> None:
    assert host_allowed("mcp.example.com", ["mcp.example.com"])
    assert not host_allowed("mcp.example.com:8443", ["mcp.example.com"])
    assert host_allowed("mcp.example.com:8443", ["mcp.example.com:8443"])
    assert not host_allowed("mcp.example.com:8444", ["mcp.example.com:8443"])
    assert not host_allowed("mcp.example.com", ["mcp.example.com:*"])


def test_origin_matching_is_exact() -> None:
    origins = ["http://127.0.0.1:*", "https://mcp.example.com"]
    assert origin_allowed(None, origins) and origin_allowed("http://127.0.0.1:3000", origins)
    assert origin_allowed("https://mcp.example.com", origins)
    for origin in (
        "http://127.0.0.1:3000.evil.com",
        "https://127.0.0.1:3000",
        "https://mcp.example.com:443",
        "https://mcp.example.com.evil.com",
        "null",
        "http://evil.com",
    ):
        assert not origin_allowed(origin, origins), origin


@pytest.fixture
def auth_host(fixture_site: Path, ggen_host: Any) -> PluginHost:
    keys = [{"name": "alice", "sha256": hash_key("alice-key"), "scopes": ["demo:read", "demo:write"]}]
    return ggen_host(["demo"], auth={"mode": "api_key", "api_keys": keys})  # type: ignore[no-any-return]


async def test_every_route_honours_the_host_allowlist(auth_host: PluginHost, http_server: Callable[..., str]) -> None:
    base = http_server(auth_host)
    port = base.rsplit(":", 1)[1]
    routes = ["/healthz", "/readyz", "/metrics", METADATA, "/"]
    hostile = ["evil.example.com", f"127.0.0.1:{port}.evil.example.com", f"evil.example.com:{port}", "127.0.0.1"]
    async with httpx.AsyncClient(base_url=base) as http:
        for route in routes:
            assert (await http.get(route)).status_code == 200, route
            for host in hostile:
                refused = await http.get(route, headers={"host": host})
                assert refused.status_code == 421 and "http.allowed_hosts" in refused.text, (route, host)
            foreign = await http.get(route, headers={"origin": "http://evil.example.com"})
            assert foreign.status_code == 403, route
        authorized = {**HEADERS, "authorization": "Bearer alice-key"}
        assert (await http.post("/mcp", json=INIT, headers=authorized)).status_code == 200
        for host in hostile:
            refused = await http.post("/mcp", json=INIT, headers={**authorized, "host": host})
            assert refused.status_code == 421, host


async def test_metadata_and_challenge_come_from_configuration(
    auth_host: PluginHost, http_server: Callable[..., str]
) -> None:
    base = http_server(auth_host)
    port = base.rsplit(":", 1)[1]
    other_allowed_host = {"host": f"localhost:{port}"}
    async with httpx.AsyncClient(base_url=base) as http:
        metadata = (await http.get(METADATA, headers=other_allowed_host)).json()
        assert metadata["resource"] == f"http://127.0.0.1:{port}/mcp"
        challenge = (await http.post("/mcp", json=INIT, headers={**HEADERS, **other_allowed_host})).headers
        assert f'resource_metadata="http://127.0.0.1:{port}{METADATA}"' in challenge["www-authenticate"]


async def test_configured_resource_url_is_used(
    fixture_site: Path, ggen_host: Any, http_server: Callable[..., str]
) -> None:
    keys = [{"name": "alice", "sha256": hash_key("alice-key"), "scopes": []}]
    resource = "https://mcp.example.com/tenant/mcp"
    host = ggen_host(["demo"], auth={"mode": "api_key", "api_keys": keys, "resource_url": resource})
    base = http_server(host)
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get(METADATA)).json()["resource"] == resource
        challenge = (await http.post("/mcp", json=INIT, headers=HEADERS)).headers["www-authenticate"]
        assert (
            'resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/tenant/mcp"' in challenge
        )


async def test_two_authorization_headers_are_refused(auth_host: PluginHost, http_server: Callable[..., str]) -> None:
    base = http_server(auth_host)
    async with httpx.AsyncClient(base_url=base) as http:
        for pair in (("Bearer wrong", "Bearer alice-key"), ("Bearer alice-key", "Bearer wrong")):
            headers = [*HEADERS.items(), ("authorization", pair[0]), ("authorization", pair[1])]
            response = await http.post("/mcp", json=INIT, headers=headers)
            assert response.status_code == 400, pair
            assert response.json()["error_description"] == "more than one Authorization header"
