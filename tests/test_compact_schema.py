"""``ggen_mcp_core.compact_schema``: a smaller input schema that still says every constraint."""

from __future__ import annotations

from typing import Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core.compact_schema import compact_schema


class Arguments(BaseModel):
    """Arguments of a tool (this docstring is not repeated in the schema)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_schema)

    query: str = Field(..., max_length=10, description="Words.")
    category: str | None = Field(None, max_length=5, description="Only this category.")
    size: int | str | None = Field(None, description="A number or a word.")
    fuzzy: bool = Field(False, description="Allow typos.")
    enabled: bool = Field(True, description="Run it.")
    sort: Literal["name", "downloads"] = Field("name", description="Order.")


def test_titles_nulls_and_false_defaults_go_constraints_stay() -> None:
    schema = Arguments.model_json_schema()
    assert "title" not in schema and "description" not in schema
    assert all("title" not in prop for prop in schema["properties"].values())
    assert schema["properties"]["category"] == {"description": "Only this category.", "maxLength": 5, "type": "string"}
    assert schema["properties"]["size"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A number or a word.",
    }
    assert schema["properties"]["fuzzy"] == {"description": "Allow typos.", "type": "boolean"}
    assert schema["properties"]["enabled"]["default"] is True
    assert schema["properties"]["sort"]["enum"] == ["name", "downloads"]
    assert schema["required"] == ["query"] and schema["additionalProperties"] is False


def test_the_compact_schema_accepts_what_the_model_accepts_and_refuses_what_it_refuses() -> None:
    validator = Draft202012Validator(Arguments.model_json_schema())
    good = [{"query": "a"}, {"query": "a", "category": "py", "size": 3, "fuzzy": True, "sort": "downloads"}]
    bad = [{}, {"query": "x" * 11}, {"query": "a", "category": "toolong"}, {"query": "a", "other": 1}]
    for arguments in good:
        Arguments.model_validate(arguments)
        assert validator.is_valid(arguments), arguments
    for arguments in bad:
        assert not validator.is_valid(arguments), arguments
