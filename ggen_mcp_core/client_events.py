"""Change notifications to clients, in both protocol eras, from one place.

- 2026-07-28 clients open a ``subscriptions/listen`` stream naming what they want (tool/prompt/resource list
  changes, updates of resource URIs); events go through the SDK's subscription bus, which filters per stream.
- 2025-11-25 clients are told on their connection's standalone channel: list changes go to every connection
  this server has seen, ``notifications/resources/updated`` only to connections that sent
  ``resources/subscribe`` for that URI (``resources/unsubscribe`` or the connection closing ends it).

Packs raise the events through their context: ``await ctx.resource_changed(uri, ...)`` after a successful
write, ``await ctx.notify_list_changed("tools")`` when a list changed. With no server running (``ggen-mcp
call``) nobody listens and nothing is sent.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Literal

from mcp_types import LATEST_PROTOCOL_VERSION

if TYPE_CHECKING:
    from mcp.server.subscriptions import InMemorySubscriptionBus

ListKind = Literal["tools", "resources", "prompts"]
_LIST_METHODS: dict[str, str] = {
    "tools": "notifications/tools/list_changed",
    "resources": "notifications/resources/list_changed",
    "prompts": "notifications/prompts/list_changed",
}


def connection_of(session: Any) -> Any:
    """The per-connection object behind an SDK session (the SDK makes one ServerSession per request)."""
    return getattr(session, "_connection", session)


def is_legacy(session: Any) -> bool:
    """Whether the session speaks a handshake era (2025-11-25), where notifications use the connection."""
    version = getattr(session, "protocol_version", None)
    return version is not None and version != LATEST_PROTOCOL_VERSION


class ClientEvents:
    """The subscription bus (2026-07-28) and the legacy connections with their resource subscriptions."""

    def __init__(self) -> None:
        from mcp.server.subscriptions import InMemorySubscriptionBus

        self.bus: InMemorySubscriptionBus = InMemorySubscriptionBus()
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._subscriptions: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()

    def saw(self, session: Any) -> None:
        """Remember a legacy connection (list changes reach every one of them)."""
        if session is not None and is_legacy(session):
            self._connections.add(connection_of(session))

    def subscribe(self, session: Any, uri: str) -> None:
        """``resources/subscribe`` on a legacy connection."""
        connection = connection_of(session)
        self._connections.add(connection)
        self._subscriptions.setdefault(connection, set()).add(uri)

    def unsubscribe(self, session: Any, uri: str) -> None:
        """``resources/unsubscribe``: no more updates of ``uri`` on this connection."""
        self._subscriptions.get(connection_of(session), set()).discard(uri)

    def subscribers(self, uri: str) -> int:
        """How many legacy connections are subscribed to ``uri``."""
        return sum(uri in uris for uris in list(self._subscriptions.values()))

    async def list_changed(self, kind: ListKind) -> None:
        """Tell every client that the tools (resources, prompts) list changed."""
        from mcp.server.subscriptions import PromptsListChanged, ResourcesListChanged, ToolsListChanged

        events: dict[str, ToolsListChanged | ResourcesListChanged | PromptsListChanged] = {
            "tools": ToolsListChanged(),
            "resources": ResourcesListChanged(),
            "prompts": PromptsListChanged(),
        }
        await self.bus.publish(events[kind])
        for connection in list(self._connections):
            await connection.notify(_LIST_METHODS[kind], None)

    async def resource_changed(self, *uris: str) -> None:
        """Send ``notifications/resources/updated`` for each URI to the clients subscribed to it."""
        from mcp.server.subscriptions import ResourceUpdated

        for uri in dict.fromkeys(uris):
            await self.bus.publish(ResourceUpdated(uri=uri))
            for connection, subscribed in list(self._subscriptions.items()):
                if uri in subscribed:
                    await connection.notify("notifications/resources/updated", {"uri": uri})


class SeenConnections:
    """Server middleware: remembers each legacy connection a request arrives on (for list changes)."""

    def __init__(self, events: ClientEvents) -> None:
        self.events = events

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        self.events.saw(ctx.session)
        return await call_next(ctx)
