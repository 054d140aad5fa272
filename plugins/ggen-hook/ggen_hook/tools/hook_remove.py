"""``hook_remove``: take a hook out of .ggen/hooks.toml and its block out of .git/hooks, together."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ggen_hook import githooks
from ggen_hook.models import HOOK_ID_PATTERN
from ggen_hook.store import locked, read_raw_entries, write_raw_entries
from ggen_mcp_core import ToolContext, ToolError, ToolSpec, Workspace


class RemoveInput(BaseModel):
    """Arguments of ``hook_remove``: exactly one of ``name`` and ``hook_id``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=128, description="Hook name.")
    hook_id: str | None = Field(None, pattern=HOOK_ID_PATTERN, description="Or hook id.")

    @model_validator(mode="after")
    def _one(self) -> RemoveInput:
        if (self.name is None) == (self.hook_id is None):
            raise ValueError("give exactly one of name and hook_id")
        return self


class RemoveOutput(BaseModel):
    """What ``hook_remove`` removed."""

    hook_id: str | None = Field(description="Its id.")
    name: str | None = Field(description="Its name.")
    event: str | None = Field(description="Its event.")
    status: str = Field(description="`removed`.")
    git_hook: str | None = Field(description="The .git/hooks script our block was taken out of, if any.")


async def hook_remove(args: RemoveInput, ctx: ToolContext) -> RemoveOutput:
    """Remove one hook from .ggen/hooks.toml and its block from .git/hooks (nothing else in the script)."""
    return await ctx.run_sync(_remove, ctx.workspace, args)


def _remove(workspace: Workspace, args: RemoveInput) -> RemoveOutput:
    with locked(workspace):
        entries = read_raw_entries(workspace)
        index = _find(entries, args)
        entry = entries[index]
        name, event = entry.get("name"), entry.get("event")
        git_hook = None
        if isinstance(name, str) and event in githooks.GIT_HOOK_NAMES:
            git_hook = githooks.uninstall(workspace, str(event), name)
        write_raw_entries(workspace, entries[:index] + entries[index + 1 :])
    hook_id = entry.get("hook_id")
    return RemoveOutput(
        hook_id=hook_id if isinstance(hook_id, str) else None,
        name=name if isinstance(name, str) else None,
        event=event if isinstance(event, str) else None,
        status="removed",
        git_hook=git_hook,
    )


def _find(entries: list[dict[str, object]], args: RemoveInput) -> int:
    key, wanted = ("name", args.name) if args.name is not None else ("hook_id", args.hook_id)
    for index, entry in enumerate(entries):
        if entry.get(key) == wanted:
            return index
    names = ", ".join(str(entry.get("name")) for entry in entries) or "none"
    raise ToolError(f"no hook with {key} {wanted!r}; registered hooks: {names}")


SPEC = ToolSpec(
    name="hook_remove",
    title="Remove a hook",
    input_model=RemoveInput,
    output_model=RemoveOutput,
    handler=hook_remove,
    destructive=True,
    scopes=("hook:write",),
    description="Remove a hook by name or id.",
)
