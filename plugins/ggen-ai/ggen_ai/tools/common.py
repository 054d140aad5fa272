"""What the ai_* tools share: the compact schema, the common arguments, writing an output file."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ggen_ai.settings import AiSettings
from ggen_mcp_core import ToolContext


def compact_schema(schema: dict[str, Any]) -> None:
    """The published schema, short (issue 16's context budget): no titles, an optional field shown as its
    type (no ``null`` branch, no ``default: null``), no length bounds and no ``additionalProperties`` (pydantic
    still enforces every bound and refuses unknown arguments: an ``isError`` naming the field)."""
    schema.pop("title", None)
    schema.pop("additionalProperties", None)  # unknown arguments are still refused, naming the field
    for prop in schema.get("properties", {}).values():
        for branch in prop.pop("anyOf", []):
            if branch.get("type") != "null":
                prop.update(branch)
        if prop.get("default", 0) is None:
            del prop["default"]
        for key in ("title", "maxLength", "minLength", "maxItems", "pattern"):
            prop.pop(key, None)


class AiInput(BaseModel):
    """Arguments every ai_* tool that asks a model takes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_schema)

    # accepted (the predecessor's argument) but left out of the published schema: the context budget; the
    # choice is the operator's more than the model's (docs/ai.md, ai_list_providers)
    provider: SkipJsonSchema[str | None] = Field(None, max_length=200, description="auto|client|server")


DESCRIPTION = Field(min_length=1, max_length=20_000, description="What to make")
GRAPH = Field(None, min_length=3, max_length=2048, description="Named graph")
OUTPUT_FILE = Field(None, min_length=1, max_length=1000, description="File to write")


async def write_output(ctx: ToolContext[AiSettings], path: str | None, text: str) -> str | None:
    """Write ``text`` to a user-named file under the host's write policy; the workspace path written."""
    if path is None:
        return None
    written = await ctx.run_sync(ctx.workspace.write_atomic, path, text)
    return str(ctx.workspace.relative(written))
