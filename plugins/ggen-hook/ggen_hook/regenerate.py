"""A git hook's other action: regenerate a template through the template pack's ``project_gen``.

The call goes through the host's one call pipeline (``ctx.call_tool``): authorized for the same principal
and scopes, rate-limited, in a slot of the template pack's share, under project_gen's timeout, with its own
trace span, result cap, call id (its ``parent_call_id`` is the ``hook_run`` call's) and audit line, so a
hook cannot do more than its caller could, and every file it writes is accounted for. A git-started hook
comes through ``ggen-mcp call hook_run``, the same pipeline.
"""

from __future__ import annotations

from typing import Any

from ggen_hook.models import HookRecord
from ggen_mcp_core import ToolContext, ToolError

GENERATE_TOOL = "project_gen"


def generation_arguments(record: HookRecord) -> dict[str, Any]:
    """The ``project_gen`` arguments of a template hook."""
    arguments: dict[str, Any] = {"template": record.template, "vars": dict(record.vars)}
    if record.output is not None:
        arguments["output"] = record.output
    return arguments


async def regenerate(record: HookRecord, ctx: ToolContext) -> dict[str, Any]:
    """Run ``project_gen`` for the hook's template and return its structured result."""
    if GENERATE_TOOL not in ctx.host.tools:
        raise ToolError(
            f"hook {record.name!r} regenerates {record.template!r} with {GENERATE_TOOL}, which this "
            "server does not offer: the template pack is not loaded (see `ggen-mcp plugins`)"
        )
    try:
        result = await ctx.call_tool(GENERATE_TOOL, generation_arguments(record))
    except ToolError as exc:
        raise ToolError(f"hook {record.name!r}: {exc}") from None
    return result if isinstance(result, dict) else {"text": result}
