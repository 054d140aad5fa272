"""``template_list``: the workspace's and installed packs' templates with what they need, a page at a time."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_mcp_core import ToolError, ToolSpec
from ggen_template.models import TemplateInfo
from ggen_template.tools.common import READ, Input

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings

PAGE_SIZE = 50


class TemplateListInput(Input):
    """Arguments of ``template_list``."""

    tag: str | None = Field(None, max_length=100, description="Only this tag.")
    include_packs: bool = Field(True, description="List packs' too.")
    cursor: str | None = Field(None, max_length=20, description="next_cursor to resume.")


class TemplateListOutput(BaseModel):
    """One page of templates."""

    templates: list[TemplateInfo] = Field(default_factory=list, description="This page's templates, by name.")
    count: int = Field(description="Templates on this page.")
    total: int = Field(description="Templates matching, all pages.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


async def template_list(args: TemplateListInput, ctx: ToolContext[TemplateSettings]) -> TemplateListOutput:
    """List workspace templates and installed packs' templates with what they need."""
    return await ctx.run_sync(_list, args, ctx)


def _list(args: TemplateListInput, ctx: ToolContext[TemplateSettings]) -> TemplateListOutput:
    from ggen_template import catalog
    from ggen_template.tools.common import checker_of

    start = _offset(args.cursor)
    settings = ctx.settings
    found = [("workspace", name, path) for name, path in catalog.workspace_templates(ctx.workspace, settings)]
    if args.include_packs:
        found += list(catalog.pack_templates(ctx.workspace, ctx.host.resolve_template))
    checker = checker_of(ctx)

    def info(entry: tuple[str, str, Path]) -> TemplateInfo:
        origin, name, path = entry
        return catalog.template_info(name, path, origin, ctx.workspace, settings, checker)

    if args.tag is None:  # describe only this page's templates
        total = len(found)
        _check_start(start, total, args.cursor)
        page = [info(entry) for entry in found[start : start + PAGE_SIZE]]
    else:
        tagged = [item for item in map(info, found) if args.tag in item.tags]
        total = len(tagged)
        _check_start(start, total, args.cursor)
        page = tagged[start : start + PAGE_SIZE]
    more = start + PAGE_SIZE < total
    return TemplateListOutput(
        templates=page, count=len(page), total=total, next_cursor=str(start + PAGE_SIZE) if more else None
    )


def _check_start(start: int, total: int, cursor: str | None) -> None:
    if start > total or (start == total and start > 0):
        raise ToolError(f"cursor {cursor!r} is past the end ({total} templates); list again without it")


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise ToolError(f"cursor {cursor!r} is not a `next_cursor` this tool returned")
    return int(cursor)


def spec(settings: TemplateSettings) -> ToolSpec:
    """template_list's registration."""
    return ToolSpec(
        name="template_list",
        title="List templates",
        description="List templates and the variables they take.",
        input_model=TemplateListInput,
        output_model=TemplateListOutput,
        handler=template_list,
        read_only=True,
        scopes=READ,
    )
