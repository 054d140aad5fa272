"""Tools that ask the client mid-call: sampling and elicitation (form mode), through the host's own
``ctx.sample`` / ``ctx.elicit`` (what every pack uses), in both protocol eras: a request on the back-channel
of a 2025-11-25 session, InputRequiredResult rounds on 2026-07-28. A 2025-11-25 connection without a
back-channel (stateless HTTP) or ``ggen-mcp call`` ends with an ``isError`` result saying so.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ggen_conformance_fixture.content_tools import NoArguments, fixture_tool
from ggen_mcp_core import ToolContext, ToolSpec
from ggen_mcp_core.client_requests import Elicited

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


async def sampling(args: SamplingArguments, ctx: ToolContext) -> str:
    sampled = await ctx.sample(args.prompt, max_tokens=SAMPLING_MAX_TOKENS)
    return f"LLM response: {sampled.text}"


async def _elicit(ctx: ToolContext, message: str, schema: dict[str, Any]) -> Elicited:
    return await ctx.elicit(message, schema)


def _describe(result: Elicited) -> str:
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
