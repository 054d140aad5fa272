"""The MCP surface through in-memory client sessions, in both protocol eras."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]


@pytest.fixture
def host(fixture_site: Path, ggen_host: Any) -> PluginHost:
    return ggen_host(["demo", "raisingtool", "brokenimport", "nospec"])  # type: ignore[no-any-return]


@pytest.fixture
def demo() -> Any:
    return importlib.import_module("ggen_fixture_demo.plugin")


@pytest.mark.parametrize("mode", MODES)
async def test_hook_ggen_register_tools_schemas_and_annotations(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        expected = "2026-07-28" if mode == "auto" else "2025-11-25"
        assert client.protocol_version == expected
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {
            "demo_echo",
            "demo_write",
            "demo_slow",
            "demo_generate",
            "demo_notify",
            "raisingtool_explode",
        }
        echo = tools["demo_echo"]
        assert echo.title == "Echo"
        assert echo.input_schema["properties"]["text"]["type"] == "string"
        assert "maxLength" not in echo.input_schema["properties"]["text"]  # a server guard: published compact
        over = await client.call_tool("demo_echo", {"text": "x" * 101})
        assert over.is_error and "text" in tool_text(over)  # ... and still enforced, naming the field
        assert echo.input_schema["required"] == ["text"]
        assert echo.output_schema is not None and set(echo.output_schema["properties"]) == {"echo", "principal"}
        assert echo.annotations.read_only_hint is True and echo.annotations.destructive_hint is False
        write = tools["demo_write"].annotations
        assert write.read_only_hint is False and write.destructive_hint is True


@pytest.mark.parametrize("mode", MODES)
async def test_call_returns_structured_content_and_text(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        result = await client.call_tool("demo_echo", {"text": "hi", "times": 2})
        assert not result.is_error, tool_text(result)
        assert result.structured_content == {"echo": "hi hi", "principal": "local"}
        assert json.loads(tool_text(result)) == result.structured_content


@pytest.mark.parametrize("mode", MODES)
async def test_invalid_arguments_name_each_field(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        result = await client.call_tool("demo_echo", {"text": "x" * 101, "times": 9, "extra": 1})
        assert result.is_error
        message = tool_text(result)
        assert message.startswith("invalid arguments for demo_echo")
        assert "'text': String should have at most 100 characters" in message
        assert "'times': Input should be less than or equal to 5" in message
        assert "'extra': Extra inputs are not permitted" in message
        missing = await client.call_tool("demo_echo", {})
        assert missing.is_error and "'text': Field required" in tool_text(missing)


async def test_hook_ggen_validate_input(host: PluginHost, ggen_client: Any) -> None:
    async with ggen_client(host) as client:
        result = await client.call_tool("demo_echo", {"text": "forbidden"})
        assert result.is_error
        assert "the word 'forbidden' is forbidden" in tool_text(result)


@pytest.mark.parametrize("mode", MODES)
async def test_raising_tool_is_an_error_result_and_server_keeps_serving(
    host: PluginHost, ggen_client: Any, mode: str
) -> None:
    async with ggen_client(host, mode=mode) as client:
        for _ in range(3):
            result = await client.call_tool("raisingtool_explode", {})
            assert result.is_error
            text = tool_text(result)
            assert "raisingtool_explode failed with an internal error (KeyError)" in text
            assert "/etc/secret-path" not in text, "exception details must not reach the client"
        healthy = await client.call_tool("demo_echo", {"text": "still here"})
        assert healthy.structured_content == {"echo": "still here", "principal": "local"}
    assert host.record("raisingtool").status == "loaded"  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", MODES)
async def test_timeout_is_an_error_naming_the_tool(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        with anyio.fail_after(5):
            result = await client.call_tool("demo_slow", {"seconds": 10})
        assert result.is_error
        assert "demo_slow timed out after 0.5 s" in tool_text(result)
        quick = await client.call_tool("demo_slow", {"seconds": 0})
        assert not quick.is_error


@pytest.mark.parametrize("mode", MODES)
async def test_cancellation_reaches_the_handler(host: PluginHost, ggen_client: Any, demo: Any, mode: str) -> None:
    demo.LIFECYCLE.clear()
    host.tools["demo_slow"] = host.tools["demo_slow"].__class__(**{**host.tools["demo_slow"].__dict__, "timeout": 30})
    async with ggen_client(host, mode=mode) as client:
        with anyio.move_on_after(0.3):
            await client.call_tool("demo_slow", {"seconds": 20})
        with anyio.fail_after(5):
            while "slow-finished-or-cancelled" not in demo.LIFECYCLE:
                await anyio.sleep(0.02)
        assert (await client.call_tool("demo_echo", {"text": "after"})).structured_content["echo"] == "after"


@pytest.mark.parametrize("mode", MODES)
async def test_progress_and_logging(host: PluginHost, ggen_client: Any, mode: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []
    logs: list[Any] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params.data)

    async with ggen_client(host, mode=mode, logging_callback=on_log, log_level="info") as client:
        if mode == "legacy":
            await client.set_logging_level("info")
        await client.call_tool("demo_echo", {"text": "p"}, progress_callback=on_progress)
    assert progress == [(0, 2, "starting"), (2, 2, "done")]
    assert logs == ["echoing p"]


async def test_logging_set_level_filters(host: PluginHost, ggen_client: Any) -> None:
    logs: list[Any] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params.data)

    async with ggen_client(host, mode="legacy", logging_callback=on_log) as client:
        assert client.server_capabilities.logging is not None
        await client.set_logging_level("error")
        await client.call_tool("demo_echo", {"text": "quiet"})
        await client.set_logging_level("debug")
        await client.call_tool("demo_echo", {"text": "loud"})
    assert logs == ["echoing loud"]


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_tool_is_a_protocol_error(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        with pytest.raises(MCPError, match="Unknown tool: nope"):
            await client.call_tool("nope", {})


@pytest.mark.parametrize("mode", MODES)
async def test_hook_ggen_register_resources_and_templates(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        assert {"demo://hello", "ggen://plugins"} <= uris
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["demo://items/{id}"]
        hello = await client.read_resource("demo://hello")
        assert hello.contents[0].text == "hello from the demo plugin"
        item = await client.read_resource("demo://items/42")
        assert item.contents[0].text == "item 42"
        records = json.loads((await client.read_resource("ggen://plugins")).contents[0].text)
        by_name = {r["name"]: r for r in records}
        assert by_name["brokenimport"]["status"] == "failed_import"
        assert by_name["nospec"]["status"] == "failed_register"
        assert by_name["demo"]["tools"][0] == "demo_echo"
        with pytest.raises(MCPError, match="Unknown resource"):
            await client.read_resource("demo://nothing/here")


@pytest.mark.parametrize("mode", MODES)
async def test_hook_ggen_register_prompts_and_completion(host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(host, mode=mode) as client:
        prompts = (await client.list_prompts()).prompts
        assert [(p.name, [a.name for a in p.arguments or []]) for p in prompts] == [("demo_explain", ["item"])]
        got = await client.get_prompt("demo_explain", {"item": "alpha"})
        assert got.messages[0].content.text == "Explain item alpha"
        with pytest.raises(MCPError, match="needs: item"):
            await client.get_prompt("demo_explain", {})
        with pytest.raises(MCPError, match="Unknown prompt"):
            await client.get_prompt("nope", {})
        done = await client.complete(
            types.PromptReference(type="ref/prompt", name="demo_explain"), {"name": "item", "value": "g"}
        )
        assert done.completion.values == ["gamma"]
        done = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri="demo://items/{id}"),
            {"name": "id", "value": ""},
        )
        assert done.completion.values == ["alpha", "beta", "gamma"]


async def test_hook_ggen_authorize_denies(fixture_site: Path, ggen_host: Any, ggen_client: Any) -> None:
    from ggen_mcp_core.calls import call_tool
    from ggen_mcp_core.events import RequestInfo

    host = ggen_host(["demo"])
    mallory = RequestInfo(transport="http", headers={"x-demo-user": "mallory", "x-demo-scopes": "demo:read"})
    result = await call_tool(host, "demo_echo", {"text": "x"}, request=mallory)
    assert result.is_error and "mallory is not allowed to call demo_echo" in tool_text(result)
    alice = RequestInfo(transport="http", headers={"x-demo-user": "alice", "x-demo-scopes": "demo:read"})
    result = await call_tool(host, "demo_echo", {"text": "x"}, request=alice)
    assert result.structured_content == {"echo": "x", "principal": "alice"}
    result = await call_tool(host, "demo_write", {"path": "a", "content": "b"}, request=alice)
    assert result.is_error and "needs scopes: demo:write" in tool_text(result)


async def test_hook_ggen_authenticate(fixture_site: Path, ggen_host: Any) -> None:
    from ggen_mcp_core.events import RequestInfo

    host = ggen_host(["demo"])
    principal = await host.authenticate(RequestInfo(transport="http", headers={"x-demo-user": "bob"}))
    assert principal.name == "bob" and principal.authenticated
    anonymous = await host.authenticate(RequestInfo(transport="http", client_address="10.1.2.3"))
    assert anonymous.name == "anonymous@10.1.2.3" and not anonymous.authenticated
    local = await host.authenticate(RequestInfo(transport="stdio"))
    assert local.name == "local"


async def test_hook_ggen_on_tool_call(host: PluginHost, ggen_client: Any, demo: Any) -> None:
    demo.OBSERVED.clear()
    async with ggen_client(host) as client:
        await client.call_tool("demo_echo", {"text": "a"})
        await client.call_tool("demo_echo", {"text": "a" * 200})
        await client.call_tool("raisingtool_explode", {})
    outcomes = [(e.tool, e.plugin, e.outcome, e.error_type) for e in demo.OBSERVED]
    assert outcomes == [
        ("demo_echo", "demo", "ok", None),
        ("demo_echo", "demo", "invalid", None),
        ("raisingtool_explode", "raisingtool", "error", "KeyError"),
    ]
    assert all(e.duration >= 0 and len(e.arguments_digest or "") == 64 for e in demo.OBSERVED)


def lifecycle_count(event: str, outcome: str) -> float:
    from ggen_mcp_core.observability import REGISTRY

    return REGISTRY.get_sample_value("ggen_mcp_lifecycle_events_total", {"event": event, "outcome": outcome}) or 0.0


async def test_hook_ggen_lifecycle(host: PluginHost, ggen_client: Any, demo: Any) -> None:
    demo.LIFECYCLE.clear()
    before = lifecycle_count("pre_gen", "ok"), lifecycle_count("pre_gen", "aborted"), lifecycle_count("post_gen", "ok")
    async with ggen_client(host) as client:
        ok = await client.call_tool("demo_generate", {"name": "report"})
        assert not ok.is_error, tool_text(ok)
        vetoed = await client.call_tool("demo_generate", {"name": "veto"})
    assert demo.LIFECYCLE == ["pre_gen:report.txt", "post_gen:report.txt", "pre_gen:veto.txt"]
    assert vetoed.is_error
    assert "pre_gen hook of plugin 'demo' aborted: generation of veto files is refused" in tool_text(vetoed)
    assert (host.workspace.root / "report.txt").read_text() == "hello report\n"
    assert not (host.workspace.root / "veto.txt").exists()
    after = lifecycle_count("pre_gen", "ok"), lifecycle_count("pre_gen", "aborted"), lifecycle_count("post_gen", "ok")
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]


def test_hook_ggen_resolve_template(host: PluginHost) -> None:
    assert host.resolve_template("demo:x.tmpl") == host.workspace.root / "templates" / "x.tmpl"
    assert host.resolve_template("other:x.tmpl") is None


async def test_workspace_escape_from_a_tool(host: PluginHost, ggen_client: Any) -> None:
    async with ggen_client(host) as client:
        result = await client.call_tool("demo_write", {"path": "../escape.txt", "content": "x"})
        assert result.is_error and "outside the workspace" in tool_text(result)
    assert not (host.workspace.root.parent / "escape.txt").exists()


@pytest.mark.parametrize("mode", MODES)
async def test_list_changed_notification(host: PluginHost, ggen_client: Any, mode: str) -> None:
    seen: list[str] = []

    async def on_message(message: Any) -> None:
        seen.append(type(getattr(message, "root", message)).__name__)

    async with ggen_client(host, mode=mode, message_handler=on_message) as client:
        caps = client.server_capabilities
        assert caps.tools is not None and caps.tools.list_changed is True
        if mode == "legacy":
            await client.call_tool("demo_notify", {})
            with anyio.fail_after(3):
                while "ToolListChangedNotification" not in seen:
                    await anyio.sleep(0.01)
        else:
            async with client.listen(tools_list_changed=True) as subscription:
                await client.call_tool("demo_notify", {})
                with anyio.fail_after(3):
                    event = await subscription.__anext__()
                assert type(event).__name__ == "ToolsListChanged"


async def test_read_only_host_lists_no_writers(fixture_site: Path, ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["demo"], read_only=True)
    async with ggen_client(host) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == {"demo_echo", "demo_slow", "demo_notify"}
        with pytest.raises(MCPError, match=r"hidden: read-only mode"):
            await client.call_tool("demo_write", {"path": "x", "content": "y"})
