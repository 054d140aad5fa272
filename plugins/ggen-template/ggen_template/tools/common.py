"""What the template and project tools share: scopes, argument types, the checker and generator of a call,
and the glue around a generation that writes (lifecycle events, the write in a worker thread, results).

Nothing here imports Jinja2, PyYAML or the RDF engine at import time: the modules that do are imported by
the functions that need them, on a tool's first call.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ggen_mcp_core import ToolError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ggen_mcp_core import ToolContext
    from ggen_template.actions import Action, ActionType, Planned
    from ggen_template.checks import TemplateChecker
    from ggen_template.generate import Generator
    from ggen_template.settings import TemplateSettings
    from ggen_template.writer import SetWriter, WriteReport

READ = ("template:read",)
WRITE = ("template:write",)
WRITING: tuple[ActionType, ...] = ("create", "overwrite", "inject")
MAX_VARS_BYTES = 256 * 1024
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

TemplateRef = Field(
    min_length=1,
    max_length=500,
    description="Template or pack-id:path.",
)


def check_vars(value: dict[str, Any]) -> dict[str, Any]:
    """At most 200 identifier-named variables of at most 256 KiB as JSON."""
    if len(value) > 200:
        raise ValueError("at most 200 variables")
    for key in value:
        if not _IDENTIFIER.match(key) or len(key) > 100:
            raise ValueError(f"variable name {key!r} must be an identifier of at most 100 characters")
    if len(json.dumps(value, default=str)) > MAX_VARS_BYTES:
        raise ValueError(f"variables are larger than {MAX_VARS_BYTES} bytes as JSON")
    return value


class Input(BaseModel):
    """Arguments of a template or project tool: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class RenderInput(Input):
    """What renders a template: the reference, variables, a graph and a seed."""

    template: str = TemplateRef
    vars: dict[str, Any] = Field(default_factory=dict, description="Variables.")
    graph: str | None = Field(None, min_length=1, max_length=2000, description="Store graph IRI.")
    seed: str | None = Field(None, max_length=200, description="Random seed.")

    @field_validator("vars")
    @classmethod
    def _vars(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_vars(value)

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ProjectInput(RenderInput):
    """A render whose files go under an output folder."""

    output: str = Field(".", min_length=1, max_length=1000, description="Output folder.")


class GenerationResult(BaseModel):
    """What a generation wrote (or, on a dry run, would write)."""

    files_created: list[str] = Field(default_factory=list, description="Files that did not exist.")
    files_modified: list[str] = Field(default_factory=list, description="Existing files overwritten.")
    files_injected: list[str] = Field(default_factory=list, description="Existing files changed in place.")
    files_skipped: list[str] = Field(default_factory=list, description="Files left alone (unchanged, skip rules).")
    variables_used: dict[str, Any] = Field(default_factory=dict, description="Variables after defaults.")
    dry_run: bool = Field(False, description="Nothing was written.")
    duration_ms: float = Field(0.0, description="Wall-clock time of the call.")
    warnings: list[str] = Field(default_factory=list, description="Things worth a look; nothing failed.")


def checker_of(ctx: ToolContext[TemplateSettings]) -> TemplateChecker:
    """A template checker for this workspace."""
    from ggen_template.checks import TemplateChecker

    return TemplateChecker(ctx.workspace, ctx.settings)


def generator_of(ctx: ToolContext[TemplateSettings]) -> Generator:
    """A generator wired to the host's template resolver and, when installed, the graph pack's store."""
    from ggen_template import graphpack
    from ggen_template.generate import Generator

    return Generator(
        ctx.workspace,
        ctx.settings,
        resolver=ctx.host.resolve_template,
        store_reader=graphpack.store_reader(ctx),
        shape_checker=graphpack.shape_checker(ctx),
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return round((time.perf_counter() - started) * 1000, 3)


def event_data(
    tool: str, output: str, variables: dict[str, Any], actions: list[Action], **extra: Any
) -> dict[str, Any]:
    """The ``data`` of a lifecycle event."""
    return {
        "tool": tool,
        "output": output,
        "variables": variables,
        "actions": [{"type": a.type, "path": a.path} for a in actions],
        **extra,
    }


async def post_event(
    ctx: ToolContext, name: str, warnings: list[str], *, template: str, files: list[str], data: dict[str, Any]
) -> None:
    """Emit a ``post_*`` event; listeners may append to ``data["warnings"]``, and a raise becomes a warning."""
    try:
        await ctx.hook(name, template=template, files=files, data={**data, "warnings": warnings})  # type: ignore[arg-type]
    except ToolError as exc:
        warnings.append(str(exc))


def planned_result(planned: Planned) -> dict[str, list[str]]:
    """The file lists of a plan, as a dry run reports them."""
    return {
        "files_created": planned.paths("create"),
        "files_modified": planned.paths("overwrite"),
        "files_injected": planned.paths("inject"),
        "files_skipped": planned.paths("skip"),
    }


def written_result(report: WriteReport) -> dict[str, list[str]]:
    """The file lists of a write."""
    return {
        "files_created": report.created,
        "files_modified": report.modified,
        "files_injected": report.injected,
        "files_skipped": report.skipped,
    }


def command_warnings(planned: Planned, ctx: ToolContext[TemplateSettings]) -> list[str]:
    """One line per ``sh_before``/``sh_after`` a plan would run, saying whether this server runs it."""
    from ggen_template.shell import command_policy, plan_command

    settings = ctx.settings
    policy = command_policy(settings)
    notes = []
    for action in planned.actions:
        for key in ("sh_before", "sh_after"):
            argv = getattr(action, key)
            if argv and action.type != "skip":
                state = "would run" if settings.allow_shell else "is refused (template.allow_shell is off)"
                try:
                    if settings.allow_shell:
                        plan_command(argv, policy, ctx.workspace, action.template, key)
                except ToolError as exc:
                    state = f"is refused ({exc})"
                notes.append(f"{action.template}: `{key}` {' '.join(argv)!r} {state}")
    return notes


async def write(ctx: ToolContext, writer: SetWriter, actions: list[Action], *, force: bool = False) -> WriteReport:
    """Write in a worker thread; a cancelled call (timeout, client) kills a running command and stops the write."""
    try:
        return await ctx.run_sync(lambda: writer.write(actions, force=force))
    except BaseException:
        writer.stop()
        raise


def staged_progress(ctx: ToolContext, offset: int, total: int) -> Callable[[int, int, str], None]:
    """A writer's ``on_staged`` callback reporting ``offset + done`` of ``total`` from the writing thread."""
    import anyio.from_thread

    def report(done: int, _count: int, path: str) -> None:
        anyio.from_thread.run(ctx.progress, offset + done, total, f"staged {path}")

    return report
