"""Bearer authentication of HTTP requests (API keys or JWT), as an ordinary ``ggen_authenticate`` plugin."""

from __future__ import annotations

import anyio.to_thread

from ggen_mcp_core.auth import ApiKeyAuthenticator, JwtAuthenticator, bearer_token, load_api_keys
from ggen_mcp_core.config import AuthSettings
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.principal import Principal


class AuthenticationPlugin:
    """Turns a valid ``Authorization: Bearer`` header into a Principal; stdio stays the local user."""

    def __init__(self, settings: AuthSettings) -> None:
        self.mode = settings.mode
        if settings.mode == "api_key":
            keys = load_api_keys(settings.api_keys, settings.api_keys_file)
            if not keys:
                raise ValueError("auth.mode is api_key but no keys are configured (auth.api_keys or api_keys_file)")
            self._api_keys = ApiKeyAuthenticator(keys)
        elif settings.mode == "jwt":
            self._jwt = JwtAuthenticator(settings.jwt)

    @hookimpl
    async def ggen_authenticate(self, request: RequestInfo) -> Principal | None:
        """The principal of a valid bearer token on an HTTP request, else None."""
        if request.transport != "http":
            return None
        token = bearer_token(request.headers)
        if token is None:
            return None
        if self.mode == "api_key":
            return self._api_keys.authenticate(token)
        return await anyio.to_thread.run_sync(self._jwt.authenticate, token)
