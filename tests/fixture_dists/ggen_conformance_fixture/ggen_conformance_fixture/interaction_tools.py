"""Tools that talk to the client while they run: log messages and progress notifications."""

from __future__ import annotations

import anyio

from ggen_conformance_fixture.content_tools import NoArguments, fixture_tool
from ggen_mcp_core import ToolContext, ToolSpec

STEP_DELAY = 0.05
LOG_MESSAGES = ("Tool execution started", "Tool processing data", "Tool execution completed")
PROGRESS_TOTAL = 100


async def tool_with_logging(args: NoArguments, ctx: ToolContext) -> str:
    for index, message in enumerate(LOG_MESSAGES):
        if index:
            await anyio.sleep(STEP_DELAY)
        await ctx.client_log("info", message)
    return "Tool with logging executed successfully"


async def tool_with_progress(args: NoArguments, ctx: ToolContext) -> str:
    for index, step in enumerate((0, 50, 100)):
        if index:
            await anyio.sleep(STEP_DELAY)
        await ctx.progress(step, PROGRESS_TOTAL, f"Completed step {step} of {PROGRESS_TOTAL}")
    return f"Tool with progress executed successfully (progress token: {progress_token(ctx)})"


def progress_token(ctx: ToolContext) -> str | int | None:
    """The progress token the client sent in the request's ``_meta``, if any."""
    meta = getattr(ctx.mcp_context, "meta", None) or {}
    token = meta.get("progress_token", meta.get("progressToken"))
    return token if isinstance(token, str | int) else None


def interaction_tools() -> list[ToolSpec]:
    """The tools of the scenarios ``tools-call-with-logging`` and ``tools-call-with-progress``."""
    return [
        fixture_tool(
            "test_tool_with_logging",
            "Tests tool that emits three info log messages about 50 ms apart during execution.",
            tool_with_logging,
        ),
        fixture_tool(
            "test_tool_with_progress",
            "Tests tool that reports progress notifications 0, 50 and 100 of 100.",
            tool_with_progress,
        ),
    ]
