"""``hook_list``: the registered hooks, in the order they run."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ggen_hook.execute import effective_timeout
from ggen_hook.githooks import git_hook_file
from ggen_hook.models import EventName, HookRecord, Vars
from ggen_hook.settings import HookSettings
from ggen_hook.store import read_hooks
from ggen_mcp_core import ToolContext, ToolSpec


class HookInfo(BaseModel):
    """A hook as the tools report it."""

    hook_id: str = Field(description="Stable identifier.")
    name: str = Field(description="Unique name.")
    event: str = Field(description="When it runs.")
    command: str | None = Field(description="The argument string it runs (split with shlex, no shell).")
    template: str | None = Field(description="The template a git hook regenerates.")
    vars: Vars = Field(description="Variables for the regeneration.")
    output: str | None = Field(description="Output directory of the regeneration.")
    timeout: float = Field(description="Seconds before the run is killed (the default when it set none).")
    enabled: bool = Field(description="Whether it runs.")
    match: str | None = Field(description="Glob on the template reference, or null for every template.")
    created_at: str = Field(description="When it was registered.")
    git_hook: str | None = Field(description="The .git/hooks script that calls it, for git events.")

    @classmethod
    def of(cls, record: HookRecord, timeout: float) -> HookInfo:
        """The public view of a stored record, with the timeout that applies to it."""
        return cls(
            **record.model_dump(exclude={"timeout"}),
            timeout=timeout,
            git_hook=git_hook_file(record.event) if record.is_git else None,
        )


class ListInput(BaseModel):
    """Arguments of ``hook_list``."""

    model_config = ConfigDict(extra="forbid")

    event: EventName | None = Field(None, description="Only this event.")


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


SPEC = ToolSpec(
    name="hook_list",
    title="List hooks",
    input_model=ListInput,
    output_model=ListOutput,
    handler=hook_list,
    read_only=True,
    scopes=("hook:run",),
    description="List the registered hooks in run order.",
)
