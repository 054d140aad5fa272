"""The checks every HTTP request passes before any route: Host and Origin allowlists (DNS-rebinding
protection) and a single ``Authorization`` header.

Matching is exact on host and port, after splitting the header value by its grammar (RFC 9110 ``Host =
uri-host [ ":" port ]``, an IPv6 literal in brackets): an allowlist entry ``host:*`` accepts ``host:`` followed
by port digits and nothing else, ``host:8000`` that port only, and a bare ``host`` a Host header without a port.
Host names compare case-insensitively. The middleware wraps the whole app, so ``/mcp``, ``/healthz``,
``/readyz``, ``/metrics``, the RFC 9728 metadata and the separate metrics port all honour the same lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_PORT_DIGITS = 5


def split_authority(value: str, *, wildcard: bool = False) -> tuple[str, str | None] | None:
    """``(host, port)`` of ``host[:port]`` / ``[v6][:port]``; port None when absent; None when malformed.

    :param wildcard: accept ``*`` as the port (allowlist entries).
    """
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[: end + 1], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else None
    elif ":" in value:
        host, _, port = value.partition(":")
    else:
        host, port = value, None
    if not host or any(ch in host for ch in " /\\@?#"):
        return None
    if port is not None and not _valid_port(port, wildcard=wildcard):
        return None
    return host.lower(), port


def _valid_port(port: str, *, wildcard: bool) -> bool:
    if wildcard and port == "*":
        return True
    return 0 < len(port) <= MAX_PORT_DIGITS and port.isascii() and port.isdigit()


def host_allowed(value: str | None, allowlist: Sequence[str]) -> bool:
    """Whether a Host header value matches an entry of ``allowlist`` exactly (``:*`` = any port digits)."""
    if not value:
        return False
    presented = split_authority(value)
    if presented is None:
        return False
    return any(_authority_matches(presented, entry) for entry in allowlist)


def _authority_matches(presented: tuple[str, str | None], entry: str) -> bool:
    allowed = split_authority(entry, wildcard=True)
    if allowed is None or allowed[0] != presented[0]:
        return False
    if allowed[1] == "*":
        return presented[1] is not None
    return allowed[1] == presented[1]


def origin_allowed(value: str | None, allowlist: Sequence[str]) -> bool:
    """Whether an Origin header value (``scheme://host[:port]``) matches an entry exactly; absent is allowed."""
    if not value:
        return True
    presented = _split_origin(value)
    if presented is None:
        return False
    scheme, authority = presented
    for entry in allowlist:
        entry_scheme, _, entry_authority = entry.partition("://")
        if entry_scheme.lower() == scheme and _authority_matches(authority, entry_authority):
            return True
    return False


def _split_origin(value: str) -> tuple[str, tuple[str, str | None]] | None:
    scheme, sep, authority = value.partition("://")
    if not sep or not scheme.isascii() or not scheme.isalpha():
        return None
    parts = split_authority(authority)
    return None if parts is None else (scheme.lower(), parts)


class HeaderGate:
    """ASGI middleware: 421 for a Host outside the allowlist, 403 for a foreign Origin, 400 for a request
    carrying more than one Host or Authorization header. Runs before every route."""

    def __init__(
        self, app: ASGIApp, *, allowed_hosts: Sequence[str], allowed_origins: Sequence[str], enabled: bool = True
    ) -> None:
        self.app = app
        self.allowed_hosts = list(allowed_hosts)
        self.allowed_origins = list(allowed_origins)
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self.refusal(scope)
        if refusal is not None:
            return await refusal(scope, receive, send)
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> Response | None:
        """The response that refuses this request, or None when it may proceed."""
        values: dict[bytes, list[str]] = {}
        for name, value in scope.get("headers", []):
            if name in (b"host", b"origin", b"authorization"):
                values.setdefault(name, []).append(value.decode("latin-1"))
        for name in (b"authorization", b"host", b"origin"):
            if len(values.get(name, [])) > 1:
                header = name.decode().capitalize()
                return JSONResponse(
                    {"error": "invalid_request", "error_description": f"more than one {header} header"},
                    status_code=400,
                )
        if not self.enabled:
            return None
        host = next(iter(values.get(b"host", [])), None)
        if not host_allowed(host, self.allowed_hosts):
            return PlainTextResponse(f"Invalid Host header {host!r}: not in http.allowed_hosts\n", status_code=421)
        origin = next(iter(values.get(b"origin", [])), None)
        if not origin_allowed(origin, self.allowed_origins):
            return PlainTextResponse(
                f"Invalid Origin header {origin!r}: not in http.allowed_origins\n", status_code=403
            )
        return None
