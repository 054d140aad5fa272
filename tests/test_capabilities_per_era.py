"""Every capability the server advertises answers, per protocol era, over in-memory and HTTP sessions.

2025-11-25: ``logging`` is ``logging/setLevel`` (and the messages it lets through); ``resources.subscribe`` is
``resources/subscribe`` followed by ``notifications/resources/updated``; ``listChanged`` notifications come on
the connection. 2026-07-28: ``logging`` is the per-request ``_meta`` log level (the revision removed
``logging/setLevel``); subscriptions and list changes ride ``subscriptions/listen`` streams.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import open_client, tool_text

pytestmark = pytest.mark.anyio
ERAS = {"legacy": "2025-11-25", "auto": "2026-07-28"}
TRANSPORTS = ["memory", "http"]


@pytest.fixture
def host(fixture_site: Path, ggen_host: Any) -> PluginHost:
    return ggen_host(["demo"])  # type: ignore[no-any-return]


class Seen:
    """What a client received besides responses: notification method names and log data."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.updated: list[str] = []
        self.logs: list[Any] = []

    async def on_message(self, message: Any) -> None:
        root = getattr(message, "root", message)
        method = getattr(root, "method", None)
        if isinstance(method, str):
            self.methods.append(method)
            if method == "notifications/resources/updated":
                self.updated.append(str(root.params.uri))

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        self.logs.append(params.data)

    async def wait_for(self, method: str) -> None:
        with anyio.fail_after(5):
            while method not in self.methods:
                await anyio.sleep(0.01)


@contextlib.asynccontextmanager
async def session(
    host: PluginHost, transport: str, mode: str, http_server: Callable[..., str], seen: Seen, **options: Any
) -> AsyncIterator[Any]:
    handlers = {"message_handler": seen.on_message, "logging_callback": seen.on_log, **options}
    if transport == "memory":
        async with open_client(host, mode=mode, **handlers) as client:  # type: ignore[arg-type]
            yield client
    else:
        async with Client(f"{http_server(host)}/mcp", mode=mode, **handlers) as client:  # type: ignore[arg-type]
            yield client


async def check_list_changed(client: Any, mode: str, seen: Seen, kind: str) -> None:
    """``demo_notify`` announces that a list changed; the client hears it the way its era delivers."""
    method = f"notifications/{kind}/list_changed"
    if mode == "legacy":
        result = await client.call_tool("demo_notify", {"kind": kind})
        assert not result.is_error, tool_text(result)
        await seen.wait_for(method)
        return
    flag = {"tools": "tools_list_changed", "resources": "resources_list_changed", "prompts": "prompts_list_changed"}
    async with client.listen(**{flag[kind]: True}) as stream:
        await client.call_tool("demo_notify", {"kind": kind})
        with anyio.fail_after(5):
            event = await stream.__anext__()
    assert type(event).__name__ == {"tools": "ToolsListChanged", "resources": "ResourcesListChanged"}.get(
        kind, "PromptsListChanged"
    )


async def check_subscribe(client: Any, mode: str, seen: Seen) -> None:
    """A subscriber to demo://hello hears ``notifications/resources/updated`` when it changes; after
    unsubscribing (or for another URI) it does not."""
    if mode == "legacy":
        await client.subscribe_resource("demo://hello")
        await client.call_tool("demo_notify", {"kind": "updated"})
        await seen.wait_for("notifications/resources/updated")
        assert seen.updated == ["demo://hello"]
        await client.unsubscribe_resource("demo://hello")
        await client.call_tool("demo_notify", {"kind": "updated"})
        await client.call_tool("demo_notify", {"kind": "tools"})  # a later notification: the earlier would be in
        await seen.wait_for("notifications/tools/list_changed")
        assert seen.updated == ["demo://hello"]
        with pytest.raises(MCPError, match="Unknown resource"):
            await client.subscribe_resource("demo://nothing")
        return
    async with client.listen(resource_subscriptions=["demo://hello"]) as stream:
        await client.call_tool("demo_notify", {"kind": "updated"})
        with anyio.fail_after(5):
            event = await stream.__anext__()
    assert type(event).__name__ == "ResourceUpdated" and event.uri == "demo://hello"


async def check_logging(client: Any, mode: str, seen: Seen) -> None:
    """Legacy: ``logging/setLevel`` answers and filters. 2026-07-28: the request's level decides."""
    if mode == "legacy":
        await client.set_logging_level("error")
        await client.call_tool("demo_echo", {"text": "quiet"})
        await client.set_logging_level("info")
        await client.call_tool("demo_echo", {"text": "loud"})
        assert seen.logs == ["echoing loud"]
        return
    with pytest.raises(MCPError, match="Method not found"):  # removed by the 2026-07-28 revision, not advertised as it
        await client.set_logging_level("info")
    await client.call_tool("demo_echo", {"text": "loud"})
    assert seen.logs == ["echoing loud"]


async def check_completions(client: Any) -> None:
    done = await client.complete(
        types.ResourceTemplateReference(type="ref/resource", uri="demo://items/{id}"), {"name": "id", "value": "b"}
    )
    assert done.completion.values == ["beta"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", list(ERAS))
async def test_every_advertised_capability_answers(
    host: PluginHost, http_server: Callable[..., str], transport: str, mode: str
) -> None:
    seen = Seen()
    options = {"log_level": "info"} if mode == "auto" else {}
    async with session(host, transport, mode, http_server, seen, **options) as client:
        assert client.protocol_version == ERAS[mode]
        caps = client.server_capabilities.model_dump(exclude_none=True)
        caps.pop("experimental", None)
        assert set(caps) == {"tools", "resources", "prompts", "logging", "completions"}, caps
        assert caps["tools"] == {"list_changed": True}
        assert caps["resources"] == {"subscribe": True, "list_changed": True}
        assert caps["prompts"] == {"list_changed": True}
        assert (await client.list_tools()).tools
        assert (await client.list_resources()).resources
        assert (await client.list_prompts()).prompts
        for kind in ("tools", "resources", "prompts"):
            await check_list_changed(client, mode, seen, kind)
        await check_subscribe(client, mode, seen)
        await check_logging(client, mode, seen)
        await check_completions(client)


async def test_updates_reach_other_legacy_connections_only_when_subscribed(
    host: PluginHost, http_server: Callable[..., str]
) -> None:
    """One client's change reaches another client's subscription (over HTTP, each its own session)."""
    watcher, bystander = Seen(), Seen()
    async with (
        session(host, "http", "legacy", http_server, watcher) as watching,
        session(host, "http", "legacy", http_server, bystander) as _,
        session(host, "http", "legacy", http_server, Seen()) as writer,
    ):
        await watching.subscribe_resource("demo://hello")
        await writer.call_tool("demo_notify", {"kind": "updated"})
        await watcher.wait_for("notifications/resources/updated")
        await writer.call_tool("demo_notify", {"kind": "tools"})  # every connection hears list changes
        await bystander.wait_for("notifications/tools/list_changed")
        assert "notifications/resources/updated" not in bystander.methods
