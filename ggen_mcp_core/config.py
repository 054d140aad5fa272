"""Settings: environment ``GGEN_MCP_*`` (``__`` nests), an optional TOML file, CLI flags win.

Core keys are declared below. Each plugin reads its own section (``[graph]`` in the TOML file,
``GGEN_MCP_GRAPH__QUERY_TIMEOUT`` in the environment) with :meth:`Settings.section` and its own pydantic
model, so a new pack adds settings without touching the host.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import math
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.exceptions import SettingsError

from ggen_mcp_core.auth import ApiKey, AuthMode, JwtSettings
from ggen_mcp_core.comma_list import CommaList
from ggen_mcp_core.secret_settings import FILE_SUFFIX, SecretFileError, resolve_secret_files, secret_fields

ENV_PREFIX = "GGEN_MCP_"
MIN_REQUEST_STATE_KEY_BYTES = 32  # what the SDK's AES-256-GCM request-state codec requires
ModelT = TypeVar("ModelT", bound=BaseModel)
_config_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar("ggen_config_file", default=None)


class ConfigError(Exception):
    """A setting is invalid; the message names it."""


class HttpSettings(BaseModel):
    """The Streamable HTTP transport."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to bind.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port to bind (0 picks a free one).")
    path: str = Field(default="/mcp", description="Path of the MCP endpoint.")
    stateless: bool = Field(default=False, description="No sessions: for replicas behind a load balancer.")
    json_response: bool = Field(default=False, description="Plain JSON replies instead of SSE (drops progress).")
    allowed_hosts: CommaList = Field(
        default_factory=lambda: ["127.0.0.1:*", "localhost:*", "[::1]:*"],
        description="Host header allowlist (DNS-rebinding protection), exact: `host:*` matches `host:` and port "
        "digits, `host:8000` that port, a bare `host` a Host header without a port.",
    )
    allowed_origins: CommaList = Field(
        default_factory=lambda: ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        description="Origin header allowlist; a request without Origin is allowed.",
    )
    dns_rebinding_protection: bool = Field(
        default=True, description="Validate Host and Origin headers on every route (exact host and port)."
    )
    trusted_proxies: CommaList = Field(
        default_factory=list,
        description="Addresses/CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed; empty: the "
        "socket peer is the client (anonymous rate limits, audit).",
    )
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0, description="Largest request body accepted.")
    session_idle_timeout: float = Field(default=1800.0, gt=0, description="Seconds before an idle session ends.")
    max_sessions: int = Field(default=10_000, gt=0, description="Most concurrent stateful sessions.")
    tls_cert: Path | None = Field(
        default=None, description="PEM certificate: serve HTTPS (else terminate TLS at the ingress)."
    )
    tls_key: Path | None = Field(default=None, description="PEM private key for `tls_cert`.")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="Serve /metrics on this separate port too (same host)."
    )
    insecure_no_auth: bool = Field(
        default=False, description="Allow binding a non-loopback address with auth.mode = none."
    )
    shutdown_grace: float = Field(
        default=30.0, ge=0, le=3600, description="Seconds in-flight requests get to finish after SIGTERM."
    )
    request_state_key: SecretStr | None = Field(
        default=None,
        description="Secret (at least 32 bytes) sealing the requestState of multi-round-trip calls "
        "(ctx.sample/ctx.elicit); give every replica the same one so a round answered on another replica "
        "resumes. Unset: a key per process (enough for one replica).",
    )

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: Any) -> Any:
        """``request_state_key_file``: the key read from a file (ggen_mcp_core.secret_settings)."""
        if isinstance(data, dict) and any(str(key).endswith(FILE_SUFFIX) for key in data):
            data = dict(data)
            resolve_secret_files(data, cls, "http")
        return data

    @field_validator("request_state_key")
    @classmethod
    def _key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_REQUEST_STATE_KEY_BYTES:
            raise ValueError(
                f"too short: at least {MIN_REQUEST_STATE_KEY_BYTES} bytes of secret randomness "
                '(python -c "import secrets; print(secrets.token_hex(32))")'
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return value


class AuthSettings(BaseModel):
    """Authentication of HTTP requests and the authorization default."""

    model_config = ConfigDict(extra="forbid")

    mode: AuthMode = Field(default="none", description="`none`, `api_key` (static keys) or `jwt` (OAuth 2.1 tokens).")
    api_keys: list[ApiKey] = Field(
        default_factory=list, description="API keys as {name, sha256, scopes}; `ggen-mcp auth hash-key` hashes one."
    )
    api_keys_file: Path | None = Field(
        default=None, description="A secret file with more keys (TOML `[[keys]]` tables or a JSON list)."
    )
    jwt: JwtSettings = Field(default_factory=lambda: JwtSettings(), description="JWT resource server.")
    resource_url: str | None = Field(
        default=None,
        description="This server's public MCP URL, for RFC 9728 metadata and 401 challenges (default: built from "
        "http.host, http.port and http.path; never from the request).",
    )
    authorization_servers: CommaList = Field(
        default_factory=list, description="Issuers clients get tokens from (RFC 9728 `authorization_servers`)."
    )
    default_allow: bool = Field(
        default=True, description="Allow a call when no plugin votes on it (plugins may still deny)."
    )


class RateLimitSettings(BaseModel):
    """Per-principal rate limits (anonymous callers are keyed by client address)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Apply rate limits to tool calls.")
    limit: str = Field(default="600/minute", description="Calls per principal, in `limits` notation.")
    anonymous_limit: str = Field(default="120/minute", description="Calls per anonymous client address.")
    storage: str = Field(default="memory://", description="`memory://` or `redis://host:port/db` for replicas.")
    max_keys: int = Field(default=10_000, gt=0, description="Principals tracked in memory before the oldest go.")
    on_storage_error: Literal["allow", "deny"] = Field(
        default="allow", description="When the storage (Redis) is down: serve with a warning, or refuse."
    )


class LimitsSettings(BaseModel):
    """Caps on work and output."""

    model_config = ConfigDict(extra="forbid")

    max_result_bytes: int = Field(default=1024 * 1024, gt=0, description="Largest tool result sent to a client.")
    queue_timeout: float = Field(
        default=10.0, ge=0, le=600, description="Seconds a call waits for a free slot before 'server busy'."
    )
    max_concurrent_per_plugin: int | None = Field(
        default=None,
        ge=0,
        description="Calls of one plugin running at once, so a stuck dependency cannot take every slot; "
        "unset: half of `max_concurrent_calls` (rounded up, at least 1); 0 or at least `max_concurrent_calls`: "
        "no share, one pool.",
    )

    def plugin_share(self, max_concurrent_calls: int) -> int | None:
        """The slots one plugin may hold at once, or None when plugins share the pool without a cap."""
        share = self.max_concurrent_per_plugin
        if share is None:
            share = max(1, math.ceil(max_concurrent_calls / 2))
        return share if 0 < share < max_concurrent_calls else None


class AuditSettings(BaseModel):
    """The audit log: one JSON line per tool call on logger `ggen_mcp.audit`."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Write the audit log.")
    file: Path | None = Field(default=None, description="Also append it to this file (rotated).")
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="Rotate the file at this size.")
    backups: int = Field(default=5, ge=0, le=100, description="Rotated files kept.")


