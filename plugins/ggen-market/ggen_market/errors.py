"""The market's failures; each is a ``ToolError`` whose message says what happened and what to do."""

from __future__ import annotations

from ggen_mcp_core import ToolError


class MarketError(ToolError):
    """Any market failure a person can act on."""


class ArchiveRejected(MarketError):
    """A pack archive or tree breaks the safety rules (links, devices, traversal, size, member count)."""


class IntegrityError(MarketError):
    """Downloaded or cached content does not match the sha256 or size the registry or ggen.lock pins."""


class RegistryUnavailable(MarketError):
    """The registry cannot be reached (down, timing out, refusing, or its circuit breaker is open)."""


class UrlRefused(MarketError):
    """A registry, archive, redirect or git URL that the URL policy does not allow."""


class ResolutionError(MarketError):
    """Dependencies cannot be resolved: unknown pack, no matching version, conflict or cycle."""
