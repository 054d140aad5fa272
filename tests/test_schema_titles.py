"""Schemas in tools/list carry no titles pydantic generated; authors' titles and properties named title stay."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from ggen_mcp_core.schema_titles import without_generated_titles

pytestmark = pytest.mark.anyio


class Inner(BaseModel):
    max_rows: int = Field(description="Rows.")


class Outer(BaseModel):
    title: str = Field(description="A property named title.")
    chosen: int = Field(title="Chosen Number", description="An author's title.")
    inner: Inner | None = Field(default=None, description="Nested.")
    many: list[Inner] = Field(default_factory=list, description="A list.")


def titles(node: Any, path: str = "") -> list[str]:
    """Where a ``title`` keyword sits (not a property named title)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                found.append(f"{path}/title={value}")
            elif key == "properties" and isinstance(value, dict):
                for name, child in value.items():
                    found += titles(child, f"{path}/properties/{name}")
            else:
                found += titles(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += titles(child, f"{path}/{index}")
    return found


def test_only_generated_titles_go() -> None:
    schema = without_generated_titles(Outer.model_json_schema(), "Outer")
    assert titles(schema) == ["/properties/chosen/title=Chosen Number"]
    assert set(schema["properties"]) == {"title", "chosen", "inner", "many"}
    assert schema["$defs"]["Inner"]["properties"]["max_rows"] == {"description": "Rows.", "type": "integer"}


async def test_tools_list_schemas_have_no_generated_titles(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(None)
    async with ggen_client(host) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) == len(host.tools)
    for tool in tools:
        assert titles(tool.input_schema) == [], tool.name
        assert titles(tool.output_schema or {}) == [], tool.name