class Settings(BaseSettings):
    """Every core setting, with its default and environment name in ``docs/configuration.md``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="allow",
        validate_default=True,
    )

    workspace: Path = Field(default=Path("."), description="Directory that holds the user's files and `.ggen/`.")
    cache_dir: Path | None = Field(
        default=None,
        description="Directory for caches that read-only tools may fill (the market's registry indexes and "
        "pack archives) and for what a start keeps for the next (tool listings and schemas, schema verdicts, "
        "plugin entry points; each rebuilt when missing or stale), kept out of the workspace; unset: "
        "`$XDG_CACHE_HOME/ggen-mcp` (else `~/.cache/ggen-mcp`).",
    )
    protected_paths: CommaList = Field(
        default_factory=list,
        description="Workspace-relative paths (files or folders) no tool may write, on top of the built-in "
        "`.git/`, `.ggen/` and `ggen.lock` (comma list or JSON list; compared case-insensitively).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="stderr log level.")
    log_format: Literal["json", "console"] = Field(default="json", description="stderr log format.")
    tool_timeout: float = Field(default=60.0, gt=0, le=3600, description="Seconds a tool call may run by default.")
    max_concurrent_calls: int = Field(default=64, gt=0, description="Tool calls running at once, server-wide.")
    loop_lag_warning: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Seconds the event loop may be held (a handler blocking it, e.g. time.sleep in async code) "
        "before a warning names the tool call holding it; every lag is in ggen_mcp_event_loop_lag_seconds. 0: off.",
    )
    read_only: bool = Field(default=False, description="Unregister every tool that writes.")
    discovery: Literal["all", "dynamic"] = Field(
        default="all",
        description="`all` serves every toolset's tools; `dynamic` starts with toolset_list and toolset_enable "
        "only, and a toolset's tools join tools/list when it is enabled (docs/architecture.md).",
    )
    list_page_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Items per page of tools/list, resources/list, resources/templates/list and prompts/list "
        "(clients follow nextCursor).",
    )
    toolsets: Annotated[CommaList | None, NoDecode] = Field(
        default=None, description="Only these tool families (comma or JSON list, e.g. graph,template)."
    )
    load_plugins: Annotated[CommaList | None, NoDecode] = Field(
        default=None, description="Plugins to load (comma or JSON list): unset loads all, empty loads none."
    )
    disable_plugins: CommaList = Field(
        default_factory=list, description="Plugins never to load (comma or JSON list; `*` for all)."
    )
    strict_plugins: bool = Field(default=False, description="Exit when any plugin fails to load.")
    required_plugins: CommaList = Field(
        default_factory=list,
        description="Plugins that must load, else the server refuses to start (comma or JSON list).",
    )
    http: HttpSettings = Field(default_factory=lambda: HttpSettings(), description="HTTP transport.")
    auth: AuthSettings = Field(default_factory=lambda: AuthSettings(), description="Authentication.")
    rate_limit: RateLimitSettings = Field(default_factory=lambda: RateLimitSettings(), description="Rate limits.")
    limits: LimitsSettings = Field(default_factory=lambda: LimitsSettings(), description="Caps.")
    audit: AuditSettings = Field(default_factory=lambda: AuditSettings(), description="Audit log.")

    @field_validator("protected_paths")
    @classmethod
    def _check_protected(cls, value: list[str]) -> list[str]:
        from ggen_mcp_core.write_policy import normalize_setting

        return normalize_setting(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file.get()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Build settings from defaults < TOML file < environment < ``overrides`` (CLI flags).

        :raises ConfigError: with one line naming the bad key.
        """
        path = Path(config_file) if config_file else None
        if path is not None:
            _check_toml(path)
        token = _config_file.set(path)
        try:
            settings = cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise ConfigError(_one_line(exc)) from None
        except SettingsError as exc:
            raise ConfigError(f"invalid setting: {exc}") from None
        finally:
            _config_file.reset(token)
        settings._merge_plugin_env()
        return settings

    def _merge_plugin_env(self) -> None:
        declared = {name.upper() for name in type(self).model_fields}
        extras = self.__pydantic_extra__ if self.__pydantic_extra__ is not None else {}
        for key, value in os.environ.items():
            if not key.startswith(ENV_PREFIX) or "__" not in key:
                continue
            section, *rest = key[len(ENV_PREFIX) :].split("__")
            if section in declared or not rest or not section:
                continue
            node = extras.setdefault(section.lower(), {})
            if not isinstance(node, dict):
                continue
            for part in rest[:-1]:
                node = node.setdefault(part.lower(), {})
            node[rest[-1].lower()] = value

    def section(self, name: str, model: type[ModelT]) -> ModelT:
        """Validate and return a plugin's settings section, e.g. ``section("graph", GraphSettings)``.

        A secret field (``SecretStr``) may be given as ``<field>_file``: the path of a file holding it.

        :raises ConfigError: naming the bad key, e.g. ``graph.query_timeout: Input should be ...``.
        """
        raw = (self.__pydantic_extra__ or {}).get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"{name}: expected a table of settings, got {type(raw).__name__}")
        if any(key.endswith(FILE_SUFFIX) for key in raw):
            resolved = dict(raw)
            try:
                if resolve_secret_files(resolved, model, name) and self.__pydantic_extra__ is not None:
                    self.__pydantic_extra__[name] = resolved  # read each secret file once
            except SecretFileError as exc:
                raise ConfigError(str(exc)) from None
            raw = resolved
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_one_line(exc, prefix=name)) from None

    def resolved_workspace(self) -> Path:
        """The workspace directory as an absolute path."""
        return self.workspace.expanduser().resolve()

    def resolved_cache_dir(self) -> Path:
        """The host's cache directory as an absolute real path (``cache_dir``, else the XDG cache home)."""
        if self.cache_dir is not None:
            return self.cache_dir.expanduser().resolve()
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
        return (base / "ggen-mcp").resolve()


