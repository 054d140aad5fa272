"""What the ai_* tools share: the compact schema, the common arguments, writing an output file."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ggen_ai.settings import AiSettings
from ggen_mcp_core import ToolContext


def _compact(schema: dict[str, Any]) -> None:
    """No ``title`` per property: the model reads names and descriptions (issue 16's context budget)."""
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


class AiInput(BaseModel):
    """Arguments every ai_* tool that asks a model takes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_compact)

    provider: str | None = Field(None, max_length=200, description="auto|client|server")
    max_iterations: int = Field(3, ge=1, le=10, description="Model rounds")


DESCRIPTION = Field(min_length=1, max_length=20_000, description="What to make")
GRAPH = Field(None, min_length=3, max_length=2048, description="Named graph IRI")
OUTPUT_FILE = Field(None, min_length=1, max_length=1000, description="Workspace path to write")


async def write_output(ctx: ToolContext[AiSettings], path: str | None, text: str) -> str | None:
    """Write ``text`` to a user-named file under the host's write policy; the workspace path written."""
    if path is None:
        return None
    written = await ctx.run_sync(ctx.workspace.write_atomic, path, text)
    return str(ctx.workspace.relative(written))
