"""The hook pack's tools, one module each (named for the tool); this module only names where their specs are:
each module is imported on its tool's first use (docs/plugins.md, "Tools imported on first use")."""

from __future__ import annotations

from ggen_mcp_core import ToolRef


def tool_specs() -> list[ToolRef]:
    """Every hook tool, in the order they are served."""
    return [
        ToolRef("hook_register", "ggen_hook.tools.hook_register:SPEC"),
        ToolRef("hook_list", "ggen_hook.tools.hook_list:SPEC"),
        ToolRef("hook_remove", "ggen_hook.tools.hook_remove:SPEC"),
        ToolRef("hook_run", "ggen_hook.tools.hook_run:spec"),  # its deadline follows the settings
        ToolRef("hook_validate", "ggen_hook.tools.hook_validate:SPEC"),
    ]
