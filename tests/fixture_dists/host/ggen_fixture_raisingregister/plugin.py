"""ggen_register_tools raises: the whole plugin must be unloaded, its observer too."""

from ggen_mcp_core import hookimpl

CALLS: list[str] = []


@hookimpl
def ggen_on_tool_call(event):  # type: ignore[no-untyped-def]
    CALLS.append(event.tool)


@hookimpl
def ggen_register_tools(config):  # type: ignore[no-untyped-def]
    raise RuntimeError("registry database is locked")
