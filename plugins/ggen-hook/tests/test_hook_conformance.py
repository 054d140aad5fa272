"""The rules every pack keeps, applied to the hook pack."""

from __future__ import annotations

from ggen_mcp_core.testing import ToolFamilyConformance


class TestHookConformance(ToolFamilyConformance):
    plugin = "hook"
    prefixes = ("hook_",)
    heavy_modules = ("tomli_w", "ggen_mcp_core.process_group", "ggen_hook.githooks")
    expected_tools = ("hook_register", "hook_list", "hook_remove", "hook_run", "hook_validate")
