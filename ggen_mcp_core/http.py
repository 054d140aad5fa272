"""The Streamable HTTP app: ``/mcp``, ``/healthz``, ``/readyz``, ``/metrics`` and, with auth on, the RFC 9728
protected-resource metadata.

With ``auth.mode`` set, every MCP request needs a bearer token some ``ggen_authenticate`` plugin accepts
(401 with ``WWW-Authenticate`` otherwise), and a ``tools/call`` for a tool whose scopes the principal lacks is
refused with 403 ``insufficient_scope``. Every route sits behind :class:`~ggen_mcp_core.headergate.HeaderGate`
(Host/Origin allowlists, one Authorization header); the metadata and the 401 challenge name the resource URL
from configuration, never from the request's Host. While the server drains (SIGTERM), new MCP requests get 503 and
``/readyz`` turns 503 so load balancers stop routing; in-flight calls finish.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ggen_mcp_core import __version__
from ggen_mcp_core.auth import bearer_token
from ggen_mcp_core.config import HttpSettings, Settings
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.headergate import HeaderGate
from ggen_mcp_core.observability import AUTH_FAILURES, REGISTRY
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.principal import Principal
from ggen_mcp_core.readiness import DependencyProbes
from ggen_mcp_core.server import build_server

PRINCIPAL_SCOPE_KEY = "ggen.principal"


def build_app(host: PluginHost) -> Starlette:
    """A fresh Starlette app serving ``host`` (the session manager runs once per app)."""
    http = host.settings.http
    server = build_server(host, transport="http")
    manager = StreamableHTTPSessionManager(
        app=server,
        stateless=http.stateless,
        json_response=http.json_response,
        # Host/Origin are checked for every route by HeaderGate (exact host and port); the SDK's own check
        # (prefix matching on `host:`) is off so there is one check, the strict one.
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=http.max_body_bytes,
        session_idle_timeout=http.session_idle_timeout,
        max_sessions=http.max_sessions,
    )
    state = {"serving": False}
    resource = public_resource_url(host.settings)
    metadata_path = f"/.well-known/oauth-protected-resource{http.path}"

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    probes = DependencyProbes(host)

    async def readyz(_: Request) -> Response:
        waiting = await probes.problems()
        ready = host.ready and state["serving"] and not host.draining and not waiting
        body = {
            "ready": ready,
            "draining": host.draining,
            "not_ready": waiting,
            "tools": len(host.tools),
            "hidden_tools": host.hidden_tools,
            "read_only": host.settings.read_only,
            "toolsets": host.settings.toolsets,
            "auth": host.settings.auth.mode,
            "plugins": host.plugin_dicts(),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    async def root(_: Request) -> Response:
        return PlainTextResponse(f"ggen-mcp {__version__}: MCP endpoint at {http.path}\n")

    async def protected_resource(_: Request) -> Response:
        return JSONResponse(resource_metadata(host, resource))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            state["serving"] = True
            try:
                yield
            finally:
                state["serving"] = False
                await host.shutdown()

    endpoint = McpGate(StreamableHTTPASGIApp(manager), host, metadata_url(resource))
    routes = [
        Route(http.path, endpoint=endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/", root, methods=["GET"]),
    ]
    if host.settings.auth.mode != "none":
        routes.append(Route(metadata_path, protected_resource, methods=["GET"]))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[header_gate(http)])
    app.state.host = host
    app.state.session_manager = manager
    return app


def build_metrics_app(http: HttpSettings) -> Starlette:
    """The separate metrics port's app: ``/metrics`` only, behind the same Host/Origin gate."""

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", metrics, methods=["GET"])], middleware=[header_gate(http)])


def header_gate(http: HttpSettings) -> Middleware:
    """The Host/Origin/Authorization checks every route of every listener passes first."""
    return Middleware(
        HeaderGate,
        allowed_hosts=http.allowed_hosts,
        allowed_origins=http.allowed_origins,
        enabled=http.dns_rebinding_protection,
    )


def server_options(http: HttpSettings) -> dict[str, Any]:
    """uvicorn's proxy-header options: X-Forwarded-For/-Proto are believed only from ``http.trusted_proxies``.

    With none (the default) uvicorn's proxy middleware is off and the socket peer is the client address that
    anonymous rate limits and the audit log use; uvicorn's own default would trust 127.0.0.1.
    """
    if not http.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(http.trusted_proxies)}


