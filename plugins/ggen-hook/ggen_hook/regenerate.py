"""A git hook's other action: regenerate a template through the template pack's ``project_gen``.

The call goes through the same checks a client's call would (authorization for the same principal,
argument validation, input validators), so a hook cannot do more than its caller could.
"""

from __future__ import annotations

from typing import Any

from ggen_hook.models import HookRecord
from ggen_mcp_core import ToolContext, ToolError
from ggen_mcp_core.calls import make_context
from ggen_mcp_core.tools import shape_result, validate_arguments

GENERATE_TOOL = "project_gen"


def generation_arguments(record: HookRecord) -> dict[str, Any]:
    """The ``project_gen`` arguments of a template hook."""
    arguments: dict[str, Any] = {"template": record.template, "vars": dict(record.vars)}
    if record.output is not None:
        arguments["output"] = record.output
    return arguments


async def regenerate(record: HookRecord, ctx: ToolContext) -> dict[str, Any]:
    """Run ``project_gen`` for the hook's template and return its structured result."""
    spec = ctx.host.tools.get(GENERATE_TOOL)
    if spec is None:
        raise ToolError(
            f"hook {record.name!r} regenerates {record.template!r} with {GENERATE_TOOL}, which this "
            "server does not offer: the template pack is not loaded (see `ggen-mcp plugins`)"
        )
    arguments = generation_arguments(record)
    if not await ctx.host.authorize(ctx.principal, spec, arguments):
        raise ToolError(f"{ctx.principal.name} is not allowed to call {GENERATE_TOOL}, which hook {record.name!r} runs")
    parsed = validate_arguments(spec, arguments)
    problems = await ctx.host.validate_input(spec, parsed.model_dump(mode="json"), ctx)
    if problems:
        raise ToolError(f"hook {record.name!r}: invalid arguments for {GENERATE_TOOL}: " + "; ".join(problems))
    inner = make_context(
        ctx.host,
        ctx.principal,
        tool=spec,
        request_id=ctx.request_id,
        session=ctx.session,
        mcp_context=ctx.mcp_context,
    )
    result = shape_result(spec, await spec.handler(parsed, inner))
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        raise ToolError(f"hook {record.name!r}: {GENERATE_TOOL} failed: {text}")
    return dict(result.structured_content or {})
