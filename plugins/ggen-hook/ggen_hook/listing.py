"""``hook_list``: the registered hooks, in the order they run."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ggen_hook.execute import effective_timeout
from ggen_hook.models import EventName, HookInfo
from ggen_hook.settings import HookSettings
from ggen_hook.store import read_hooks
from ggen_mcp_core import ToolContext


class ListInput(BaseModel):
    """Arguments of ``hook_list``."""

    model_config = ConfigDict(extra="forbid")

    event: EventName | None = Field(None, description="Only hooks of this event; all when absent.")


class ListOutput(BaseModel):
    """The hooks of the workspace."""

    hooks: list[HookInfo] = Field(description="The hooks in registration (= run) order.")
    count: int = Field(description="How many are listed.")
    commands_allowed: bool = Field(description="Whether this server runs hook commands (hooks.allow_commands).")


async def hook_list(args: ListInput, ctx: ToolContext[HookSettings]) -> ListOutput:
    """List the hooks of .ggen/hooks.toml, optionally of one event."""
    settings = ctx.settings
    hooks = (await ctx.run_sync(read_hooks, ctx.workspace)).require_valid()
    selected = [hook for hook in hooks if args.event is None or hook.event == args.event]
    infos = [HookInfo.of(hook, effective_timeout(hook, settings)) for hook in selected]
    return ListOutput(hooks=infos, count=len(infos), commands_allowed=settings.allow_commands)
