"""Bearer authentication for the HTTP transport: static API keys (stored as hashes) or JWT access tokens.

The authenticators are wrapped as an ordinary built-in plugin (``builtins/authentication.py``) that
implements ``ggen_authenticate``; the HTTP app answers 401 (with ``WWW-Authenticate``) when auth is on and no
plugin produced an authenticated principal, and serves the RFC 9728 protected-resource metadata.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ggen_mcp_core.comma_list import CommaList
from ggen_mcp_core.netpolicy import is_loopback_host
from ggen_mcp_core.principal import Principal

AuthMode = Literal["none", "api_key", "jwt"]


class ApiKey(BaseModel):
    """One API key: only its sha256 is ever stored (``ggen-mcp auth hash-key`` prints it)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Principal name the key authenticates as.", min_length=1, max_length=200)
    sha256: str = Field(description="Hex sha256 of the key.", pattern=r"^[0-9a-f]{64}$")
    scopes: list[str] = Field(default_factory=list, description="Scopes the key grants.")


class JwtSettings(BaseModel):
    """An OAuth 2.1 resource server: tokens are JWTs signed by the authorization server."""

    model_config = ConfigDict(extra="forbid")

    issuer: str | None = Field(default=None, description="Required `iss` of every token.")
    audience: str | None = Field(default=None, description="Required `aud`: this server's resource URL.")
    jwks_url: str | None = Field(default=None, description="JWKS endpoint of the authorization server.")
    public_key_file: Path | None = Field(default=None, description="PEM public key instead of a JWKS URL.")
    algorithms: CommaList = Field(
        default_factory=lambda: ["RS256", "ES256"], description="Accepted algorithms (comma or JSON list)."
    )
    leeway: float = Field(default=30.0, ge=0, le=600, description="Clock skew tolerated, in seconds.")
    timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to wait for the JWKS endpoint.")

    @field_validator("algorithms")
    @classmethod
    def _no_none_algorithm(cls, value: list[str]) -> list[str]:
        if any(a.lower() == "none" or a.upper().startswith("HS") for a in value):
            raise ValueError("only asymmetric algorithms are accepted (no 'none', no shared-secret HS*)")
        return value


def hash_key(key: str) -> str:
    """The sha256 hex digest under which an API key is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def load_api_keys(inline: list[ApiKey], keys_file: Path | None) -> list[ApiKey]:
    """Keys from settings plus a secret file (TOML ``[[keys]]`` tables or a JSON list)."""
    keys = list(inline)
    if keys_file is not None:
        text = keys_file.read_text(encoding="utf-8")
        raw: Any = json.loads(text) if keys_file.suffix == ".json" else tomllib.loads(text).get("keys", [])
        keys += [ApiKey.model_validate(entry) for entry in raw]
    return keys


class ApiKeyAuthenticator:
    """Looks the presented key's hash up in constant time per stored key."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = keys

    def authenticate(self, token: str) -> Principal | None:
        presented = hash_key(token)
        match = None
        for key in self._keys:
            if hmac.compare_digest(presented, key.sha256):
                match = key
        if match is None:
            return None
        return Principal(name=match.name, scopes=frozenset(match.scopes), claims={"auth": "api_key"})


class JwtAuthenticator:
    """Validates signature, expiry, issuer and audience; scopes come from ``scope`` or ``scp``."""

    def __init__(self, settings: JwtSettings) -> None:
        import jwt

        if settings.audience is None:
            raise ValueError("auth.jwt.audience is required: tokens must be issued for this server")
        if (settings.jwks_url is None) == (settings.public_key_file is None):
            raise ValueError("set exactly one of auth.jwt.jwks_url and auth.jwt.public_key_file")
        self.settings = settings
        self._jwks: Any = None
        self._key: str | None = None
        if settings.jwks_url is not None:
            check_fetch_url(settings.jwks_url)
            self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, timeout=int(settings.timeout))
        else:
            assert settings.public_key_file is not None
            self._key = settings.public_key_file.read_text(encoding="utf-8")

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid token, or None (blocking: it may fetch the JWKS)."""
        import jwt

        try:
            key: Any = self._key if self._jwks is None else self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=self.settings.algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": ["exp", "aud", "sub"] + (["iss"] if self.settings.issuer else [])},
            )
        except jwt.PyJWTError:
            return None
        scopes = claims.get("scope", "")
        scope_set = set(scopes.split()) if isinstance(scopes, str) else set()
        scp = claims.get("scp", [])
        scope_set |= set(scp) if isinstance(scp, list) else set(str(scp).split())
        name = str(claims.get("sub"))
        safe: dict[str, object] = {k: claims[k] for k in ("iss", "aud", "client_id", "azp") if k in claims}
        return Principal(name=name, scopes=frozenset(scope_set), claims={"auth": "jwt", **safe})


def check_fetch_url(url: str) -> None:
    """Refuse URLs the server should never fetch: only https, or http on a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return
    raise ValueError(f"{url!r}: only https URLs, or http on a loopback address, are allowed")


def bearer_token(headers: dict[str, str] | Any) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None (never from query strings)."""
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
