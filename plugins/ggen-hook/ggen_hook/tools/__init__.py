"""The hook pack's tools, one module each (named for the tool); this module only collects their specs."""

from __future__ import annotations

from ggen_hook.settings import HookSettings
from ggen_hook.tools import hook_list, hook_register, hook_remove, hook_run, hook_validate
from ggen_mcp_core import ToolSpec


def tool_specs(settings: HookSettings) -> list[ToolSpec]:
    """Every hook tool, in the order they are served."""
    return [hook_register.SPEC, hook_list.SPEC, hook_remove.SPEC, hook_run.spec(settings), hook_validate.SPEC]
