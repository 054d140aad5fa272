"""``prompts/get``: rendering a plugin's prompt into messages, and which prompts the server can serve now."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.errors import ToolError, WorkspaceError
from ggen_mcp_core.resources import PromptSpec, maybe_await

if TYPE_CHECKING:
    from ggen_mcp_core.plugins import PluginHost
    from ggen_mcp_core.tools import ToolContext


def missing_tools(host: PluginHost, prompt: PromptSpec) -> list[str]:
    """The tools ``prompt`` uses that this server does not serve (not loaded or hidden)."""
    return [name for name in prompt.requires if name not in host.tools]


async def rendered_prompt(prompt: PromptSpec, arguments: dict[str, str], context: ToolContext) -> types.GetPromptResult:
    """The prompt's messages; a ``ToolError`` (a bad argument) becomes an invalid-params error naming it."""
    takes_ctx = len(inspect.signature(prompt.render).parameters) > 1
    try:
        value: Any = await maybe_await(prompt.render(arguments, context) if takes_ctx else prompt.render(arguments))
    except (ToolError, WorkspaceError) as exc:
        raise MCPError(code=types.INVALID_PARAMS, message=f"prompt {prompt.name}: {exc}") from None
    if isinstance(value, str):
        messages = [types.PromptMessage(role="user", content=types.TextContent(type="text", text=value))]
    else:
        messages = list(value)
    return types.GetPromptResult(description=prompt.description, messages=messages)
