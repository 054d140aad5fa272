"""The ``[market]`` settings section (environment ``GGEN_MCP_MARKET__<KEY>``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ggen_mcp_core import CommaList

if TYPE_CHECKING:
    from ggen_market.packhash import Limits

BUNDLED = "bundled"


class MarketSettings(BaseModel):
    """Where the registry is, how long to trust its cached index, and the caps on what it serves."""

    model_config = ConfigDict(extra="forbid")

    registry_url: str = Field(
        BUNDLED,
        description="`bundled` (the registry shipped inside ggen-market), an https URL, an http URL on "
        "127.0.0.1/localhost, or a file:// URL when allow_file_urls is on. Points at index.json or its folder.",
        max_length=2048,
    )
    allow_file_urls: bool = Field(False, description="Accept file:// registries, archives and git URLs.")
    allowed_hosts: CommaList = Field(
        default_factory=list,
        description="Host names that may resolve to private addresses (an intranet registry; comma or JSON "
        "list, compared case-insensitively).",
    )
    registry_token: SecretStr | None = Field(
        None, description="Bearer token sent to the registry's own origin only (private registries)."
    )
    cache_ttl: float = Field(3600.0, ge=0, description="Seconds the cached index counts as fresh.")
    connect_timeout: float = Field(5.0, gt=0, le=120, description="HTTP connect timeout (seconds).")
    read_timeout: float = Field(30.0, gt=0, le=600, description="HTTP read timeout between bytes (seconds).")
    download_timeout: float = Field(120.0, gt=0, le=3600, description="Deadline for one whole download.")
    retries: int = Field(3, ge=1, le=10, description="Attempts per GET (retries on connection errors and 5xx).")
    backoff: float = Field(0.5, ge=0, le=60, description="First backoff in seconds; doubles, with full jitter.")
    breaker_threshold: int = Field(5, ge=1, le=1000, description="Failed requests that open the breaker.")
    breaker_reset: float = Field(30.0, gt=0, le=3600, description="Seconds the breaker stays open.")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed, each checked again.")
    max_index_bytes: int = Field(32 * 1024 * 1024, gt=0, description="Largest index.json accepted.")
    max_archive_bytes: int = Field(20 * 1024 * 1024, gt=0, description="Largest pack archive downloaded.")
    max_unpacked_bytes: int = Field(100 * 1024 * 1024, gt=0, description="Largest pack once unpacked.")
    max_members: int = Field(2000, gt=0, description="Most files and directories in a pack.")
    max_packs_per_install: int = Field(100, gt=0, le=10_000, description="Most packs one install resolves.")
    git_timeout: float = Field(120.0, gt=0, le=3600, description="Deadline for cloning a git_url pack.")
    lock_timeout: float = Field(60.0, gt=0, le=3600, description="Seconds to wait for another install.")

    @property
    def limits(self) -> Limits:
        from ggen_market.packhash import Limits  # with its archive checks, on first use (not at start)

        return Limits(
            max_members=self.max_members,
            max_unpacked_bytes=self.max_unpacked_bytes,
            max_file_bytes=self.max_unpacked_bytes,
        )
