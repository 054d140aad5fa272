"""What the host tells a pack author whose handler breaks the contract: a handler that blocks the event
loop is named in a warning, a result that is not JSON data is an error naming its type and path, and a
timed-out call whose worker thread runs on says so."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import ToolContext, ToolSpec, hookimpl
from ggen_mcp_core.calls import call_tool
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.observability import ABANDONED_THREADS, REGISTRY, configure_logging
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
LOCAL = RequestInfo(transport="stdio")
RELEASE = threading.Event()


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="Which bad value to return.")


class Loose(BaseModel):
    data: dict[str, Any]


@dataclasses.dataclass
class Point:
    x: int


BAD_VALUES: dict[str, Callable[[], Any]] = {
    "object": lambda: object(),
    "set_in_dict": lambda: {"items": [{"tags": {"a", "b"}}]},
    "int_key": lambda: {"counts": {1: "one"}},
    "bytes": lambda: {"blob": b"\x00"},
    "dataclass": lambda: {"points": [Point(1)]},
}


def contract_plugin() -> types.ModuleType:
    module = types.ModuleType("contract_fixture")

    async def blocks(args: NoArgs, ctx: ToolContext) -> str:
        time.sleep(0.5)  # noqa: ASYNC251 - the mistake under test: blocking the event loop
        return "slept"

    async def returns(args: ValueIn, ctx: ToolContext) -> Any:
        return BAD_VALUES[args.kind]()

    async def returns_model(args: ValueIn, ctx: ToolContext) -> Loose:
        return Loose(data={"deep": [object()]})

    async def threads(args: NoArgs, ctx: ToolContext) -> str:
        await ctx.run_sync(RELEASE.wait, 30)
        return "released"

    async def calls_threads(args: NoArgs, ctx: ToolContext) -> Any:
        return await ctx.call_tool("contract_threads", {})

    @hookimpl
    def ggen_register_tools(config: Any) -> list[ToolSpec]:
        return [
            ToolSpec(
                name="contract_blocks",
                description="Block the event loop for half a second.",
                input_model=NoArgs,
                handler=blocks,
                read_only=True,
            ),
            ToolSpec(
                name="contract_returns",
                description="Return a value that is not JSON data.",
                input_model=ValueIn,
                handler=returns,
                read_only=True,
            ),
            ToolSpec(
                name="contract_model",
                description="Return a model with an object in an Any field.",
                input_model=ValueIn,
                output_model=Loose,
                handler=returns_model,
                read_only=True,
            ),
            ToolSpec(
                name="contract_calls_threads",
                description="Call contract_threads with a shorter deadline than its own.",
                input_model=NoArgs,
                handler=calls_threads,
                read_only=True,
                timeout=0.2,
            ),
            ToolSpec(
                name="contract_threads",
                description="Wait in a worker thread until released.",
                input_model=NoArgs,
                handler=threads,
                read_only=True,
                timeout=0.3,
            ),
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


@pytest.fixture
def host(fixture_site: Path, ggen_host: Callable[..., PluginHost]) -> Callable[..., PluginHost]:
    def make(**settings: Any) -> PluginHost:
        return ggen_host(["demo"], modules={"contract": contract_plugin()}, **settings)

    return make


def json_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_handler_blocking_the_loop_is_named_in_a_warning(
    host: Callable[..., PluginHost], ggen_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json", stdlib=False)
    blocked_before = metric("ggen_mcp_event_loop_blocked_total", tool="contract_blocks")
    seen: list[dict[str, Any]] = []
    async with ggen_client(host(loop_lag_warning=0.1), mode="legacy") as client:
        result = await client.call_tool("contract_blocks", {})
        assert not result.is_error, tool_text(result)
        with anyio.fail_after(10):  # the monitor logs "runs again" once its heartbeat ran
            while not any(line["event"] == "event loop runs again" for line in seen):
                seen += json_lines(capsys.readouterr().err)
                await anyio.sleep(0.05)
    warnings = [line for line in seen if line["event"] == "event loop blocked"]
    assert len(warnings) == 1, "one warning per stall"
    warning = warnings[0]
    assert warning["level"] == "warning"
    assert warning["tool"] == "contract_blocks" and warning["plugin"] == "contract"
    assert warning["holding"][0]["tool"] == "contract_blocks" and warning["holding"][0]["call_id"]
    assert "in blocks" in warning["at"], warning["at"]
    assert warning["threshold_s"] == 0.1 and warning["blocked_for_s"] >= 0.1
    assert metric("ggen_mcp_event_loop_blocked_total", tool="contract_blocks") == blocked_before + 1
    assert metric("ggen_mcp_event_loop_lag_seconds_count") > 0


async def test_a_healthy_loop_is_not_reported(
    host: Callable[..., PluginHost], ggen_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json", stdlib=False)
    async with ggen_client(host(loop_lag_warning=5), mode="legacy") as client:
        for _ in range(3):
            assert not (await client.call_tool("demo_slow", {"seconds": 0.1})).is_error
    assert not [line for line in json_lines(capsys.readouterr().err) if line["event"] == "event loop blocked"]


async def test_the_monitor_beats_while_a_call_runs_and_once_a_second_when_idle(
    host: Callable[..., PluginHost], ggen_client: Any
) -> None:
    def beats() -> float:
        return metric("ggen_mcp_event_loop_lag_seconds_count")

    async with ggen_client(host(loop_lag_warning=5), mode="legacy") as client:
        assert not (await client.call_tool("demo_echo", {"text": "start the monitor"})).is_error
        await anyio.sleep(1.3)  # the monitor is in its idle wait now
        before = beats()
        await anyio.sleep(2.5)
        idle = beats() - before
        before = beats()
        assert not (await client.call_tool("demo_slow", {"seconds": 0.45})).is_error  # its timeout is 0.5 s
        busy = beats() - before
    assert 1 <= idle <= 5, f"{idle} heartbeats in 2.5 s without a call (one a second expected, not ten)"
    assert busy >= 2, f"{busy} heartbeats during a 0.45 s call (every 0.1 s expected, from its start)"


async def test_a_blocking_shutdown_runs_off_the_loop(
    host: Callable[..., PluginHost], ggen_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain ``ggen_shutdown`` (joining a worker process, say) runs in a thread: the loop keeps running and
    the monitor reports nothing; a coroutine implementation runs on the loop's own thread."""
    configure_logging("info", "json", stdlib=False)
    ran: dict[str, int] = {}
    loop_thread = threading.get_ident()

    class Releases:
        @hookimpl
        def ggen_shutdown(self) -> None:
            ran["plain"] = threading.get_ident()
            time.sleep(0.5)

    class ReleasesAsync:
        @hookimpl
        async def ggen_shutdown(self) -> None:
            ran["async"] = threading.get_ident()

    served = host(loop_lag_warning=0.1)
    served.add_module(Releases(), name="releases")
    served.add_module(ReleasesAsync(), name="releases_async")
    async with ggen_client(served, mode="legacy") as client:  # the monitor starts with the first call
        assert not (await client.call_tool("demo_echo", {"text": "x"})).is_error
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.02)
            ticks += 1

    async with anyio.create_task_group() as group:
        group.start_soon(tick)
        await served.shutdown()
        group.cancel_scope.cancel()
    assert ran["plain"] != loop_thread and ran["async"] == loop_thread
    assert ticks >= 5, f"the loop ran {ticks} ticks of 20 ms during a 0.5 s shutdown (held: none or one)"
    await anyio.sleep(0.3)  # one more heartbeat: a stall would have been reported by now
    assert not [line for line in json_lines(capsys.readouterr().err) if line["event"] == "event loop blocked"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("object", "holds object at $, which is not JSON data"),
        ("set_in_dict", "holds set at $.items[0].tags, which is not JSON data"),
        ("int_key", "holds a key of type int (1) at $.counts, which is not JSON data (JSON keys are strings)"),
        ("bytes", "holds bytes at $.blob, which is not JSON data"),
        ("dataclass", f"holds {__name__}.Point at $.points[0], which is not JSON data"),
    ],
)
async def test_a_result_that_is_not_json_data_is_an_error_for_the_author(
    host: Callable[..., PluginHost], ggen_client: Any, capsys: pytest.CaptureFixture[str], kind: str, expected: str
) -> None:
    configure_logging("info", "json", stdlib=False)
    async with ggen_client(host(), mode="legacy") as client:
        result = await client.call_tool("contract_returns", {"kind": kind})
    assert result.is_error
    assert tool_text(result).startswith(f"the result of contract_returns {expected}"), tool_text(result)
    (logged,) = [line for line in json_lines(capsys.readouterr().err) if line["event"] == "tool result refused"]
    assert logged["level"] == "error" and logged["plugin"] == "contract" and logged["tool"] == "contract_returns"
    assert expected in logged["reason"]


