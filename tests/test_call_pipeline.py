"""`ctx.call_tool`: a tool calling another tool goes through the one call pipeline (principal, scopes, slots,
audit, call ids), and every call's log and audit lines carry a server-made call id."""

from __future__ import annotations

import importlib
import json
import logging
import re
import types
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import ToolContext, ToolSpec, hookimpl
from ggen_mcp_core.builtins.audit import LOGGER_NAME
from ggen_mcp_core.calls import MAX_CALL_DEPTH, call_tool, plugin_shares
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.observability import configure_logging
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text
from tests.test_plugin_slots import running, stuck_plugin

pytestmark = pytest.mark.anyio
CALL_ID = re.compile(r"^[0-9a-f]{32}$")


class RelayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str = Field(description="The tool to call.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Its arguments.")


class RelayOut(BaseModel):
    call_id: str
    parent_call_id: str | None
    result: dict[str, Any] | str


class DepthIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


def pipe_plugin() -> types.ModuleType:
    """`pipe_relay` calls the tool it is given; `pipe_loop` calls itself until the host stops it."""
    module = types.ModuleType("pipe_fixture")

    async def relay(args: RelayIn, ctx: ToolContext) -> RelayOut:
        ctx.log.info("relaying", to=args.tool)
        result = await ctx.call_tool(args.tool, args.arguments)
        return RelayOut(call_id=ctx.call_id or "", parent_call_id=ctx.parent_call_id, result=result)

    async def loop(args: DepthIn, ctx: ToolContext) -> RelayOut:
        result = await ctx.call_tool("pipe_loop", {})
        return RelayOut(call_id=ctx.call_id or "", parent_call_id=ctx.parent_call_id, result=result)

    @hookimpl
    def ggen_register_tools(config: Any) -> list[ToolSpec]:
        return [
            ToolSpec(
                name="pipe_relay",
                description="Call another tool through ctx.call_tool.",
                input_model=RelayIn,
                output_model=RelayOut,
                handler=relay,
                scopes=("pipe:run",),
            ),
            ToolSpec(
                name="pipe_loop",
                description="Call itself through ctx.call_tool, forever.",
                input_model=DepthIn,
                output_model=RelayOut,
                handler=loop,
            ),
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


@pytest.fixture
def host(fixture_site: Path, ggen_host: Callable[..., PluginHost]) -> Callable[..., PluginHost]:
    def make(**settings: Any) -> PluginHost:
        return ggen_host(["demo"], modules={"pipe": pipe_plugin()}, **settings)

    return make


@pytest.fixture
def demo(fixture_site: Path) -> Any:
    return importlib.import_module("ggen_fixture_demo.plugin")


@pytest.fixture
def audit(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The audit lines written so far, parsed."""
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        yield lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]


def as_user(name: str, scopes: str) -> RequestInfo:
    return RequestInfo(transport="http", headers={"x-demo-user": name, "x-demo-scopes": scopes})


async def test_a_nested_call_has_its_own_call_id_audit_line_and_observer_event(
    host: Callable[..., PluginHost],
    ggen_client: Any,
    audit: Callable[[], list[dict[str, Any]]],
    demo: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json", stdlib=False)
    demo.OBSERVED.clear()
    async with ggen_client(host(), mode="legacy") as client:
        result = await client.call_tool("pipe_relay", {"tool": "demo_echo", "arguments": {"text": "hi"}})
    assert not result.is_error, tool_text(result)
    relayed = result.structured_content
    assert relayed["result"] == {"echo": "hi", "principal": "local"}
    inner, outer = audit()
    assert (outer["tool"], inner["tool"]) == ("pipe_relay", "demo_echo")
    assert outer["call_id"] == relayed["call_id"] and CALL_ID.match(outer["call_id"])
    assert CALL_ID.match(inner["call_id"]) and inner["call_id"] != outer["call_id"]
    assert inner["parent_call_id"] == outer["call_id"] and outer["parent_call_id"] is None
    assert inner["principal"] == outer["principal"] == "local"
    assert inner["request_id"] == outer["request_id"] is not None, "both answer the same JSON-RPC request"
    assert inner["outcome"] == outer["outcome"] == "ok"
    observed = {event.tool: event for event in demo.OBSERVED}
    assert observed["demo_echo"].parent_call_id == outer["call_id"], "ggen_on_tool_call sees the nested call"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    relaying = next(line for line in lines if line.get("event") == "relaying")
    assert relaying["call_id"] == outer["call_id"] and relaying["request_id"] == outer["request_id"]


async def test_the_callee_is_authorized_for_the_callers_principal_and_scopes(
    host: Callable[..., PluginHost], audit: Callable[[], list[dict[str, Any]]]
) -> None:
    plugin_host = host()
    arguments = {"tool": "demo_echo", "arguments": {"text": "hi"}}
    denied = await call_tool(plugin_host, "pipe_relay", arguments, request=as_user("carol", "pipe:run"))
    assert denied.is_error
    assert tool_text(denied) == ("demo_echo failed: carol is not allowed to call demo_echo (needs scopes: demo:read)")
    allowed = await call_tool(plugin_host, "pipe_relay", arguments, request=as_user("dave", "pipe:run,demo:read"))
    assert not allowed.is_error, tool_text(allowed)
    assert allowed.structured_content["result"]["principal"] == "dave"
    lines = [(line["principal"], line["tool"], line["outcome"]) for line in audit()]
    assert lines == [
        ("carol", "demo_echo", "denied"),
        ("carol", "pipe_relay", "error"),
        ("dave", "demo_echo", "ok"),
        ("dave", "pipe_relay", "ok"),
    ]


@pytest.mark.parametrize(
    "settings",
    [
        {"max_concurrent_calls": 1},  # the caller holds the only server-wide slot
        {"max_concurrent_calls": 4, "limits": {"max_concurrent_per_plugin": 1}},  # and its plugin's only share
    ],
    ids=["pool", "share"],
)
async def test_a_nested_call_never_waits_for_a_slot_its_caller_holds(
    host: Callable[..., PluginHost], settings: dict[str, Any]
) -> None:
    settings["limits"] = {"queue_timeout": 0.2, **settings.get("limits", {})}
    plugin_host = host(**settings)
    request = RequestInfo(transport="stdio")
    inner = {"tool": "pipe_relay", "arguments": {"tool": "demo_echo", "arguments": {"text": "deep"}}}
    result = await call_tool(plugin_host, "pipe_relay", {"tool": "pipe_relay", "arguments": inner}, request=request)
    assert not result.is_error, tool_text(result)
    assert result.structured_content["result"]["result"]["result"] == {"echo": "deep", "principal": "local"}
    assert plugin_host.in_flight() == 0


async def test_nesting_stops_at_the_depth_limit(
    host: Callable[..., PluginHost], audit: Callable[[], list[dict[str, Any]]]
) -> None:
    result = await call_tool(host(), "pipe_loop", {}, request=RequestInfo(transport="stdio"))
    assert result.is_error
    assert f"pipe_loop called pipe_loop {MAX_CALL_DEPTH + 1} calls deep; nested calls stop at {MAX_CALL_DEPTH}" in (
        tool_text(result)
    )
    lines = audit()
    assert len(lines) == MAX_CALL_DEPTH + 1
    by_id = {line["call_id"]: line for line in lines}
    chain = [line for line in lines if line["parent_call_id"] is None]
    assert len(chain) == 1
    for line in lines:
        if line["parent_call_id"] is not None:
            assert by_id[line["parent_call_id"]]["tool"] == "pipe_loop"


async def test_calling_a_tool_the_server_does_not_offer_is_a_tool_error(host: Callable[..., PluginHost]) -> None:
    arguments = {"tool": "nope_tool", "arguments": {}}
    result = await call_tool(host(), "pipe_relay", arguments, request=RequestInfo(transport="stdio"))
    assert result.is_error
    assert tool_text(result) == (
        "pipe_relay called nope_tool, which this server does not offer: no loaded pack offers it "
        "(see `ggen-mcp plugins`)"
    )


async def test_a_callee_error_reaches_the_caller_with_its_text(host: Callable[..., PluginHost]) -> None:
    arguments = {"tool": "demo_echo", "arguments": {"text": "x", "times": 9}}
    result = await call_tool(host(), "pipe_relay", arguments, request=RequestInfo(transport="stdio"))
    assert result.is_error
    assert tool_text(result).startswith("demo_echo failed: invalid arguments for demo_echo: 'times': ")


async def test_an_internal_error_names_the_call_id_the_log_and_audit_carry(
    fixture_site: Path, ggen_host: Callable[..., PluginHost], audit: Callable[[], list[dict[str, Any]]]
) -> None:
    plugin_host = ggen_host(["raisingtool"])
    result = await call_tool(plugin_host, "raisingtool_explode", {}, request=RequestInfo(transport="stdio"))
    (line,) = audit()
    assert f"the server log has the details under call id {line['call_id']}" in tool_text(result)


async def test_a_nested_call_of_another_plugin_takes_a_slot_of_that_plugins_share(
    fixture_site: Path, ggen_host: Callable[..., PluginHost]
) -> None:
    release = anyio.Event()
    plugin_host = ggen_host(
        ["demo"],
        modules={"pipe": pipe_plugin(), "stuck": stuck_plugin("stuck", release)},
        max_concurrent_calls=4,
        limits={"queue_timeout": 0.2, "max_concurrent_per_plugin": 1},
    )
    request = RequestInfo(transport="stdio")
    async with anyio.create_task_group() as group:
        group.start_soon(partial(call_tool, plugin_host, "stuck_wait", {}, request=request))
        await running(plugin_host, "stuck", 1)
        busy = await call_tool(plugin_host, "pipe_relay", {"tool": "stuck_wait"}, request=request)
        release.set()
    assert busy.is_error
    assert tool_text(busy) == (
        "stuck_wait failed: server busy: 1 calls of plugin 'stuck' running (its share: 1 of 4 slots); "
        "retry stuck_wait shortly"
    )
    served = await call_tool(plugin_host, "pipe_relay", {"tool": "stuck_wait"}, request=request)
    assert not served.is_error and served.structured_content["result"] == "released"
    assert plugin_shares(plugin_host).in_flight() == {"pipe": 0, "stuck": 0}
