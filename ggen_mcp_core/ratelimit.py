"""Per-principal rate limits with the ``limits`` library: bounded memory storage, or Redis for replicas."""

from __future__ import annotations

import functools
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
import structlog

from ggen_mcp_core.config import RateLimitSettings
from ggen_mcp_core.principal import Principal

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.storage import Storage
    from limits.strategies import MovingWindowRateLimiter

log = structlog.get_logger("ggen_mcp.ratelimit")

STORAGE_RETRY_SECONDS = 1.0  # after a storage failure, calls follow the policy without trying it for this long


@dataclass(frozen=True)
class Decision:
    """Whether a call may proceed, and if not, when to retry."""

    allowed: bool
    limit: str
    retry_after: float = 0.0
    degraded: bool = False


class RateLimiter:
    """A moving-window limit per principal (anonymous callers: per client address)."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.settings = settings
        self._memory = settings.storage.startswith("memory")
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._storage_down_until = 0.0  # a short breaker: a dead Redis costs one attempt and one log line a second
        self._built = False
        if not self._memory or (settings.limit, settings.anonymous_limit) != _DEFAULT_LIMITS:
            self._build()  # a configured limit or storage is parsed (a malformed one refused) at start

    def _build(self) -> None:
        """Parse the limits and make the storage and the strategy: at start when configured, else (the
        defaults in memory, known to parse) on the first check, so a server starts without the ``limits``
        package (about 0.1 s of imports). Runs on the event loop's thread, never twice."""
        if self._built:
            return
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self._item = parse(self.settings.limit)
        self._anonymous_item = parse(self.settings.anonymous_limit)
        options: dict[str, float | str | bool] = {}
        if not self._memory:
            options = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
        self._storage = (
            inline_expiry_memory_storage() if self._memory else storage_from_string(self.settings.storage, **options)
        )
        self._strategy: MovingWindowRateLimiter = MovingWindowRateLimiter(self._storage)
        self._built = True

    async def check(self, principal: Principal) -> Decision:
        """Count one call for ``principal``; refuse it over the limit. Storage errors follow the policy."""
        self._build()
        item = self._item if principal.authenticated else self._anonymous_item
        key = principal.name
        if time.monotonic() < self._storage_down_until:
            return self._degraded(item)
        try:
            if self._memory:  # in-process dictionaries: no I/O, fine on the event loop
                allowed, reset = self._hit(item, key)
            else:  # a network round trip to Redis: off the event loop
                allowed, reset = await anyio.to_thread.run_sync(self._hit, item, key)
            if allowed:
                return Decision(allowed=True, limit=str(item))
            return Decision(allowed=False, limit=str(item), retry_after=max(0.0, reset - time.time()))
        except Exception as exc:
            self._storage_down_until = time.monotonic() + STORAGE_RETRY_SECONDS
            error = f"{type(exc).__name__}: {exc}"
            if self.settings.on_storage_error == "deny":
                log.error("rate-limit storage failed; refusing", error=error, retry_in_s=STORAGE_RETRY_SECONDS)
            else:
                log.warning("rate-limit storage failed; serving without limits", error=error)
            return self._degraded(item)

    async def probe(self, seconds: float) -> str | None:
        """Why the storage cannot be used (Redis down or not answering within ``seconds``), or None.
        Memory storage needs no probe."""
        if self._memory:
            return None
        answered = False
        with anyio.move_on_after(seconds):
            answered = await anyio.to_thread.run_sync(self._ping, abandon_on_cancel=True)
        if answered:
            return None
        policy = self.settings.on_storage_error
        return f"rate-limit storage {_redacted(self.settings.storage)} does not answer (on_storage_error = {policy})"

    def _ping(self) -> bool:
        return bool(self._storage.check())

    def _degraded(self, item: RateLimitItem) -> Decision:
        """The decision while the storage is failing: the ``on_storage_error`` policy."""
        if self.settings.on_storage_error == "deny":
            return Decision(allowed=False, limit=str(item), retry_after=STORAGE_RETRY_SECONDS, degraded=True)
        return Decision(allowed=True, limit=str(item), degraded=True)

    def _hit(self, item: RateLimitItem, key: str) -> tuple[bool, float]:
        if self._memory:
            self._bound(key)
        if self._strategy.hit(item, "ggen-mcp", key):
            return True, 0.0
        return False, self._strategy.get_window_stats(item, "ggen-mcp", key).reset_time

    def _bound(self, key: str) -> None:
        """Keep at most ``max_keys`` principals in memory storage: the least recently seen go first."""
        with self._lock:
            self._recent[key] = None
            self._recent.move_to_end(key)
            while len(self._recent) > self.settings.max_keys:
                oldest, _ = self._recent.popitem(last=False)
                for item in (self._item, self._anonymous_item):
                    self._storage.clear(item.key_for("ggen-mcp", oldest))

    @property
    def tracked_keys(self) -> int:
        """Principals currently tracked by the memory storage."""
        return len(self._recent)


_DEFAULT_LIMITS = (
    RateLimitSettings.model_fields["limit"].default,
    RateLimitSettings.model_fields["anonymous_limit"].default,
)


@functools.cache
def _inline_expiry_class() -> type[Storage]:
    from limits.storage import MemoryStorage

    class InlineExpiryMemoryStorage(MemoryStorage):
        """limits' memory storage, minus a new ``threading.Timer`` thread for expiry after nearly every hit
        (1-2 ms per call on a busy server): expired entries are swept inline, at most once a second. A moving
        window ignores expired entries anyway; the sweep only frees memory."""

        _last_sweep = 0.0

        def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the name-mangled private method
            now = time.monotonic()
            if now - self._last_sweep >= 1.0:
                self._last_sweep = now
                getattr(self, "_MemoryStorage__expire_events")()  # noqa: B009 - name-mangled private method

    return InlineExpiryMemoryStorage


def inline_expiry_memory_storage() -> Storage:
    """A memory storage that expires entries inline (the class is made with the ``limits`` import)."""
    return _inline_expiry_class()()


def _redacted(url: str) -> str:
    """A storage URL without its password (``redis://:secret@host`` -> ``redis://***@host``)."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    return f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}"


def retry_after_seconds(decision: Decision) -> int:
    """Whole seconds to wait, at least one."""
    return max(1, math.ceil(decision.retry_after))