async def test_an_unwritable_value_inside_an_output_model_is_an_error(
    host: Callable[..., PluginHost], ggen_client: Any
) -> None:
    async with ggen_client(host(), mode="legacy") as client:
        result = await client.call_tool("contract_model", {"kind": "x"})
    assert result.is_error
    assert "the result of contract_model holds object at $.data.deep[0], which is not JSON data" in tool_text(result)


async def test_a_timeout_says_the_worker_thread_runs_on_and_gives_the_slot_back(
    host: Callable[..., PluginHost], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json", stdlib=False)
    RELEASE.clear()
    plugin_host = host(max_concurrent_calls=1)
    before = metric("ggen_mcp_abandoned_worker_threads", tool="contract_threads")
    try:
        result = await call_tool(plugin_host, "contract_threads", {}, request=LOCAL)
        assert result.is_error
        text = tool_text(result)
        assert text.startswith("contract_threads timed out after 0.3 s; the call was abandoned, but its worker ")
        assert "thread (threading.Event.wait) cannot be stopped and keeps running until that function returns" in text
        assert "it holds no call slot" in text and "ggen_mcp_abandoned_worker_threads" in text
        assert "was stopped" not in text
        assert ABANDONED_THREADS.labels(tool="contract_threads")._value.get() == before + 1
        assert plugin_host.in_flight() == 0, "the abandoned thread holds no call slot"
        served = await call_tool(plugin_host, "demo_echo", {"text": "next"}, request=LOCAL)
        assert not served.is_error, "the only slot is free for the next call"
    finally:
        RELEASE.set()
    with anyio.fail_after(10):
        while metric("ggen_mcp_abandoned_worker_threads", tool="contract_threads") > before:
            await anyio.sleep(0.02)
    events = [line["event"] for line in json_lines(capsys.readouterr().err) if line.get("tool") == "contract_threads"]
    assert "call ended while its worker thread runs on" in events
    assert "abandoned worker thread finished" in events


async def test_a_timeout_of_async_work_says_it_was_cancelled(fixture_site: Path, ggen_host: Any) -> None:
    result = await call_tool(ggen_host(["demo"]), "demo_slow", {"seconds": 10}, request=LOCAL)
    assert tool_text(result).startswith("demo_slow timed out after 0.5 s and was cancelled")


async def test_a_caller_whose_deadline_abandons_a_nested_calls_thread_says_so(
    host: Callable[..., PluginHost],
) -> None:
    RELEASE.clear()
    plugin_host = host()
    try:
        result = await call_tool(plugin_host, "contract_calls_threads", {}, request=LOCAL)
    finally:
        RELEASE.set()
    assert tool_text(result).startswith("contract_calls_threads timed out after 0.2 s; the call was abandoned")
    assert "(threading.Event.wait) cannot be stopped" in tool_text(result)
    with anyio.fail_after(10):  # the released thread ends; nothing of this test outlives it
        while metric("ggen_mcp_abandoned_worker_threads", tool="contract_threads") > 0:
            await anyio.sleep(0.02)
