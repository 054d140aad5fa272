"""The ggen-ai plugin: hook implementations only; the modules doing the work load on first use."""

from __future__ import annotations

from ggen_ai.settings import SECTION, AiSettings
from ggen_mcp_core import ToolRef, hookimpl

TOOL_PREFIXES = ("ai_",)
SETTINGS_SECTION = (SECTION, AiSettings)


@hookimpl
def ggen_register_tools() -> list[ToolRef]:
    """The seven ai_* tools."""
    from ggen_ai.tools import tool_specs

    return tool_specs()
