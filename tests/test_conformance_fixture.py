"""The conformance fixture plugin, loaded through the host like any third-party pack.

The fixture distribution (tests/fixture_dists/ggen_conformance_fixture) is found by entry-point discovery
once its folder is on ``sys.path``, exactly as ``scripts/conformance.sh`` finds it through ``PYTHONPATH``.
These tests call every fixture through an in-memory MCP client in both protocol eras: they prove a plugin
can return every content type, report progress, log to the client, and ask the client for sampling and
elicitation (where the era has a back-channel).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mcp.types as types
import pytest
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import ToolFamilyConformance, tool_text

pytestmark = pytest.mark.anyio

FIXTURE_DIST = Path(__file__).parent / "fixture_dists" / "ggen_conformance_fixture"
MODES = ("legacy", "auto")
TOOLS = {
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_error_handling",
    "test_tool_with_logging",
    "test_tool_with_progress",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    "json_schema_2020_12_tool",
}
RESOURCES = {"test://static-text", "test://static-binary", "test://watched-resource"}
PROMPTS = {
    "test_simple_prompt",
    "test_prompt_with_arguments",
    "test_prompt_with_embedded_resource",
    "test_prompt_with_image",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def fixture_host(ggen_host: Callable[..., PluginHost], monkeypatch: pytest.MonkeyPatch) -> PluginHost:
    """A host with only the conformance fixture, discovered through its entry point."""
    monkeypatch.syspath_prepend(str(FIXTURE_DIST))
    return ggen_host(["conformance"])


class TestFixtureIsAWellFormedPack(ToolFamilyConformance):
    plugin = "conformance"
    prefixes = ("test_", "json_schema_")
    expected_tools = tuple(sorted(TOOLS))

    @pytest.fixture
    def conformance_host(self, fixture_host: PluginHost) -> PluginHost:
        return fixture_host


def test_discovered_as_a_distribution(fixture_host: PluginHost) -> None:
    record = fixture_host.record("conformance")
    assert record is not None
    assert (record.status, record.distribution, record.version) == ("loaded", "ggen-conformance-fixture", "0.1.0")
    assert set(record.tools) == TOOLS
    assert set(record.resources) == RESOURCES | {"test://template/{id}/data"}
    assert set(record.prompts) == PROMPTS


def test_absent_without_its_folder_on_the_path(ggen_host: Callable[..., PluginHost]) -> None:
    host = ggen_host(["conformance"])
    assert host.record("conformance") is None
    assert not set(host.tools) & TOOLS


# -- content types ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_every_content_type(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(fixture_host, mode=mode) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(listed) >= TOOLS
        assert all(listed[name].description for name in TOOLS)

        text = await client.call_tool("test_simple_text", {})
        assert not text.is_error
        assert tool_text(text) == "This is a simple text response for testing."

        image = (await client.call_tool("test_image_content", {})).content
        assert [(b.type, b.mime_type) for b in image] == [("image", "image/png")]
        assert base64.b64decode(image[0].data).startswith(PNG_SIGNATURE)

        audio = (await client.call_tool("test_audio_content", {})).content
        assert [(b.type, b.mime_type) for b in audio] == [("audio", "audio/wav")]
        wav = base64.b64decode(audio[0].data)
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"

        embedded = (await client.call_tool("test_embedded_resource", {})).content
        assert embedded[0].type == "resource"
        assert embedded[0].resource.uri == "test://embedded-resource"
        assert embedded[0].resource.text == "This is an embedded resource content."

        mixed = (await client.call_tool("test_multiple_content_types", {})).content
        assert [block.type for block in mixed] == ["text", "image", "resource"]
        assert json.loads(mixed[2].resource.text) == {"test": "data", "value": 123}


@pytest.mark.parametrize("mode", MODES)
async def test_error_tool_and_bad_arguments_are_tool_errors(
    fixture_host: PluginHost, ggen_client: Any, mode: str
) -> None:
    async with ggen_client(fixture_host, mode=mode) as client:
        failed = await client.call_tool("test_error_handling", {})
        assert failed.is_error
        assert tool_text(failed) == "This tool intentionally returns an error for testing"

        extra = await client.call_tool("test_simple_text", {"unexpected": 1})
        assert extra.is_error and "'unexpected'" in tool_text(extra)

        missing = await client.call_tool("test_sampling", {})
        assert missing.is_error and "'prompt'" in tool_text(missing)

        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool("test_no_such_tool", {})


# -- progress and logging --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_progress_reaches_the_client(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with ggen_client(fixture_host, mode=mode) as client:
        result = await client.call_tool("test_tool_with_progress", {}, progress_callback=on_progress)
    assert not result.is_error, tool_text(result)
    assert seen == [(step, 100, f"Completed step {step} of 100") for step in (0, 50, 100)]


@pytest.mark.parametrize("mode", MODES)
async def test_log_messages_reach_the_client(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    logs: list[types.LoggingMessageNotificationParams] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    # 2026-07-28 delivers log messages only to requests that opt in (the client's log_level).
    options = {"log_level": "info"} if mode == "auto" else {}
    async with ggen_client(fixture_host, mode=mode, logging_callback=on_log, **options) as client:
        result = await client.call_tool("test_tool_with_logging", {})
    assert tool_text(result) == "Tool with logging executed successfully"
    assert [(log.level, log.data, log.logger) for log in logs] == [
        ("info", "Tool execution started", "conformance"),
        ("info", "Tool processing data", "conformance"),
        ("info", "Tool execution completed", "conformance"),
    ]


async def test_set_level_filters_log_messages(fixture_host: PluginHost, ggen_client: Any) -> None:
    logs: list[types.LoggingMessageNotificationParams] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params)

    async with ggen_client(fixture_host, mode="legacy", logging_callback=on_log) as client:
        await client.set_logging_level("error")
        result = await client.call_tool("test_tool_with_logging", {})
    assert not result.is_error
    assert logs == []


# -- sampling and elicitation (the back-channel) ---------------------------------------------------------


async def test_sampling_asks_the_client(fixture_host: PluginHost, ggen_client: Any) -> None:
    requests: list[types.CreateMessageRequestParams] = []

    async def sample(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        requests.append(params)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text="It is 42."),
            model="test-model",
            stop_reason="endTurn",
        )

    async with ggen_client(fixture_host, mode="legacy", sampling_callback=sample) as client:
        result = await client.call_tool("test_sampling", {"prompt": "What is the answer?"})
    assert not result.is_error, tool_text(result)
    assert tool_text(result) == "LLM response: It is 42."
    assert [(r.max_tokens, r.messages[0].role, r.messages[0].content.text) for r in requests] == [
        (100, "user", "What is the answer?")
    ]


async def test_sampling_refused_by_the_client_is_a_tool_error(fixture_host: PluginHost, ggen_client: Any) -> None:
    async def refuse(context: Any, params: types.CreateMessageRequestParams) -> types.ErrorData:
        return types.ErrorData(code=types.INVALID_REQUEST, message="user rejected sampling")

    async with ggen_client(fixture_host, mode="legacy", sampling_callback=refuse) as client:
        result = await client.call_tool("test_sampling", {"prompt": "hello"})
    assert result.is_error
    assert "refused test_sampling's sampling request" in tool_text(result)
    assert "user rejected sampling" in tool_text(result)


async def test_back_channel_tools_need_the_client_capability(fixture_host: PluginHost, ggen_client: Any) -> None:
    async with ggen_client(fixture_host, mode="legacy") as client:
        sampling = await client.call_tool("test_sampling", {"prompt": "hello"})
        elicitation = await client.call_tool("test_elicitation", {"message": "name?"})
    assert sampling.is_error and "did not declare the MCP 'sampling' capability" in tool_text(sampling)
    assert elicitation.is_error and "did not declare the MCP 'elicitation' (form)" in tool_text(elicitation)


async def test_back_channel_tools_work_in_the_2026_era(fixture_host: PluginHost, ggen_client: Any) -> None:
    """On 2026-07-28 the same tools ask through InputRequiredResult rounds (the host's ctx.sample/ctx.elicit)."""

    async def sample(context: Any, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        text = types.TextContent(type="text", text="42")
        return types.CreateMessageResult(role="assistant", content=text, model="m")

    async def answer(context: Any, params: types.ElicitRequestFormParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"username": "ada", "email": "ada@example.org"})

    async with ggen_client(fixture_host, mode="auto", sampling_callback=sample, elicitation_callback=answer) as client:
        assert client.protocol_version == "2026-07-28"
        sampled = await client.call_tool("test_sampling", {"prompt": "hi"})
        elicited = await client.call_tool("test_elicitation", {"message": "hi"})
    assert tool_text(sampled) == "LLM response: 42"
    expected = 'User response: action=accept, content={"email": "ada@example.org", "username": "ada"}'
    assert tool_text(elicited) == expected


async def test_elicitation_round_trip(fixture_host: PluginHost, ggen_client: Any) -> None:
    requests: list[types.ElicitRequestFormParams] = []

    async def answer(context: Any, params: types.ElicitRequestFormParams) -> types.ElicitResult:
        requests.append(params)
        return types.ElicitResult(action="accept", content={"username": "ada", "email": "ada@example.org"})

    async with ggen_client(fixture_host, mode="legacy", elicitation_callback=answer) as client:
        result = await client.call_tool("test_elicitation", {"message": "Who are you?"})
    assert tool_text(result) == 'User response: action=accept, content={"email": "ada@example.org", "username": "ada"}'
    assert requests[0].message == "Who are you?"
    assert requests[0].requested_schema["required"] == ["username", "email"]


async def test_elicitation_declined(fixture_host: PluginHost, ggen_client: Any) -> None:
    async def decline(context: Any, params: types.ElicitRequestFormParams) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with ggen_client(fixture_host, mode="legacy", elicitation_callback=decline) as client:
        result = await client.call_tool("test_elicitation", {"message": "Who are you?"})
    assert not result.is_error
    assert tool_text(result) == "User response: action=decline, content={}"


async def test_elicitation_schemas_carry_defaults_and_enum_variants(fixture_host: PluginHost, ggen_client: Any) -> None:
    schemas: list[dict[str, Any]] = []

    async def accept_defaults(context: Any, params: types.ElicitRequestFormParams) -> types.ElicitResult:
        properties = params.requested_schema["properties"]
        schemas.append(properties)
        return types.ElicitResult(
            action="accept", content={key: spec["default"] for key, spec in properties.items() if "default" in spec}
        )

    async with ggen_client(fixture_host, mode="legacy", elicitation_callback=accept_defaults) as client:
        defaults = await client.call_tool("test_elicitation_sep1034_defaults", {})
        enums = await client.call_tool("test_elicitation_sep1330_enums", {})
    assert json.loads(tool_text(defaults).split("content=", 1)[1]) == {
        "age": 30,
        "name": "John Doe",
        "score": 95.5,
        "status": "active",
        "verified": True,
    }
    assert tool_text(enums) == "Elicitation completed: action=accept, content={}"
    fields = schemas[1]
    assert fields["untitledSingle"]["enum"] == ["option1", "option2", "option3"]
    assert all({"const", "title"} <= set(option) for option in fields["titledSingle"]["oneOf"])
    assert len(fields["legacyEnum"]["enumNames"]) == len(fields["legacyEnum"]["enum"])
    assert fields["untitledMulti"]["items"]["enum"] == ["option1", "option2", "option3"]
    assert all({"const", "title"} <= set(option) for option in fields["titledMulti"]["items"]["anyOf"])


# -- JSON Schema 2020-12 pass-through --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_json_schema_keywords_survive_listing(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(fixture_host, mode=mode) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "json_schema_2020_12_tool")
        ok = await client.call_tool("json_schema_2020_12_tool", {"name": "Ada", "address": {"city": "London"}})
        refused = await client.call_tool("json_schema_2020_12_tool", {"name": "Ada", "zip": "N1"})
    schema = tool.input_schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$defs"]["address"]["properties"] == {"street": {"type": "string"}, "city": {"type": "string"}}
    assert schema["additionalProperties"] is False
    assert not ok.is_error and tool_text(ok) == 'Received: {"name":"Ada","address":{"city":"London"}}'
    assert refused.is_error and "'zip'" in tool_text(refused)


# -- resources, templates, subscriptions, prompts, completion --------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_resources(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(fixture_host, mode=mode) as client:
        listed = {r.uri: r for r in (await client.list_resources()).resources}
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        text = (await client.read_resource("test://static-text")).contents
        binary = (await client.read_resource("test://static-binary")).contents
        data = (await client.read_resource("test://template/42/data")).contents
        with pytest.raises(MCPError, match="Unknown resource"):
            await client.read_resource("test://template/42/other")
    assert set(listed) >= RESOURCES
    assert listed["test://static-binary"].mime_type == "image/png"
    assert templates == ["test://template/{id}/data"]
    assert text[0].text == "This is the content of the static text resource."
    assert binary[0].mime_type == "image/png"
    assert base64.b64decode(binary[0].blob).startswith(PNG_SIGNATURE)
    assert data[0].mime_type == "application/json"
    assert json.loads(data[0].text) == {"id": "42", "templateTest": True, "data": "Data for ID: 42"}


async def test_subscribe_and_unsubscribe(fixture_host: PluginHost, ggen_client: Any) -> None:
    async with ggen_client(fixture_host, mode="legacy") as client:
        assert client.server_capabilities.resources.subscribe is True
        await client.subscribe_resource("test://watched-resource")
        await client.unsubscribe_resource("test://watched-resource")
        watched = (await client.read_resource("test://watched-resource")).contents
    assert watched[0].text == "Watched resource content"


@pytest.mark.parametrize("mode", MODES)
async def test_prompts(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(fixture_host, mode=mode) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        simple = await client.get_prompt("test_simple_prompt")
        with_args = await client.get_prompt("test_prompt_with_arguments", {"arg1": "a", "arg2": "b"})
        embedded = await client.get_prompt("test_prompt_with_embedded_resource", {"resourceUri": "test://x"})
        image = await client.get_prompt("test_prompt_with_image")
        with pytest.raises(MCPError, match="arg2"):
            await client.get_prompt("test_prompt_with_arguments", {"arg1": "a"})
    assert set(listed) >= PROMPTS
    assert [(a.name, a.required) for a in listed["test_prompt_with_arguments"].arguments] == [
        ("arg1", True),
        ("arg2", True),
    ]
    assert simple.messages[0].content.text == "This is a simple prompt for testing."
    assert with_args.messages[0].content.text == "Prompt with arguments: arg1='a', arg2='b'"
    assert [m.content.type for m in embedded.messages] == ["resource", "text"]
    assert embedded.messages[0].content.resource.uri == "test://x"
    assert [m.content.type for m in image.messages] == ["image", "text"]
    assert base64.b64decode(image.messages[0].content.data).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("mode", MODES)
async def test_completion(fixture_host: PluginHost, ggen_client: Any, mode: str) -> None:
    async with ggen_client(fixture_host, mode=mode) as client:
        prompt = await client.complete(
            types.PromptReference(type="ref/prompt", name="test_prompt_with_arguments"),
            {"name": "arg1", "value": "test"},
        )
        template = await client.complete(
            types.ResourceTemplateReference(type="ref/resource", uri="test://template/{id}/data"),
            {"name": "id", "value": "4"},
        )
        unknown = await client.complete(
            types.PromptReference(type="ref/prompt", name="test_simple_prompt"), {"name": "nope", "value": ""}
        )
    assert prompt.completion.values == ["test", "testing", "tested"]
    assert template.completion.values == ["456"]
    assert unknown.completion.values == []
