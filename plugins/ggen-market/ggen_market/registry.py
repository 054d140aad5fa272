"""Where the registry is, and its index cached in the host's cache directory (never the workspace).

The cached copy (``<cache_dir>/market/registries/<key>/index.json`` with ``meta.json``: when it was
fetched, its ETag and Last-Modified) is what search, list and info read. It is fresh for ``cache_ttl``
seconds; after that the next read asks the registry again with a conditional request. When the registry
cannot be reached (down, timing out, breaker open) the cached copy is served with ``stale: true`` and a
note. Local registries (bundled, ``file://``) are re-read whenever their ``index.json`` changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import anyio.to_thread

from ggen_market.bundled import ensure_bundled
from ggen_market.errors import MarketError, RegistryUnavailable
from ggen_market.index import RegistryIndex, parse_index
from ggen_market.metrics import INDEX_CACHE
from ggen_market.names import InvalidName, check_relative_path
from ggen_market.settings import BUNDLED, MarketSettings
from ggen_market.urlpolicy import UrlPolicy, check_static
from ggen_mcp_core import atomic_write

Kind = Literal["bundled", "file", "http"]
Mode = Literal["auto", "cached", "refresh"]


@dataclass(frozen=True)
class Registry:
    """A configured registry: ``bundled``, a ``file://`` directory, or an http(s) URL."""

    url: str
    kind: Kind
    index_url: str
    base_dir: Path | None = None

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    def archive_ref(self, href: str) -> str:
        """An index ``url`` made absolute: a URL, a ``file://`` URL, or ``bundled:<path>``."""
        if urlsplit(href).scheme:
            return href
        if self.kind == "http":
            return urljoin(self.index_url, href)
        try:
            relative = check_relative_path(href)
        except InvalidName as exc:
            raise MarketError(f"the index names a bad archive path: {exc}") from None
        if self.kind == "bundled":
            return f"bundled:{relative}"
        assert self.base_dir is not None
        return (self.base_dir / relative).as_uri()


def locate(settings: MarketSettings, policy: UrlPolicy, cache_root: Path) -> Registry:
    """The registry the settings name (the bundled one is built on first use)."""
    url = settings.registry_url.strip()
    if url == BUNDLED:
        directory = ensure_bundled(cache_root)
        return Registry(BUNDLED, "bundled", str(directory / "index.json"), directory)
    scheme, _host = check_static(url, policy, what="registry URL (market.registry_url)")
    if scheme == "file":
        path = Path(url2pathname(urlsplit(url).path))
        index_path = path if path.suffix == ".json" else path / "index.json"
        return Registry(url, "file", str(index_path), index_path.parent)
    index_url = url if urlsplit(url).path.endswith(".json") else url.rstrip("/") + "/index.json"
    return Registry(url, "http", index_url)


@dataclass
class IndexView:
    """The index a call works with, and how much to trust it."""

    index: RegistryIndex
    registry: Registry
    fetched_at: float
    stale: bool = False
    note: str | None = None


