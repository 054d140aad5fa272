"""``toolset_list`` and ``toolset_enable``: the two tools a ``discovery = "dynamic"`` server starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.tools import ToolSpec
from ggen_mcp_core.toolsets import enable, toolsets

if TYPE_CHECKING:
    from ggen_mcp_core.tools import ToolContext

TOOL_PREFIXES = ("toolset_",)


class ListInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolsetRow(BaseModel):
    name: str = Field(description="The toolset (pack) name to pass to toolset_enable.")
    description: str = Field(description="What the pack is for.")
    tools: list[str] = Field(description="Its tool names.")
    enabled: bool = Field(description="Whether its tools are served now.")


class ListOutput(BaseModel):
    toolsets: list[ToolsetRow] = Field(description="Every toolset, by name.")


class EnableInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Toolset name from toolset_list.", max_length=128)


class EnableOutput(BaseModel):
    name: str = Field(description="The toolset.")
    enabled: list[str] = Field(description="Tools newly served (empty: it was enabled already).")


async def toolset_list(args: ListInput, ctx: ToolContext) -> ListOutput:
    rows = [
        ToolsetRow(name=t.name, description=t.description, tools=list(t.tools), enabled=t.enabled)
        for t in toolsets(ctx.host)
    ]
    return ListOutput(toolsets=rows)


async def toolset_enable(args: EnableInput, ctx: ToolContext) -> EnableOutput:
    woken = enable(ctx.host, args.name)
    if woken:
        await ctx.notify_list_changed("tools")
        await ctx.notify_list_changed("prompts")
    return EnableOutput(name=args.name, enabled=woken)


@hookimpl
def ggen_register_tools() -> list[ToolSpec]:
    """toolset_list, toolset_enable."""
    return [
        ToolSpec(
            name="toolset_list",
            title="List toolsets",
            description="List the toolsets (packs) this server offers, their tools and whether each is enabled.",
            input_model=ListInput,
            output_model=ListOutput,
            handler=toolset_list,
            read_only=True,
        ),
        ToolSpec(
            name="toolset_enable",
            title="Enable a toolset",
            description="Enable a toolset: its tools join tools/list (the client is notified).",
            input_model=EnableInput,
            output_model=EnableOutput,
            handler=toolset_enable,
            idempotent=True,
        ),
    ]
