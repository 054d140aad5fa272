"""The ggen-hook plugin: hook implementations only; the modules doing the work load on first use."""

from __future__ import annotations

from ggen_hook.settings import SECTION, HookSettings
from ggen_mcp_core import LifecycleEvent, ToolContext, ToolRef, hookimpl

TOOL_PREFIXES = ("hook_",)
SETTINGS_SECTION = (SECTION, HookSettings)


@hookimpl
def ggen_register_tools() -> list[ToolRef]:
    """hook_register, hook_list, hook_remove, hook_run, hook_validate."""
    from ggen_hook.tools import tool_specs

    return tool_specs()


@hookimpl
async def ggen_lifecycle(event: LifecycleEvent, context: ToolContext) -> None:
    """Run the registered hooks of this generation event (a failing pre_* hook aborts it)."""
    from ggen_hook.lifecycle import on_lifecycle

    await on_lifecycle(event, context)
