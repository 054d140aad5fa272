"""A tool whose input schema uses JSON Schema 2020-12 keywords the host must pass through untouched."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ggen_conformance_fixture.content_tools import fixture_tool
from ggen_mcp_core import ToolContext, ToolSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"
INPUT_SCHEMA: dict[str, Any] = {
    "$schema": DIALECT,
    "type": "object",
    "$defs": {
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
    "additionalProperties": False,
}


class Address(BaseModel):
    """``#/$defs/address``: an open object with optional string ``street`` and ``city``."""

    model_config = ConfigDict(extra="allow")

    street: str | None = Field(None, description="Street.", max_length=1000)
    city: str | None = Field(None, description="City.", max_length=1000)


class SchemaArguments(BaseModel):
    """Validates exactly what :data:`INPUT_SCHEMA` describes, and publishes that schema verbatim."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="A name.", max_length=1000)
    address: Address | None = Field(None, description="A postal address.")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {key: value for key, value in INPUT_SCHEMA.items()}


async def json_schema_tool(args: SchemaArguments, ctx: ToolContext) -> str:
    return f"Received: {args.model_dump_json(exclude_none=True)}"


def schema_tools() -> list[ToolSpec]:
    """The tool of the (pending) scenario ``json-schema-2020-12``."""
    return [
        fixture_tool(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features ($schema, $defs, additionalProperties).",
            json_schema_tool,
            SchemaArguments,
        ),
    ]
