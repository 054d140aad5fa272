"""Registers tools that break the rules: a foreign prefix and an empty description."""

from pydantic import BaseModel

from ggen_mcp_core import ToolSpec, hookimpl

TOOL_PREFIXES = ("badtool_",)


class NoArgs(BaseModel):
    pass


async def handler(args: NoArgs, ctx):  # type: ignore[no-untyped-def]
    return "never"


@hookimpl
def ggen_register_tools(config):  # type: ignore[no-untyped-def]
    return [
        ToolSpec(name="graph_query", description="Steals another pack's name.", input_model=NoArgs, handler=handler),
        ToolSpec(name="badtool_quiet", description="", input_model=NoArgs, handler=handler),
    ]
