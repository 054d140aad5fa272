"""HTTP for the market: timeouts, retries with backoff and jitter (GET only), the breaker, checked
redirects, streamed downloads with a size cap, and conditional index requests.

Every URL and every redirect target passes :func:`ggen_market.urlpolicy.check_url` before a connection
is made. Responses are read in chunks and abandoned as soon as they pass their cap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

from ggen_market.breaker import CircuitBreaker, backoff_delay
from ggen_market.errors import ArchiveRejected, IntegrityError, MarketError, RegistryUnavailable
from ggen_market.urlpolicy import UrlPolicy, check_url

if TYPE_CHECKING:
    from ggen_market.settings import MarketSettings

REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "ggen-mcp-market/0.1"


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix (connection, timeout, 5xx, 429)."""


@dataclass
class Response:
    """A finished GET: status, headers and (for 200) the body that was read."""

    status: int
    headers: dict[str, str]
    url: str
    body: bytes = b""


@dataclass
class _Sink:
    """Where a response body goes: memory (index) or a file (archive), with the byte cap."""

    limit: int
    label: str
    path: Path | None = None
    declared: int | None = None
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    chunks: list[bytes] = field(default_factory=list)

    def over(self, size: int) -> MarketError:
        if self.declared is not None and size > self.declared:
            return IntegrityError(f"{self.label} is larger than the {self.declared} bytes the registry declares")
        return ArchiveRejected(f"{self.label} is larger than the {self.limit}-byte limit")


class HttpClient:
    """GETs against one registry, sharing its breaker."""

    def __init__(self, settings: MarketSettings, breaker: CircuitBreaker, policy: UrlPolicy, origin: str | None):
        self.settings = settings
        self.breaker = breaker
        self.policy = policy
        self.origin = origin
        self.sleep: Callable[[float], Any] = anyio.sleep

    def _timeout(self) -> httpx.Timeout:
        s = self.settings
        return httpx.Timeout(
            connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=s.connect_timeout
        )

    def _headers(self, url: str, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        token = self.settings.registry_token
        if token is not None and self.origin is not None and _origin(url) == self.origin:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        headers.update(extra or {})
        return headers

    async def get(self, url: str, *, max_bytes: int, headers: dict[str, str] | None = None) -> Response:
        """GET ``url`` into memory (200) or report 304; other answers raise."""
        sink = _Sink(limit=max_bytes, label=f"the index at {url}")
        response = await self._with_retries(url, headers, sink)
        response.body = b"".join(sink.chunks)
        return response

    async def download(self, url: str, target: Path, *, max_bytes: int, declared: int | None) -> tuple[int, str]:
        """Stream ``url`` into ``target``; return ``(size, sha256 of the bytes)``."""
        limit = min(max_bytes, declared) if declared is not None else max_bytes
        if declared is not None and declared > max_bytes:
            raise ArchiveRejected(
                f"the archive at {url} is {declared} bytes, over the {max_bytes}-byte limit (market.max_archive_bytes)"
            )
        sink = _Sink(limit=limit, label=f"the archive at {url}", path=target, declared=declared)
        await self._with_retries(url, None, sink)
        if declared is not None and sink.size != declared:
            raise IntegrityError(
                f"the archive at {url} was cut short: {sink.size} of the {declared} bytes the registry declares"
            )
        return sink.size, sink.digest.hexdigest()

    async def _with_retries(self, url: str, headers: dict[str, str] | None, sink: _Sink) -> Response:
        last: str = "no attempt"
        self.breaker.before()
        for attempt in range(1, self.settings.retries + 1):
            if attempt > 1:
                await self.sleep(backoff_delay(attempt - 1, self.settings.backoff))
            _reset(sink)
            try:
                with anyio.fail_after(self.settings.download_timeout):
                    response = await self._attempt(url, headers, sink)
            except _Retryable as exc:
                last = str(exc)
                continue
            except TimeoutError:
                last = f"no complete answer within {self.settings.download_timeout:g} s"
                continue
            self.breaker.success()
            return response
        self.breaker.failure()
        raise RegistryUnavailable(f"GET {url} failed after {self.settings.retries} attempt(s): {last}")

    async def _attempt(self, url: str, headers: dict[str, str] | None, sink: _Sink) -> Response:
        current = url
        async with httpx.AsyncClient(timeout=self._timeout(), follow_redirects=False, trust_env=False) as client:
            for _ in range(self.settings.max_redirects + 1):
                await check_url(current, self.policy, what="URL")
                try:
                    response = await self._stream(client, current, headers, sink)
                except httpx.TimeoutException as exc:
                    raise _Retryable(f"timed out ({type(exc).__name__})") from None
                except httpx.TransportError as exc:
                    raise _Retryable(f"{type(exc).__name__}: {exc}") from None
                if response.status in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise MarketError(f"{current} answered {response.status} without a Location")
                    current = urljoin(current, location)
                    continue
                return response
        raise MarketError(f"GET {url}: more than {self.settings.max_redirects} redirects")

    async def _stream(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str] | None, sink: _Sink
    ) -> Response:
        async with client.stream("GET", url, headers=self._headers(url, headers)) as raw:
            response = Response(raw.status_code, dict(raw.headers), str(raw.url))
            if raw.status_code >= 500 or raw.status_code == 429:
                raise _Retryable(f"the server answered {raw.status_code}")
            if raw.status_code in REDIRECTS or raw.status_code == 304:
                return response
            if raw.status_code != 200:
                raise MarketError(f"GET {url} answered {raw.status_code}; check the registry URL and pack entry")
            length = raw.headers.get("content-length", "")
            if length.isdigit() and int(length) > sink.limit:
                raise sink.over(int(length))
            await _consume(raw, sink)
            return response


async def _consume(raw: httpx.Response, sink: _Sink) -> None:
    handle = open(sink.path, "wb") if sink.path is not None else None  # noqa: ASYNC230, SIM115
    try:
        async for chunk in raw.aiter_raw():
            sink.size += len(chunk)
            if sink.size > sink.limit:
                raise sink.over(sink.size)
            sink.digest.update(chunk)
            if handle is not None:
                handle.write(chunk)
            else:
                sink.chunks.append(chunk)
    finally:
        if handle is not None:
            handle.close()


def _reset(sink: _Sink) -> None:
    sink.size = 0
    sink.digest = hashlib.sha256()
    sink.chunks = []


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL (what the breaker and the token are keyed by)."""
    return _origin(url)
