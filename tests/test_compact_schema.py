"""``ggen_mcp_core.compact_schema``: a smaller input schema that keeps what gives a value its meaning and
accepts everything the input model accepts; the model still enforces the size caps and unknown arguments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ggen_mcp_core import ToolSpec


class Arguments(BaseModel):
    """Arguments of a tool (this docstring is not repeated in the schema)."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., max_length=10, description="Words.")
    category: str | None = Field(None, max_length=5, description="Only this category.")
    size: int | str | None = Field(None, description="A number or a word.")
    fuzzy: bool = Field(False, description="Allow typos.")
    enabled: bool = Field(True, description="Run it.")
    sort: Literal["name", "downloads"] = Field("name", description="Order.")
    code: str = Field("abc", pattern="^[a-z]+$", description="A code.")
    count: int = Field(1, ge=1, le=9, description="How many.")
    tags: list[str] = Field(default_factory=list, description="Tags.")
    where: Annotated[str, Field(description="A path inside the workspace.")] | None = Field(None, description="Where.")


async def _handler(args: Arguments, ctx: object) -> dict[str, str]:
    return {}


def published() -> dict[str, Any]:
    """The inputSchema the host publishes for a tool taking ``Arguments`` (every tool's goes this way)."""
    return ToolSpec(name="demo_tool", description="A demo.", input_model=Arguments, handler=_handler).input_schema()


def test_titles_nulls_and_false_defaults_go_constraints_stay() -> None:
    schema = published()
    assert "title" not in schema and "description" not in schema
    assert all("title" not in prop for prop in schema["properties"].values())
    assert schema["properties"]["category"] == {"description": "Only this category.", "type": "string"}
    assert schema["properties"]["size"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A number or a word.",
    }
    assert schema["properties"]["fuzzy"] == {"description": "Allow typos.", "type": "boolean"}
    assert schema["properties"]["enabled"]["default"] is True
    assert schema["properties"]["sort"]["enum"] == ["name", "downloads"]
    assert schema["properties"]["code"] == {"default": "abc", "description": "A code.", "type": "string"}
    assert schema["properties"]["count"] == {
        "default": 1,
        "description": "How many.",
        "type": "integer",
        "minimum": 1,
        "maximum": 9,
    }
    assert schema["properties"]["tags"] == {"description": "Tags.", "items": {"type": "string"}, "type": "array"}
    assert schema["properties"]["where"] == {"description": "Where.", "type": "string"}
    assert schema["required"] == ["query"] and "additionalProperties" not in schema


def test_the_compact_schema_accepts_what_the_model_accepts_and_the_model_keeps_the_caps() -> None:
    validator = Draft202012Validator(published())
    good = [{"query": "a"}, {"query": "a", "category": "py", "size": 3, "fuzzy": True, "sort": "downloads"}]
    for arguments in good:
        Arguments.model_validate(arguments)
        assert validator.is_valid(arguments), arguments
    meaningless = [{}, {"query": "a", "sort": "stars"}, {"query": "a", "count": 10}]
    for arguments in meaningless:  # refused by both
        assert not validator.is_valid(arguments), arguments
        with pytest.raises(ValidationError):
            Arguments.model_validate(arguments)
    over_a_cap = [
        {"query": "x" * 11},
        {"query": "a", "category": "toolong"},
        {"query": "a", "other": 1},
        {"query": "a", "code": "ABC"},
    ]
    for arguments in over_a_cap:  # the schema lets them through; the input model refuses them, naming the field
        assert validator.is_valid(arguments), arguments
        with pytest.raises(ValidationError) as refused:
            Arguments.model_validate(arguments)
        assert refused.value.errors()[0]["loc"][0] in {"query", "category", "other", "code"}
