"""``project_diff``: unified diffs between what a template would generate and the files on disk."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ggen_mcp_core import ToolSpec
from ggen_template.tools.common import READ, RenderInput, generator_of

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.actions import Action
    from ggen_template.generate import Prepared
    from ggen_template.settings import TemplateSettings

DiffStatus = Literal["added", "modified", "injected", "unchanged", "skipped"]
STATUS: dict[str, DiffStatus] = {"create": "added", "overwrite": "modified", "inject": "injected"}


class ProjectDiffInput(RenderInput):
    """Arguments of ``project_diff``."""

    target: str = Field(".", min_length=1, max_length=1000, description="Output folder.")


class FileDiff(BaseModel):
    """One file's difference."""

    path: str = Field(description="Workspace path.")
    status: DiffStatus = Field(description="How the generated file differs from the one on disk.")
    diff: str = Field(description="Unified diff (empty when unchanged).")


class ProjectDiffOutput(BaseModel):
    """The differences."""

    differences: bool = Field(description="Some file would change.")
    message: str = Field(description="`N of M files differ` or `no differences`.")
    files: list[FileDiff] = Field(default_factory=list, description="Every file the generation touches.")
    warnings: list[str] = Field(default_factory=list, description="Templates skipped and why.")


async def project_diff(args: ProjectDiffInput, ctx: ToolContext[TemplateSettings]) -> ProjectDiffOutput:
    """Unified diffs between what the template would generate in ``target`` and the files there."""
    from ggen_template.generate import Job

    job = Job(args.template, dict(args.vars), args.target, args.seed, args.graph, force=True)
    prepared: Prepared = await ctx.run_sync(generator_of(ctx).prepare, job)
    await ctx.progress(1, 2, f"rendered {len(prepared.planned.actions)} file(s)")
    files = await ctx.run_sync(_diffs, prepared, ctx)
    await ctx.progress(2, 2, "compared with the disk")
    changed = [f for f in files if f.status not in ("unchanged", "skipped")]
    message = f"{len(changed)} of {len(files)} files differ" if changed else "no differences"
    return ProjectDiffOutput(
        differences=bool(changed), message=message, files=files, warnings=prepared.planned.warnings
    )


def _diffs(prepared: Prepared, ctx: ToolContext[TemplateSettings]) -> list[FileDiff]:
    from ggen_template.actions import read_existing

    max_bytes = ctx.settings.max_total_bytes
    final: dict[str, Action] = {}
    kinds: dict[str, str] = {}
    for action in prepared.planned.actions:
        kinds.setdefault(action.path, action.type)
        if action.type != "skip" or action.path not in final:
            final[action.path] = action
    files = []
    for path, action in final.items():
        old = read_existing(ctx.workspace.resolve(path), max_bytes)
        if action.type == "skip":
            skipped: DiffStatus = "unchanged" if action.reason == "unchanged" else "skipped"
            files.append(FileDiff(path=path, status=skipped, diff=""))
            continue
        status: DiffStatus = "modified" if old is not None and kinds[path] == "create" else STATUS[kinds[path]]
        diff = "".join(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (action.content or "").splitlines(keepends=True),
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}",
            )
        )
        files.append(FileDiff(path=path, status=status if diff else "unchanged", diff=diff))
    return files


def spec(settings: TemplateSettings) -> ToolSpec:
    """project_diff's registration."""
    return ToolSpec(
        name="project_diff",
        title="Diff generated files against disk",
        description="Diff a generation against the disk.",
        input_model=ProjectDiffInput,
        output_model=ProjectDiffOutput,
        handler=project_diff,
        read_only=True,
        scopes=READ,
    )
