"""A misspelled hook: ggen_register_tool (no s) has no hookspec."""

from ggen_mcp_core import hookimpl

TOOL_PREFIXES = ("nospec_",)


@hookimpl
def ggen_register_tool(config):  # type: ignore[no-untyped-def]
    return []