@dataclass
class Meta:
    """What ``meta.json`` remembers about the cached index."""

    registry: str
    fetched_at: float
    etag: str | None = None
    last_modified: str | None = None
    source_stat: list[int] | None = None
    sha256: str = ""

    @classmethod
    def read(cls, path: Path) -> Meta | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})
        except (OSError, ValueError, TypeError):
            return None

    def dump(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


_MEMO: dict[str, tuple[tuple[int, int, int], RegistryIndex]] = {}
_META_MEMO: dict[str, tuple[tuple[int, int, int], Meta]] = {}


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _parse_cached(path: Path) -> RegistryIndex:
    key = _stat_key(path)
    memo = _MEMO.get(str(path))
    if memo is not None and memo[0] == key:
        return memo[1]
    index = parse_index(path.read_bytes())
    if len(_MEMO) > 16:
        _MEMO.clear()
    _MEMO[str(path)] = (key, index)
    return index


class IndexStore:
    """The cached index of one registry, and how to refresh it."""

    def __init__(self, registry: Registry, cache_dir: Path, settings: MarketSettings, client: Any) -> None:
        self.registry = registry
        self.dir = cache_dir
        self.settings = settings
        self.client = client  # an HttpClient for http registries, else None
        self.index_path = cache_dir / "index.json"
        self.meta_path = cache_dir / "meta.json"

    def meta(self) -> Meta | None:
        """What meta.json says (read once per change of the file), or None without a cached index."""
        try:
            key = _stat_key(self.meta_path)
        except OSError:
            return None
        memo = _META_MEMO.get(str(self.meta_path))
        if memo is not None and memo[0] == key:
            return dataclasses.replace(memo[1])
        meta = Meta.read(self.meta_path) if self.index_path.is_file() else None
        if meta is not None:
            _META_MEMO[str(self.meta_path)] = (key, meta)
        return dataclasses.replace(meta) if meta is not None else None

    def cached(self, meta: Meta | None = None) -> IndexView | None:
        """The cached index (parsed once per change), or None."""
        meta = meta or self.meta()
        if meta is None:
            return None
        try:
            index = _parse_cached(self.index_path)
        except (OSError, MarketError):
            return None
        stale = time.time() - meta.fetched_at > self.settings.cache_ttl
        return IndexView(index, self.registry, meta.fetched_at, stale=stale)

    async def load(self, mode: Mode = "auto") -> IndexView:
        """The index to work with: cached when fresh, else fetched; the cached copy, stale, on failure."""
        meta = self.meta()
        view = await self._cached(meta)
        if mode == "cached":
            if view is None:
                raise MarketError(
                    f"no cached index for registry {self.registry.url}; run market_sync once while it is reachable"
                )
            return view
        if view is not None and not view.stale and not self._local_changed(meta):
            INDEX_CACHE.labels(result="hit").inc()
            return view
        try:
            await self.fetch(force=False)
        except RegistryUnavailable as exc:
            if view is None:
                raise RegistryUnavailable(f"{exc}; and there is no cached index to fall back on") from None
            INDEX_CACHE.labels(result="stale").inc()
            view.stale = True
            view.note = f"registry unreachable, answering from the cached index: {exc}"
            return view
        INDEX_CACHE.labels(result="miss").inc()
        fresh = await self._cached(self.meta())
        assert fresh is not None
        fresh.stale = False
        return fresh

    async def _cached(self, meta: Meta | None) -> IndexView | None:
        """:meth:`cached`, parsing in a worker thread when the index changed (large indexes take a while)."""
        memo = _MEMO.get(str(self.index_path))
        try:
            parsed = memo is not None and memo[0] == _stat_key(self.index_path)
        except OSError:
            parsed = False
        if parsed:
            return self.cached(meta)
        return await anyio.to_thread.run_sync(self.cached, meta)

    def _local_changed(self, meta: Meta | None) -> bool:
        if self.registry.kind == "http":
            return False
        try:
            return meta is None or meta.source_stat != list(_stat_key(Path(self.registry.index_url)))
        except OSError:
            return True

    async def fetch(self, *, force: bool) -> tuple[bytes | None, Meta]:
        """Ask the registry for its index; return ``(new bytes or None when unchanged, meta)``."""
        raw, meta = await self._download(force)
        if raw is not None:
            await anyio.to_thread.run_sync(self._store, raw, meta)
        else:
            await anyio.to_thread.run_sync(self.touch, meta)
        return raw, meta

    def touch(self, meta: Meta) -> None:
        """Record that the registry confirmed the cached index (a 304 or an unchanged local file)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.meta_path, meta.dump())

    async def download(self, force: bool) -> tuple[bytes | None, Meta]:
        """:meth:`fetch` without storing (for dry runs)."""
        return await self._download(force)

    async def _download(self, force: bool) -> tuple[bytes | None, Meta]:
        previous = self.meta()
        if self.registry.kind != "http":
            return await anyio.to_thread.run_sync(self._read_local, previous, force)
        headers: dict[str, str] = {}
        if previous is not None and not force:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        response = await self.client.get(
            self.registry.index_url, max_bytes=self.settings.max_index_bytes, headers=headers
        )
        now = time.time()
        if response.status == 304 and previous is not None:
            previous.fetched_at = now
            return None, previous
        etag = response.headers.get("etag")
        modified = response.headers.get("last-modified")
        meta = Meta(self.registry.url, now, etag, modified, None, hashlib.sha256(response.body).hexdigest())
        return response.body, meta

    def _read_local(self, previous: Meta | None, force: bool) -> tuple[bytes | None, Meta]:
        path = Path(self.registry.index_url)
        try:
            stat_key = list(_stat_key(path))
            if path.stat().st_size > self.settings.max_index_bytes:
                raise MarketError(f"{path} is larger than market.max_index_bytes")
            raw = path.read_bytes()
        except FileNotFoundError:
            raise RegistryUnavailable(f"registry index {path} does not exist") from None
        except OSError as exc:
            raise RegistryUnavailable(f"cannot read registry index {path}: {exc}") from None
        digest = hashlib.sha256(raw).hexdigest()
        meta = Meta(self.registry.url, time.time(), None, None, stat_key, digest)
        if previous is not None and previous.sha256 == digest and not force:
            return None, meta
        return raw, meta

    def _store(self, raw: bytes, meta: Meta) -> None:
        parse_index(raw)  # refuse to cache something unusable
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.index_path, raw)
        atomic_write(self.meta_path, meta.dump())

    def write(self, raw: bytes, meta: Meta) -> None:
        """Store index bytes (used by sync when it merges one category)."""
        self._store(raw, meta)


def cache_size(directory: Path) -> int:
    """Bytes used under a directory (symbolic links not followed)."""
    total = 0
    for current, _dirs, files in os.walk(directory, followlinks=False):
        for name in files:
            try:
                total += os.lstat(os.path.join(current, name)).st_size
            except OSError:
                continue
    return total
