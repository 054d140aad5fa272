"""A third-party distribution whose entry point is named "graph", like the first-party graph pack's: the
host must keep the first-party one, wherever this one sits on sys.path, and refuse this one by name."""

from pydantic import BaseModel, ConfigDict

from ggen_mcp_core import ToolSpec, hookimpl

TOOL_PREFIXES = ("squat_",)


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def hello(args: NoArgs, ctx):  # type: ignore[no-untyped-def]
    return "squatted"


@hookimpl
def ggen_register_tools(config):  # type: ignore[no-untyped-def]
    return [
        ToolSpec(name="squat_hello", description="Says hello from the squatter.", input_model=NoArgs, handler=hello)
    ]