def public_resource_url(settings: Settings) -> str:
    """This MCP endpoint's public URL: ``auth.resource_url``, else built from ``http.host``/``port``/``path``."""
    if settings.auth.resource_url:
        return settings.auth.resource_url
    http = settings.http
    scheme = "https" if http.tls_cert else "http"
    host = f"[{http.host}]" if ":" in http.host else http.host
    return f"{scheme}://{host}:{http.port}{http.path}"


def metadata_url(resource: str) -> str:
    """RFC 9728 section 3.1: the well-known segment goes between the resource URL's authority and path."""
    parts = urlsplit(resource)
    return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path.rstrip('/')}"


def resource_metadata(host: PluginHost, resource: str) -> dict[str, Any]:
    """RFC 9728 protected-resource metadata for this MCP endpoint."""
    auth = host.settings.auth
    scopes = sorted({scope for spec in host.tools.values() for scope in spec.scopes})
    servers = auth.authorization_servers or ([auth.jwt.issuer] if auth.jwt.issuer else [])
    return {
        "resource": resource,
        "authorization_servers": servers,
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "ggen-mcp",
    }


class McpGate:
    """In front of the MCP endpoint: drain refusal, bearer authentication, per-tool scope check."""

    def __init__(self, app: ASGIApp, host: PluginHost, metadata_url: str) -> None:
        self.app = app
        self.host = host
        self.metadata_url = metadata_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.host.draining:
            response = JSONResponse(
                {"error": "server is shutting down; retry on another replica"},
                status_code=503,
                headers={"Retry-After": "1"},
            )
            return await response(scope, receive, send)
        if self.host.settings.auth.mode == "none":
            return await self.app(scope, receive, send)
        request = Request(scope)
        principal = await self._authenticate(request)
        if principal is None:
            return await self._unauthorized(request)(scope, receive, send)
        scope[PRINCIPAL_SCOPE_KEY] = principal
        scope["user"] = _session_owner(principal, bearer_token(request.headers) or "")
        body, receive = await _buffer_body(receive, self.host.settings.http.max_body_bytes)
        missing = self._missing_scopes(principal, body)
        if missing:
            AUTH_FAILURES.labels(reason="insufficient_scope").inc()
            challenge = f'Bearer error="insufficient_scope", scope="{" ".join(missing)}"'
            response = JSONResponse(
                {"error": "insufficient_scope", "required_scopes": missing},
                status_code=403,
                headers={"WWW-Authenticate": challenge},
            )
            return await response(scope, receive, send)
        await self.app(scope, receive, send)

    async def _authenticate(self, request: Request) -> Principal | None:
        client = request.client
        info = RequestInfo(
            transport="http",
            headers={k.lower(): v for k, v in request.headers.items()},
            client_address=client.host if client else None,
            path=request.url.path,
        )
        try:
            principal = await self.host.authenticate(info)
        except Exception:
            return None
        return principal if principal.authenticated else None

    def _unauthorized(self, request: Request) -> Response:
        presented = bearer_token(request.headers) is not None
        AUTH_FAILURES.labels(reason="invalid_token" if presented else "missing_token").inc()
        metadata = self.metadata_url
        challenge = f'Bearer resource_metadata="{metadata}"'
        if presented:
            challenge = (
                f'Bearer error="invalid_token", error_description="token not accepted", resource_metadata="{metadata}"'
            )
        body = {
            "error": "invalid_token" if presented else "unauthorized",
            "error_description": "a valid bearer token is required",
        }
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})

    def _missing_scopes(self, principal: Principal, body: bytes) -> list[str]:
        try:
            message = json.loads(body) if body else None
        except ValueError:
            return []  # the MCP layer answers malformed JSON with a JSON-RPC error
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            return []
        params = message.get("params") or {}
        name = params.get("name", "") if isinstance(params, dict) else ""
        tool = self.host.tools.get(self.host.alias_target(name)) if isinstance(name, str) else None
        if tool is None or principal.has_scopes(tool.scopes):
            return []
        return [scope for scope in tool.scopes if scope not in principal.scopes]


def _session_owner(principal: Principal, token: str) -> AuthenticatedUser:
    """The SDK binds a stateful session to the principal that created it; another principal gets 404."""
    access = AccessToken(token=token, client_id=principal.name, scopes=sorted(principal.scopes), subject=principal.name)
    return AuthenticatedUser(access)


async def _buffer_body(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """Read the request body (up to ``limit``; the SDK answers larger ones with 413) and replay it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit + 1:
            chunks.append(chunk)
            break
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return body, replay
