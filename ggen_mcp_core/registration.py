"""What registration refuses: the contract rules the loader checks for every pack (docs/plugins.md).

- a tool handler must be a coroutine function (``async def``): a sync handler would pass registration and
  then fail every call;
- the first-party prefixes (:data:`RESERVED_PREFIXES`) belong to their distributions: a tool or prompt
  under ``graph_`` from any distribution but ``ggen-graph`` is refused, whatever the load order, so an intruder
  can never push the owner out;
- resource URIs under ``ggen://`` belong to the host and the first-party packs, for the same reason;
- a collision names both owners;
- a pack's CLI command may not replace a built-in command or another pack's command.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Mapping
from typing import Any

RESERVED_PREFIXES: Mapping[str, str] = {
    "graph_": "ggen-graph",
    "template_": "ggen-template",
    "project_": "ggen-template",
    "market_": "ggen-market",
    "hook_": "ggen-hook",
    "ai_": "ggen-ai",
}
FIRST_PARTY_DISTRIBUTIONS = frozenset(RESERVED_PREFIXES.values())
RESERVED_URI_PREFIX = "ggen://"  # resources of the host (ggen-mcp) and the first-party packs
HOST_DISTRIBUTION = "ggen-mcp"
SYNC_HANDLER_HINT = "handlers are `async def`; run blocking work with ctx.run_sync"


def normalized_distribution(name: str | None) -> str | None:
    """A distribution name in its canonical form (PEP 503): ``ggen_graph`` and ``GGEN.Graph`` are ``ggen-graph``."""
    return re.sub(r"[-_.]+", "-", name).lower() if name else None


def is_first_party(distribution: str | None) -> bool:
    """Whether a distribution is one of the first-party packs that own a reserved prefix."""
    return normalized_distribution(distribution) in FIRST_PARTY_DISTRIBUTIONS


def owner(plugin: str, distribution: str | None) -> str:
    """How an error names the plugin that owns (or claims) something: ``plugin 'graph' (distribution ggen-graph)``."""
    return f"plugin {plugin!r} (distribution {distribution or 'none: added in-process'})"


def is_coroutine_handler(handler: Any) -> bool:
    """``async def`` functions, ``functools.partial`` of them, and objects whose ``__call__`` is ``async def``."""
    if inspect.iscoroutinefunction(handler):
        return True
    call = getattr(type(handler), "__call__", None)  # noqa: B004 - the class's __call__, not callable()
    return not inspect.isroutine(handler) and call is not None and inspect.iscoroutinefunction(call)


def handler_problem(name: str, handler: Any) -> str | None:
    """Why a tool's handler cannot be called by the pipeline, or None."""
    if not callable(handler) or is_coroutine_handler(handler):
        return None  # a non-callable is reported by check_tool
    return f"tool {name!r}: handler {_described(handler)} is not a coroutine function: {SYNC_HANDLER_HINT}"


def _described(handler: Any) -> str:
    if isinstance(handler, functools.partial):
        return f"functools.partial({_described(handler.func)})"
    return str(getattr(handler, "__qualname__", None) or type(handler).__qualname__)


def reserved_prefix_problem(kind: str, name: str, plugin: str, distribution: str | None) -> str | None:
    """Why ``plugin`` may not register ``name`` (a tool or prompt) under a first-party prefix, or None."""
    for prefix, owning in RESERVED_PREFIXES.items():
        if name.startswith(prefix) and normalized_distribution(distribution) != owning:
            return (
                f"{kind} {name!r} of {owner(plugin, distribution)} uses the prefix {prefix!r}, reserved for the "
                f"first-party distribution {owning}; choose a prefix of your own"
            )
    return None


def reserved_uri_problem(kind: str, uri: str, plugin: str, distribution: str | None) -> str | None:
    """Why ``plugin`` may not register a resource (or template) under ``ggen://``, or None."""
    allowed = FIRST_PARTY_DISTRIBUTIONS | {HOST_DISTRIBUTION}
    if uri.startswith(RESERVED_URI_PREFIX) and normalized_distribution(distribution) not in allowed:
        return (
            f"{kind} {uri!r} of {owner(plugin, distribution)} uses {RESERVED_URI_PREFIX}, reserved for ggen-mcp and "
            "its first-party packs; choose a scheme of your own"
        )
    return None


def collision_problem(kind: str, name: str, claimant: str, holder: str) -> str:
    """The refusal of a second registration of ``name``, naming both owners."""
    return f"{kind} {name!r} of {claimant} is already registered by {holder}"


def command_problem(command: str, claimant: str, holder: str) -> str:
    """The refusal of a CLI command that would replace one already there, naming both owners."""
    return (
        f"command {command!r} of {claimant} is refused: it would replace the command of {holder}, which stays; "
        "choose another name"
    )
