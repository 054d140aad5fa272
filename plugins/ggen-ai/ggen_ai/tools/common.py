"""What the ai_* tools share: the common arguments, writing an output file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ggen_ai.settings import AiSettings
from ggen_mcp_core import ToolContext


class AiInput(BaseModel):
    """Arguments every ai_* tool that asks a model takes."""

    model_config = ConfigDict(extra="forbid")

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
