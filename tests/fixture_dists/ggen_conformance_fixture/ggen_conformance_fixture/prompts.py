"""The ``test_*`` prompts: plain, with arguments, with an embedded resource, with an image."""

from __future__ import annotations

from collections.abc import Mapping

import mcp.types as types

from ggen_conformance_fixture.payloads import PNG_BASE64, PNG_MIME
from ggen_mcp_core import PromptArgument, PromptSpec


def _user(content: types.ContentBlock) -> types.PromptMessage:
    return types.PromptMessage(role="user", content=content)


def _text(text: str) -> types.TextContent:
    return types.TextContent(type="text", text=text)


def simple_prompt(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    return [_user(_text("This is a simple prompt for testing."))]


def prompt_with_arguments(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    text = f"Prompt with arguments: arg1='{arguments['arg1']}', arg2='{arguments['arg2']}'"
    return [_user(_text(text))]


def prompt_with_embedded_resource(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    resource = types.TextResourceContents(
        uri=arguments["resourceUri"], mime_type="text/plain", text="Embedded resource content for testing."
    )
    return [
        _user(types.EmbeddedResource(type="resource", resource=resource)),
        _user(_text("Please process the embedded resource above.")),
    ]


def prompt_with_image(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    return [
        _user(types.ImageContent(type="image", data=PNG_BASE64, mime_type=PNG_MIME)),
        _user(_text("Please analyze the image above.")),
    ]


def complete_arg1(prefix: str) -> list[str]:
    """Suggested values for ``completion/complete`` on ``test_prompt_with_arguments``'s ``arg1``."""
    return [value for value in ("test", "testing", "tested") if value.startswith(prefix)]


def fixture_prompts() -> list[PromptSpec]:
    """The prompts of the scenarios ``prompts-*``."""
    return [
        PromptSpec(name="test_simple_prompt", description="A simple prompt without arguments.", render=simple_prompt),
        PromptSpec(
            name="test_prompt_with_arguments",
            description="A prompt with two required arguments.",
            render=prompt_with_arguments,
            arguments=[
                PromptArgument(name="arg1", description="First test argument", required=True, complete=complete_arg1),
                PromptArgument(name="arg2", description="Second test argument", required=True),
            ],
        ),
        PromptSpec(
            name="test_prompt_with_embedded_resource",
            description="A prompt that includes an embedded resource.",
            render=prompt_with_embedded_resource,
            arguments=[
                PromptArgument(name="resourceUri", description="URI of the resource to embed", required=True),
            ],
        ),
        PromptSpec(
            name="test_prompt_with_image",
            description="A prompt that includes image content.",
            render=prompt_with_image,
        ),
    ]
