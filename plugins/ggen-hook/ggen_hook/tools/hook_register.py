"""``hook_register``: validate a hook, store it in .ggen/hooks.toml and install its .git/hooks block."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ggen_hook import githooks
from ggen_hook.execute import plan_command
from ggen_hook.models import (
    MAX_COMMAND,
    MAX_TEMPLATE,
    MAX_VARS,
    NAME_PATTERN,
    EventName,
    HookRecord,
    Vars,
    check_action,
    new_hook_id,
    now_iso,
)
from ggen_hook.regenerate import GENERATE_TOOL
from ggen_hook.settings import HookSettings
from ggen_hook.store import locked, read_hooks, write_hooks
from ggen_mcp_core import ToolContext, ToolError, ToolSpec, Workspace
from ggen_mcp_core.commands import split_command


class RegisterInput(BaseModel):
    """Arguments of ``hook_register``."""

    model_config = ConfigDict(extra="forbid")

    event: EventName = Field(description="When it runs.")
    command: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_COMMAND,
        description="Program and arguments (no shell).",
    )
    template: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_TEMPLATE,
        description="git-* only: template to regenerate.",
    )
    vars: Vars = Field(default_factory=dict, max_length=MAX_VARS, description="Its vars.")
    output: str | None = Field(
        None,
        min_length=1,
        max_length=1024,
        description="Its output folder.",
    )
    name: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="Unique name.",
    )
    timeout: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="Seconds.",
    )
    enabled: bool = Field(True, description="False: stored, not run.")
    match: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        description="Glob on the template.",
    )

    @model_validator(mode="after")
    def _action(self) -> RegisterInput:
        check_action(self.event, self.command, self.template, self.match)
        if (self.output is not None or self.vars) and self.template is None:
            raise ValueError("vars and output are for template regeneration; give them with template")
        return self


class RegisterOutput(BaseModel):
    """What ``hook_register`` stored."""

    hook_id: str = Field(description="Stable identifier.")
    name: str = Field(description="The hook's unique name.")
    event: str = Field(description="When it runs.")
    command: str | None = Field(description="The argument string it runs, or null for a template hook.")
    template: str | None = Field(description="The template a git hook regenerates.")
    status: str = Field(description="`registered`.")
    enabled: bool = Field(description="Whether it runs.")
    git_hook: str | None = Field(description="The .git/hooks script that now calls it (git events).")
    will_run: bool = Field(description="Whether this server would run it now (commands allowed, allowlisted).")
    note: str | None = Field(description="Why it would not run now, when it would not.")


async def hook_register(args: RegisterInput, ctx: ToolContext[HookSettings]) -> RegisterOutput:
    """Validate, store in .ggen/hooks.toml and, for git events, install the .git/hooks block."""
    settings = ctx.settings
    if args.command is not None:
        split_command(args.command)
    if args.timeout is not None and args.timeout > settings.max_timeout:
        raise ToolError(f"timeout {args.timeout:g} s is above hooks.max_timeout ({settings.max_timeout:g} s)")
    if args.output is not None:
        ctx.workspace.resolve(args.output)
    record = HookRecord(
        hook_id=new_hook_id(),
        name=args.name or f"{args.event}-{uuid.uuid4().hex[:8]}",
        event=args.event,
        command=args.command,
        template=args.template,
        vars=args.vars,
        output=args.output,
        timeout=float(args.timeout) if args.timeout is not None else None,
        enabled=args.enabled,
        match=args.match,
        created_at=now_iso(),
    )
    git_hook = await ctx.run_sync(_store_new, ctx.workspace, record, settings)
    note = _why_not_runnable(record, ctx, settings)
    ctx.log.info("hook registered", hook=record.name, hook_event=record.event, git_hook=git_hook)
    return RegisterOutput(
        hook_id=record.hook_id,
        name=record.name,
        event=record.event,
        command=record.command,
        template=record.template,
        status="registered",
        enabled=record.enabled,
        git_hook=git_hook,
        will_run=note is None,
        note=note,
    )


def _store_new(workspace: Workspace, record: HookRecord, settings: HookSettings) -> str | None:
    with locked(workspace):
        hooks = read_hooks(workspace).require_valid()
        for other in hooks:
            if other.name == record.name:
                raise ToolError(
                    f"a hook named {record.name!r} already exists ({other.event}, {other.hook_id}); "
                    "remove it first or choose another name"
                )
        if len(hooks) >= settings.max_hooks:
            raise ToolError(f"this workspace already has {len(hooks)} hooks (hooks.max_hooks); remove some first")
        git_hook = githooks.install(workspace, record.event, record.name) if record.is_git and record.enabled else None
        try:
            write_hooks(workspace, [*hooks, record])
        except BaseException:
            if git_hook is not None:
                githooks.uninstall(workspace, record.event, record.name)
            raise
        return git_hook


def _why_not_runnable(record: HookRecord, ctx: ToolContext, settings: HookSettings) -> str | None:
    if not record.enabled:
        return "the hook is disabled"
    if record.template is not None:
        return (
            None if GENERATE_TOOL in ctx.host.tools else f"{GENERATE_TOOL} is not available (template pack not loaded)"
        )
    try:
        plan_command(record, ctx, settings)
    except ToolError as exc:
        return str(exc)
    return None


SPEC = ToolSpec(
    name="hook_register",
    title="Register a hook",
    input_model=RegisterInput,
    output_model=RegisterOutput,
    handler=hook_register,
    scopes=("hook:write",),
    description="Register a command for a generation or git event.",
)
