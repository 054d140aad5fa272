"""Tools that send requests to the client mid-call: sampling and elicitation (form mode).

They need a back-channel: a 2025-11-25 session over stdio or stateful HTTP. Without one (stateless HTTP,
the 2026-07-28 per-request era, or ``ggen-mcp call``) they end with an ``isError`` result saying so.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import mcp.types as types
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError, NoBackChannelError
from pydantic import BaseModel, ConfigDict, Field

from ggen_conformance_fixture.content_tools import NoArguments, fixture_tool
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

SAMPLING_MAX_TOKENS = 100
USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    },
    "required": ["username", "email"],
}
DEFAULTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
}
ENUMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "untitledSingle": {
            "type": "string",
            "description": "Simple enum without titles",
            "enum": ["option1", "option2", "option3"],
        },
        "titledSingle": {
            "type": "string",
            "description": "Enum with titled options (oneOf)",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "description": "Legacy enum with enumNames",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Multi-select without titles",
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        "titledMulti": {
            "type": "array",
            "description": "Multi-select with titled options",
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
}


class SamplingArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(description="The prompt to send to the client's LLM.", min_length=1, max_length=10_000)


class ElicitationArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="The message to show the user.", min_length=1, max_length=10_000)


def _session(ctx: ToolContext, capability: types.ClientCapabilities, what: str) -> Any:
    """The MCP session, once it is known to carry ``what`` to the client."""
    tool = ctx.tool.name if ctx.tool else "this tool"
    if ctx.session is None:
        raise ToolError(f"{tool} needs an MCP client session ({what} goes to the client)")
    if not ctx.session.can_send_request:
        raise _no_back_channel(ctx, what)
    if not ctx.session.check_client_capability(capability):
        raise ToolError(f"{tool}: the client did not declare the {what} capability")
    return ctx.session


def _no_back_channel(ctx: ToolContext, what: str) -> ToolError:
    tool = ctx.tool.name if ctx.tool else "this tool"
    return ToolError(
        f"{tool} cannot reach the client for {what}: this connection has no back-channel "
        "(use stdio or stateful HTTP with protocol 2025-11-25)"
    )


async def sampling(args: SamplingArguments, ctx: ToolContext) -> str:
    capability = types.ClientCapabilities(sampling=types.SamplingCapability())
    session = _session(ctx, capability, "sampling")
    message = types.SamplingMessage(role="user", content=types.TextContent(type="text", text=args.prompt))
    try:
        with warnings.catch_warnings():
            # sampling is deprecated on 2026-07-28, still valid on 2025-11-25
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            result = await session.create_message(
                [message], max_tokens=SAMPLING_MAX_TOKENS, related_request_id=ctx.request_id
            )
    except NoBackChannelError:
        raise _no_back_channel(ctx, "sampling") from None
    except MCPError as exc:
        raise ToolError(f"the client refused the sampling request: {exc}") from None
    content = result.content
    text = content.text if isinstance(content, types.TextContent) else f"({content.type} content)"
    return f"LLM response: {text}"


async def _elicit(ctx: ToolContext, message: str, schema: dict[str, Any]) -> types.ElicitResult:
    capability = types.ClientCapabilities(elicitation=types.ElicitationCapability())
    session = _session(ctx, capability, "elicitation")
    try:
        result: types.ElicitResult = await session.elicit_form(message, schema, related_request_id=ctx.request_id)
    except NoBackChannelError:
        raise _no_back_channel(ctx, "elicitation") from None
    except MCPError as exc:
        raise ToolError(f"the client refused the elicitation request: {exc}") from None
    return result


def _describe(result: types.ElicitResult) -> str:
    content = result.content if result.action == "accept" and result.content is not None else {}
    return f"action={result.action}, content={json.dumps(content, sort_keys=True)}"


async def elicitation(args: ElicitationArguments, ctx: ToolContext) -> str:
    return f"User response: {_describe(await _elicit(ctx, args.message, USER_SCHEMA))}"


async def elicitation_defaults(args: NoArguments, ctx: ToolContext) -> str:
    result = await _elicit(ctx, "Please provide user information", DEFAULTS_SCHEMA)
    return f"Elicitation completed: {_describe(result)}"


async def elicitation_enums(args: NoArguments, ctx: ToolContext) -> str:
    result = await _elicit(ctx, "Please select values using different enum schema types", ENUMS_SCHEMA)
    return f"Elicitation completed: {_describe(result)}"


def backchannel_tools() -> list[ToolSpec]:
    """The tools of the scenarios ``tools-call-sampling``, ``tools-call-elicitation``, ``elicitation-*``."""
    return [
        fixture_tool(
            "test_sampling",
            "Tests server-initiated sampling: asks the client's LLM to answer `prompt`.",
            sampling,
            SamplingArguments,
        ),
        fixture_tool(
            "test_elicitation",
            "Tests server-initiated elicitation: asks the user for a username and an email address.",
            elicitation,
            ElicitationArguments,
        ),
        fixture_tool(
            "test_elicitation_sep1034_defaults",
            "Tests elicitation with default values for all primitive types (SEP-1034).",
            elicitation_defaults,
        ),
        fixture_tool(
            "test_elicitation_sep1330_enums",
            "Tests elicitation with the five enum schema variants of SEP-1330.",
            elicitation_enums,
        ),
    ]
