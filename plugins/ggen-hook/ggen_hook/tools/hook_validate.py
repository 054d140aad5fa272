"""``hook_validate``: would each hook run? Executable, events, templates, git blocks, the file itself."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ggen_hook import githooks
from ggen_hook.execute import check_runnable
from ggen_hook.models import NAME_PATTERN, HookRecord
from ggen_hook.regenerate import GENERATE_TOOL
from ggen_hook.settings import HookSettings
from ggen_hook.store import HOOKS_FILE, read_hooks
from ggen_mcp_core import ToolContext, ToolError, ToolSpec
from ggen_mcp_core.commands import resolve_executable, search_path, split_command


class ValidateInput(BaseModel):
    """Arguments of ``hook_validate``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, pattern=NAME_PATTERN, description="Only this hook.")


class HookCheck(BaseModel):
    """The verdict on one hook."""

    name: str = Field(description="The hook.")
    event: str = Field(description="Its event.")
    valid: bool = Field(description="No problems.")
    problems: list[str] = Field(description="What stops it from working anywhere.")
    warnings: list[str] = Field(description="What stops it on this server now (settings) or looks wrong.")
    executable: str | None = Field(description="The program it would run, resolved.")


class ValidateOutput(BaseModel):
    """The verdict on the hooks file and every hook in it."""

    valid: bool = Field(description="The file and every checked hook are valid.")
    file: str = Field(description="The hooks file.")
    file_problems: list[str] = Field(description="Entries that could not be read (unknown events, bad names...).")
    hooks: list[HookCheck] = Field(description="One verdict per valid entry.")


async def hook_validate(args: ValidateInput, ctx: ToolContext[HookSettings]) -> ValidateOutput:
    """Check the hooks file and each hook: executable found, events known, templates resolve."""
    settings = ctx.settings
    loaded = await ctx.run_sync(read_hooks, ctx.workspace)
    records = [hook for hook in loaded.hooks if args.name is None or hook.name == args.name]
    if args.name is not None and not records and not loaded.problems:
        raise ToolError(f"no hook named {args.name!r}")
    checks = [await ctx.run_sync(_check, hook, ctx, settings) for hook in records]
    return ValidateOutput(
        valid=not loaded.problems and all(check.valid for check in checks),
        file=HOOKS_FILE,
        file_problems=loaded.problems,
        hooks=checks,
    )


def _check(record: HookRecord, ctx: ToolContext, settings: HookSettings) -> HookCheck:
    problems: list[str] = []
    warnings: list[str] = []
    executable = None
    if record.timeout is not None and record.timeout > settings.max_timeout:
        warnings.append(f"timeout {record.timeout:g} s is cut to hooks.max_timeout ({settings.max_timeout:g} s)")
    if not record.enabled:
        warnings.append("disabled: it never runs")
    if record.command is not None:
        executable = _check_command(record.command, ctx, settings, problems, warnings)
    if record.template is not None:
        _check_template(record, ctx, problems)
    if record.is_git and record.enabled:
        _check_git(record, ctx, problems, warnings)
    return HookCheck(
        name=record.name,
        event=record.event,
        valid=not problems,
        problems=problems,
        warnings=warnings,
        executable=executable,
    )


def _check_command(
    command: str, ctx: ToolContext, settings: HookSettings, problems: list[str], warnings: list[str]
) -> str | None:
    try:
        program = split_command(command)[0]
        executable = resolve_executable(program, ctx.workspace, search_path())
    except ToolError as exc:
        problems.append(str(exc))
        return None
    try:
        check_runnable(program, executable, settings, ctx.workspace)
    except ToolError as exc:
        warnings.append(str(exc))
    return executable


def _check_template(record: HookRecord, ctx: ToolContext, problems: list[str]) -> None:
    if GENERATE_TOOL not in ctx.host.tools:
        problems.append(f"{GENERATE_TOOL} is not available: the template pack is not loaded")
    assert record.template is not None
    if not _template_resolves(record.template, ctx):
        problems.append(
            f"template {record.template!r} does not resolve: not a file or directory in the workspace, "
            "and no installed pack knows it"
        )
    if record.output is not None:
        try:
            ctx.workspace.resolve(record.output)
        except ToolError as exc:
            problems.append(f"output: {exc}")


def _template_resolves(ref: str, ctx: ToolContext) -> bool:
    try:
        if ctx.workspace.resolve(ref).exists():
            return True
    except ToolError:
        pass
    found: Path | None = ctx.host.resolve_template(ref)
    return found is not None


def _check_git(record: HookRecord, ctx: ToolContext, problems: list[str], warnings: list[str]) -> None:
    script = githooks.git_hook_file(record.event)
    state = githooks.block_state(ctx.workspace, record.event, record.name)
    if state != "present":
        problems.append(
            f"{script} does not call it properly (its block is {state}); remove the hook, fix the script "
            "if needed, and register it again"
        )
        return
    path = ctx.workspace.resolve(script)
    if not path.stat().st_mode & 0o111:
        problems.append(f"{script} is not executable, so git skips it (chmod +x {script})")
    config = ctx.workspace.root / ".git" / "config"
    if config.is_file() and "hookspath" in config.read_text(encoding="utf-8", errors="replace").lower():
        warnings.append("core.hooksPath is set in .git/config: git may not run the scripts in .git/hooks")


SPEC = ToolSpec(
    name="hook_validate",
    title="Validate hooks",
    input_model=ValidateInput,
    output_model=ValidateOutput,
    handler=hook_validate,
    read_only=True,
    scopes=("hook:run",),
    description="Check the registered hooks.",
)
