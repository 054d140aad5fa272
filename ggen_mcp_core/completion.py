"""``completion/complete``: the completers prompts and resource templates register, given live state."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import mcp_types as types
import structlog

from ggen_mcp_core.resources import Completer, maybe_await

if TYPE_CHECKING:
    from ggen_mcp_core.plugins import PluginHost
    from ggen_mcp_core.tools import ToolContext

MAX_COMPLETIONS = 100  # the protocol's cap on values in one answer
log = structlog.get_logger("ggen_mcp.completion")


def find_completer(host: PluginHost, params: types.CompleteRequestParams) -> tuple[Completer, str] | None:
    """The completer of the referenced prompt argument or resource-template variable, with its plugin."""
    ref = params.ref
    if isinstance(ref, types.PromptReference):
        prompt = host.prompts.get(ref.name)
        argument = next((a for a in prompt.arguments if a.name == params.argument.name), None) if prompt else None
        return (argument.complete, prompt.plugin) if prompt and argument and argument.complete else None
    template = next((t for t in host.resource_templates if t.uri_template == ref.uri), None)
    completer = template.complete.get(params.argument.name) if template else None
    return (completer, template.plugin) if template and completer else None


async def suggested(completer: Completer, value: str, ctx: ToolContext, arguments: dict[str, str]) -> list[str]:
    """Call ``completer`` with as many of (value, ctx, arguments) as it takes; its failure offers nothing
    (logged: completion is a convenience, never an error the client must handle)."""
    offered = (value, ctx, arguments)
    takes = len(inspect.signature(completer).parameters)
    try:
        found = await maybe_await(completer(*offered[: max(1, min(takes, 3))]))
    except Exception:
        log.exception("completer failed", completer=getattr(completer, "__qualname__", repr(completer)))
        return []
    return [str(v) for v in found]


def completion_result(values: list[str]) -> types.CompleteResult:
    """At most :data:`MAX_COMPLETIONS` values, with the total and whether more exist."""
    return types.CompleteResult(
        completion=types.Completion(
            values=values[:MAX_COMPLETIONS], total=len(values), has_more=len(values) > MAX_COMPLETIONS
        )
    )
