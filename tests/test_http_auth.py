"""Authentication over real HTTP on 127.0.0.1: API keys and JWT (JWKS served locally), 401/403, RFC 9728."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ggen_mcp_core.auth import hash_key
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
AUDIENCE = "http://127.0.0.1/mcp"
ISSUER = "https://issuer.test"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


@pytest.fixture
def api_key_host(fixture_site: Path, ggen_host: Any) -> PluginHost:
    keys = [
        {"name": "alice", "sha256": hash_key("alice-key"), "scopes": ["demo:read", "demo:write"]},
        {"name": "bob", "sha256": hash_key("bob-key"), "scopes": ["demo:read"]},
    ]
    return ggen_host(["demo"], auth={"mode": "api_key", "api_keys": keys}, rate_limit={"limit": "3/minute"})  # type: ignore[no-any-return]


async def test_no_token_is_401_with_resource_metadata(
    api_key_host: PluginHost, http_server: Callable[..., str]
) -> None:
    base = http_server(api_key_host)
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.post("/mcp", json=INIT, headers=HEADERS)
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ") and "error=" not in challenge
        metadata_url = challenge.split('resource_metadata="')[1].rstrip('"')
        assert metadata_url == f"{base}/.well-known/oauth-protected-resource/mcp"
        metadata = (await http.get(metadata_url)).json()
        assert metadata["resource"] == f"{base}/mcp"
        assert metadata["bearer_methods_supported"] == ["header"]
        assert metadata["scopes_supported"] == ["demo:read", "demo:write"]
        bad = await http.post("/mcp", json=INIT, headers={**HEADERS, "authorization": "Bearer wrong"})
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
        query = await http.post("/mcp?access_token=alice-key", json=INIT, headers=HEADERS)
        assert query.status_code == 401, "tokens are never taken from the query string"
        assert (await http.get("/healthz")).status_code == 200, "probes stay unauthenticated"


async def test_missing_scope_is_403_and_list_shows_only_callable_tools(
    api_key_host: PluginHost, http_server: Callable[..., str]
) -> None:
    from mcp import Client

    base = http_server(api_key_host)
    bob = {**HEADERS, "authorization": "Bearer bob-key"}
    async with httpx.AsyncClient(base_url=base) as http:
        init = await http.post("/mcp", json=INIT, headers=bob)
        assert init.status_code == 200
        session = {**bob, "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        denied = await http.post("/mcp", json=call("demo_write", {"path": "x", "content": "y"}), headers=session)
        assert denied.status_code == 403
        assert denied.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="demo:write"'
        alice = {**session, "authorization": "Bearer alice-key"}
        hijack = await http.post("/mcp", json=call("demo_echo", {"text": "x"}), headers=alice)
        assert hijack.status_code == 404, "a session is bound to the principal that created it"
    async with httpx.AsyncClient(headers={"authorization": "Bearer bob-key"}) as http:
        from mcp.client.streamable_http import streamable_http_client

        async with Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="legacy") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == {"demo_echo", "demo_slow", "demo_generate", "demo_notify"}
            echo = await client.call_tool("demo_echo", {"text": "hi"})
            assert echo.structured_content == {"echo": "hi", "principal": "bob"}


async def test_flood_is_limited_per_principal_over_http(
    api_key_host: PluginHost, http_server: Callable[..., str]
) -> None:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    base = http_server(api_key_host)

    async def calls(key: str, count: int) -> list[Any]:
        async with (
            httpx.AsyncClient(headers={"authorization": f"Bearer {key}"}) as http,
            Client(streamable_http_client(f"{base}/mcp", http_client=http), mode="auto") as client,
        ):
            return [await client.call_tool("demo_echo", {"text": "f"}) for _ in range(count)]

    flood = await calls("bob-key", 5)
    assert [r.is_error for r in flood] == [False, False, False, True, True]
    assert "rate limit 3 per 1 minute reached for bob" in tool_text(flood[-1])
    assert not (await calls("alice-key", 1))[0].is_error, "another principal is still served"


class Jwks:
    """An RSA key pair and a JWKS endpoint on 127.0.0.1."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, **claims: Any) -> str:
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "carol",
            "exp": int(time.time()) + 300,
            "scope": "demo:read",
        } | claims
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.server.shutdown()


async def test_jwt_resource_server(
    fixture_site: Path, ggen_host: Any, http_server: Callable[..., str], jwks: Jwks
) -> None:
    host = ggen_host(
        ["demo"], auth={"mode": "jwt", "jwt": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks.url}}
    )
    base = http_server(host)

    async def status(token: str, body: dict[str, Any] = INIT) -> int:
        async with httpx.AsyncClient(base_url=base) as http:
            response = await http.post("/mcp", json=body, headers={**HEADERS, "authorization": f"Bearer {token}"})
            return response.status_code

    assert await status(jwks.token()) == 200
    assert await status(jwks.token(aud="https://other.service/mcp")) == 401, "wrong audience"
    assert await status(jwks.token(iss="https://evil.issuer")) == 401, "wrong issuer"
    assert await status(jwks.token(exp=int(time.time()) - 3600)) == 401, "expired"
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60},
        other_key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert await status(forged) == 401, "bad signature"
    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60}, None, algorithm="none"
    )
    assert await status(unsigned) == 401, "alg none"
    async with httpx.AsyncClient(base_url=base) as http:
        metadata = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
    assert metadata["authorization_servers"] == [ISSUER]


async def test_draining_refuses_new_requests(api_key_host: PluginHost, http_server: Callable[..., str]) -> None:
    base = http_server(api_key_host)
    api_key_host.draining = True
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.post("/mcp", json=INIT, headers={**HEADERS, "authorization": "Bearer alice-key"})
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["draining"] is True
