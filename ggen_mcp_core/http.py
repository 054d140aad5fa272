"""The Streamable HTTP app: ``/mcp``, ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ggen_mcp_core import __version__
from ggen_mcp_core.observability import REGISTRY
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.server import build_server


def build_app(host: PluginHost) -> Starlette:
    """A fresh Starlette app serving ``host`` (the session manager runs once per app)."""
    http = host.settings.http
    server = build_server(host, transport="http")
    manager = StreamableHTTPSessionManager(
        app=server,
        stateless=http.stateless,
        json_response=http.json_response,
        security_settings=TransportSecuritySettings(
            enable_dns_rebinding_protection=http.dns_rebinding_protection,
            allowed_hosts=list(http.allowed_hosts),
            allowed_origins=list(http.allowed_origins),
        ),
        max_request_body_size=http.max_body_bytes,
        session_idle_timeout=http.session_idle_timeout,
        max_sessions=http.max_sessions,
    )
    state = {"serving": False}

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> Response:
        ready = host.ready and state["serving"]
        body = {
            "ready": ready,
            "tools": len(host.tools),
            "hidden_tools": host.hidden_tools,
            "read_only": host.settings.read_only,
            "toolsets": host.settings.toolsets,
            "plugins": host.plugin_dicts(),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    async def root(_: Request) -> Response:
        return PlainTextResponse(f"ggen-mcp {__version__}: MCP endpoint at {http.path}\n")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            state["serving"] = True
            try:
                yield
            finally:
                state["serving"] = False

    app = Starlette(
        routes=[
            Route(http.path, endpoint=StreamableHTTPASGIApp(manager), methods=["GET", "POST", "DELETE"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/", root, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.host = host
    app.state.session_manager = manager
    return app