def _check_toml(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None


def _one_line(exc: ValidationError, prefix: str | None = None) -> str:
    """``invalid setting <key>: <problem>``; a pack's key also names its environment variable, e.g.
    ``template.max_templates (GGEN_MCP_TEMPLATE__MAX_TEMPLATES): Input should be greater than 0``."""
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error["loc"])
        if prefix:
            keys = [prefix, *(str(p) for p in error["loc"] if isinstance(p, str))]
            location = f"{prefix}.{location}" if location else prefix
            if len(keys) > 1:
                location += f" ({ENV_PREFIX}{'__'.join(keys).upper()})"
        parts.append(f"{location}: {error['msg'].removeprefix('Value error, ')}")
    return "invalid setting " + "; ".join(parts)


def reference_markdown(sections: dict[str, type[BaseModel]] | None = None) -> str:
    """A Markdown table of every setting: key, default, environment variable and description.

    :param sections: plugin sections (name -> settings model) to document after the core keys.
    """
    lines = ["| key | default | environment | description |", "|---|---|---|---|"]
    lines += _rows(Settings, prefix="")
    for name, model in sorted((sections or {}).items()):
        lines += _rows(model, prefix=f"{name}.")
    return "\n".join(lines) + "\n"


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for field_name, field in model.model_fields.items():
        annotation = field.annotation
        key = f"{prefix}{field_name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, prefix=f"{key}.")
            continue
        default = field.get_default(call_default_factory=True)
        shown = "(unset)" if default is None else f"`{_toml_value(default)}`"
        env = ENV_PREFIX + key.upper().replace(".", "__")
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{key}` | {shown} | `{env}` | {description} |")
        if field_name in secret_fields(model):
            rows.append(
                f"| `{key}{FILE_SUFFIX}` | (unset) | `{env}{FILE_SUFFIX.upper()}` | A file holding `{key}` (one "
                "trailing newline dropped): keeps the secret out of the environment. |"
            )
    return rows


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value)
