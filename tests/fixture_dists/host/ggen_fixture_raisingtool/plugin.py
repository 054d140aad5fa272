"""A tool that raises on every call; the plugin stays loaded and the server keeps serving."""

from pydantic import BaseModel, ConfigDict

from ggen_mcp_core import ToolSpec, hookimpl

TOOL_PREFIXES = ("raisingtool_",)


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def explode(args: NoArgs, ctx):  # type: ignore[no-untyped-def]
    raise KeyError("internal detail: /etc/secret-path")


@hookimpl
def ggen_register_tools(config):  # type: ignore[no-untyped-def]
    return [
        ToolSpec(
            name="raisingtool_explode",
            description="Raises on every call (test fixture).",
            input_model=NoArgs,
            handler=explode,
            read_only=True,
        )
    ]
