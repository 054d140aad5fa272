"""The market as one call sees it: its settings, workspace layout, registry, breaker and cached index."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import anyio.to_thread

from ggen_market.breaker import CircuitBreaker, breaker_for
from ggen_market.errors import MarketError
from ggen_market.net import HttpClient, origin_of
from ggen_market.registry import IndexStore, IndexView, Mode, Registry, locate
from ggen_market.settings import MarketSettings
from ggen_market.store import Layout
from ggen_market.urlpolicy import UrlPolicy

if TYPE_CHECKING:
    from pathlib import Path

    from ggen_mcp_core import Workspace


_LOCATED: dict[tuple[str, str, bool], Registry] = {}


def _exists(path: str) -> bool:
    """One stat: is the bundled registry's build still there (cheap enough for the event loop)."""
    return os.path.isfile(path)


class Market:
    """Everything a market tool needs, built per call from the context."""

    def __init__(self, settings: MarketSettings, workspace: Workspace, cache: Path) -> None:
        """:param cache: the market's folder in the host's cache directory (``<cache_dir>/market``)."""
        self.settings = settings
        self.workspace = workspace
        self.layout = Layout(workspace.root, cache)
        self.policy = UrlPolicy(settings.allow_file_urls, frozenset(h.lower() for h in settings.allowed_hosts))
        self._registry: Registry | None = None

    def check_layout(self) -> None:
        """Refuse to work when a market directory is a symbolic link (it could lead somewhere else)."""
        root = self.workspace.root
        for path in (
            self.layout.state,
            self.layout.packs,
            self.layout.tmp.parent,
            self.layout.tmp,
            self.layout.cache,
            self.layout.archives,
            self.layout.downloads,
        ):
            if path.is_symlink() or (path.exists() and os.path.realpath(path) != str(path)):
                shown = path.relative_to(root) if path.is_relative_to(root) else path
                raise MarketError(f"{shown} is a symbolic link; refusing to install through it")

    def registry_sync(self) -> Registry:
        """The registry (builds the bundled one on first use: blocking)."""
        if self._registry is None:
            self.check_layout()
            self._registry = locate(self.settings, self.policy, self.layout.cache)
            _LOCATED[self._located_key()] = self._registry
        return self._registry

    def _located_key(self) -> tuple[str, str, bool]:
        return (self.settings.registry_url, str(self.layout.cache), self.settings.allow_file_urls)

    async def registry(self) -> Registry:
        """The registry; found once per process and workspace, then answered without touching the disk
        (unless the bundled registry's build has been deleted meanwhile)."""
        if self._registry is None:
            known = _LOCATED.get(self._located_key())
            if known is not None and (known.kind != "bundled" or _exists(known.index_url)):
                self._registry = known
            else:
                await anyio.to_thread.run_sync(self.registry_sync)
        assert self._registry is not None
        return self._registry

    def breaker(self, registry: Registry) -> CircuitBreaker:
        name = origin_of(registry.index_url) if registry.kind == "http" else registry.url
        return breaker_for(name, self.settings.breaker_threshold, self.settings.breaker_reset)

    def client(self, registry: Registry) -> HttpClient:
        origin = origin_of(registry.index_url) if registry.kind == "http" else None
        return HttpClient(self.settings, self.breaker(registry), self.policy, origin)

    async def store(self) -> IndexStore:
        registry = await self.registry()
        client = self.client(registry) if registry.kind == "http" else None
        return IndexStore(registry, self.layout.registry_cache(registry.key), self.settings, client)

    async def index(self, mode: Mode = "auto") -> IndexView:
        """The index to answer from (see :meth:`IndexStore.load`)."""
        store = await self.store()
        return await store.load(mode)
