"""Tools returning each MCP content type: text, image, audio, embedded resource, a mix, and an error."""

from __future__ import annotations

import mcp.types as types
from pydantic import BaseModel, ConfigDict

from ggen_conformance_fixture.payloads import PNG_BASE64, PNG_MIME, WAV_BASE64, WAV_MIME
from ggen_mcp_core import ToolContext, ToolError, ToolResult, ToolSpec
from ggen_mcp_core.tools import Handler

SIMPLE_TEXT = "This is a simple text response for testing."
ERROR_TEXT = "This tool intentionally returns an error for testing"
EMBEDDED_URI = "test://embedded-resource"
EMBEDDED_TEXT = "This is an embedded resource content."
MIXED_URI = "test://mixed-content-resource"
MIXED_JSON = '{"test": "data", "value": 123}'


class NoArguments(BaseModel):
    """A tool that takes no arguments."""

    model_config = ConfigDict(extra="forbid")


def image_block() -> types.ImageContent:
    return types.ImageContent(type="image", data=PNG_BASE64, mime_type=PNG_MIME)


async def simple_text(args: NoArguments, ctx: ToolContext) -> str:
    return SIMPLE_TEXT


async def image_content(args: NoArguments, ctx: ToolContext) -> ToolResult:
    return ToolResult(content=[image_block()])


async def audio_content(args: NoArguments, ctx: ToolContext) -> ToolResult:
    return ToolResult(content=[types.AudioContent(type="audio", data=WAV_BASE64, mime_type=WAV_MIME)])


async def embedded_resource(args: NoArguments, ctx: ToolContext) -> ToolResult:
    resource = types.TextResourceContents(uri=EMBEDDED_URI, mime_type="text/plain", text=EMBEDDED_TEXT)
    return ToolResult(content=[types.EmbeddedResource(type="resource", resource=resource)])


async def multiple_content_types(args: NoArguments, ctx: ToolContext) -> ToolResult:
    resource = types.TextResourceContents(uri=MIXED_URI, mime_type="application/json", text=MIXED_JSON)
    return ToolResult(
        content=[
            types.TextContent(type="text", text="Multiple content types test:"),
            image_block(),
            types.EmbeddedResource(type="resource", resource=resource),
        ]
    )


async def error_handling(args: NoArguments, ctx: ToolContext) -> str:
    raise ToolError(ERROR_TEXT)


def fixture_tool(name: str, description: str, handler: Handler, input_model: type[BaseModel] = NoArguments) -> ToolSpec:
    """A read-only fixture tool (none of them changes anything)."""
    return ToolSpec(
        name=name,
        description=description,
        input_model=input_model,
        handler=handler,
        read_only=True,
        idempotent=True,
    )


def content_tools() -> list[ToolSpec]:
    """The content-type tools of the conformance scenarios ``tools-call-*``."""
    return [
        fixture_tool("test_simple_text", "Tests simple text content response.", simple_text),
        fixture_tool("test_image_content", "Tests image content response (a 1x1 PNG).", image_content),
        fixture_tool("test_audio_content", "Tests audio content response (a short WAV clip).", audio_content),
        fixture_tool("test_embedded_resource", "Tests embedded resource content response.", embedded_resource),
        fixture_tool(
            "test_multiple_content_types",
            "Tests response with multiple content types (text, image, resource).",
            multiple_content_types,
        ),
        fixture_tool("test_error_handling", "Tests error response handling: always fails.", error_handling),
    ]
