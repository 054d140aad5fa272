"""Each plugin's share of the call slots (`limits.max_concurrent_per_plugin`): calls of one plugin stuck on a
dead dependency cannot take every slot of `max_concurrent_calls`."""

from __future__ import annotations

import types
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from ggen_mcp_core import ConfigError, ToolSpec, hookimpl
from ggen_mcp_core.calls import call_tool, plugin_shares
from ggen_mcp_core.config import LimitsSettings, Settings
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import environment, tool_text

pytestmark = pytest.mark.anyio
LOCAL = RequestInfo(transport="stdio")


class NoArgs(BaseModel):
    pass


def stuck_plugin(name: str, release: anyio.Event) -> types.ModuleType:
    """A plugin whose one tool, `<name>_wait`, waits for `release` (a dependency that does not answer)."""
    module = types.ModuleType(f"stuck_{name}")

    async def wait(args: NoArgs, ctx: Any) -> str:
        await release.wait()
        return "released"

    @hookimpl
    def ggen_register_tools(config: Any) -> list[ToolSpec]:
        return [
            ToolSpec(
                name=f"{name}_wait",
                description="Wait until released.",
                input_model=NoArgs,
                handler=wait,
                read_only=True,
                timeout=10,
            )
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


async def running(host: PluginHost, plugin: str, count: int) -> None:
    with anyio.fail_after(5):
        while plugin_shares(host).in_flight().get(plugin, 0) < count or host.in_flight() < count:
            await anyio.sleep(0.01)


def host_with(ggen_host: Callable[..., PluginHost], release: anyio.Event, names: list[str], **settings: Any) -> Any:
    return ggen_host(["demo"], modules={n: stuck_plugin(n, release) for n in names}, **settings)


@pytest.mark.parametrize(
    ("pool", "setting", "share"),
    [
        (64, None, 32),
        (8, None, 4),
        (3, None, 2),
        (2, None, 1),
        (1, None, None),  # half of 1 is the whole pool: no share
        (8, 3, 3),
        (8, 0, None),
        (8, 8, None),
        (8, 20, None),
    ],
)
def test_the_share_follows_the_setting(pool: int, setting: int | None, share: int | None) -> None:
    assert LimitsSettings(max_concurrent_per_plugin=setting).plugin_share(pool) == share


def test_a_negative_share_is_refused_naming_the_setting(fixture_site: Any) -> None:
    expected = "invalid setting limits.max_concurrent_per_plugin: Input should be greater than or equal to 0"
    with pytest.raises(ConfigError, match=expected):
        Settings.load(limits={"max_concurrent_per_plugin": -1})
    with environment(GGEN_MCP_LIMITS__MAX_CONCURRENT_PER_PLUGIN="-2"), pytest.raises(ConfigError, match=expected):
        Settings.load()
    with environment(GGEN_MCP_LIMITS__MAX_CONCURRENT_PER_PLUGIN="3"):
        assert Settings.load().limits.max_concurrent_per_plugin == 3


async def test_one_plugin_holds_at_most_its_share_and_the_others_are_served(
    fixture_site: Any, ggen_host: Callable[..., PluginHost]
) -> None:
    release = anyio.Event()
    host = host_with(ggen_host, release, ["stuck"], max_concurrent_calls=4, limits={"queue_timeout": 0.2})
    assert host.tools["stuck_wait"].plugin == "stuck"
    results: list[Any] = []

    async def stuck() -> None:
        results.append(await call_tool(host, "stuck_wait", {}, request=LOCAL))

    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(stuck)
        await running(host, "stuck", 2)
        busy = await call_tool(host, "stuck_wait", {}, request=LOCAL)
        served = await call_tool(host, "demo_echo", {"text": "still here"}, request=LOCAL)
        assert plugin_shares(host).in_flight() == {"stuck": 2, "demo": 0}
        release.set()
    assert busy.is_error
    assert tool_text(busy) == (
        "server busy: 2 calls of plugin 'stuck' running (its share: 2 of 4 slots); retry stuck_wait shortly"
    )
    assert not served.is_error, tool_text(served)
    assert [tool_text(r) for r in results] == ["released", "released"]
    assert host.in_flight() == 0 and plugin_shares(host).in_flight() == {"stuck": 0, "demo": 0}
    assert not (await call_tool(host, "stuck_wait", {}, request=LOCAL)).is_error


async def test_an_explicit_share(fixture_site: Any, ggen_host: Callable[..., PluginHost]) -> None:
    release = anyio.Event()
    host = host_with(
        ggen_host,
        release,
        ["stuck"],
        max_concurrent_calls=4,
        limits={"queue_timeout": 0.2, "max_concurrent_per_plugin": 3},
    )
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(partial(call_tool, host, "stuck_wait", {}, request=LOCAL))
        await running(host, "stuck", 3)
        busy = await call_tool(host, "stuck_wait", {}, request=LOCAL)
        served = await call_tool(host, "demo_echo", {"text": "x"}, request=LOCAL)
        release.set()
    assert "3 calls of plugin 'stuck' running (its share: 3 of 4 slots)" in tool_text(busy)
    assert not served.is_error


@pytest.mark.parametrize("setting", [0, 3])
async def test_no_share_when_disabled(fixture_site: Any, ggen_host: Callable[..., PluginHost], setting: int) -> None:
    """0, or the whole pool: one plugin may take every slot again (the behaviour before the share)."""
    release = anyio.Event()
    host = host_with(
        ggen_host,
        release,
        ["stuck"],
        max_concurrent_calls=3,
        limits={"queue_timeout": 0.2, "max_concurrent_per_plugin": setting},
    )
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(partial(call_tool, host, "stuck_wait", {}, request=LOCAL))
        with anyio.fail_after(5):
            while host.in_flight() < 3:
                await anyio.sleep(0.01)
        busy = await call_tool(host, "demo_echo", {"text": "x"}, request=LOCAL)
        release.set()
    assert tool_text(busy) == "server busy: 3 calls running; retry demo_echo shortly"
    assert plugin_shares(host).in_flight() == {}


async def test_a_share_slot_is_given_back_when_the_pool_stays_full_or_the_wait_is_cancelled(
    fixture_site: Any, ggen_host: Callable[..., PluginHost]
) -> None:
    release = anyio.Event()
    host = host_with(
        ggen_host,
        release,
        ["one", "two"],
        max_concurrent_calls=2,
        limits={"queue_timeout": 0.2, "max_concurrent_per_plugin": 1},
    )
    async with anyio.create_task_group() as group:
        group.start_soon(partial(call_tool, host, "one_wait", {}, request=LOCAL))
        group.start_soon(partial(call_tool, host, "two_wait", {}, request=LOCAL))
        await running(host, "two", 1)
        busy = await call_tool(host, "demo_echo", {"text": "x"}, request=LOCAL)
        assert tool_text(busy) == "server busy: 2 calls running; retry demo_echo shortly"
        assert plugin_shares(host).in_flight()["demo"] == 0
        with anyio.move_on_after(0.1):
            await call_tool(host, "demo_echo", {"text": "x"}, request=LOCAL)  # cancelled while waiting
        assert plugin_shares(host).in_flight()["demo"] == 0
        release.set()
    assert not (await call_tool(host, "demo_echo", {"text": "x"}, request=LOCAL)).is_error
