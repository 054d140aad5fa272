"""The ``template_*`` tools: create, validate, list, show and render templates (nothing generated on disk)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ggen_mcp_core import ToolError
from ggen_template import catalog
from ggen_template.frontmatter import split_template
from ggen_template.generate import Job, variables_used
from ggen_template.models import (
    Problem,
    RenderedFileInfo,
    TemplateCreateInput,
    TemplateCreateOutput,
    TemplateInfo,
    TemplateListInput,
    TemplateListOutput,
    TemplateRenderInput,
    TemplateRenderOutput,
    TemplateReport,
    TemplateShowInput,
    TemplateShowOutput,
    TemplateValidateInput,
    TemplateValidateOutput,
)
from ggen_template.service import checker_of, generator_of
from ggen_template.sources import TEMPLATE_SUFFIXES, locate

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings


# -- template_create -------------------------------------------------------------------------------


async def template_create(args: TemplateCreateInput, ctx: ToolContext[TemplateSettings]) -> TemplateCreateOutput:
    """Validate a template and save it as ``templates/<name>.tmpl``."""
    return await ctx.run_sync(_create, args, ctx)


def _create(args: TemplateCreateInput, ctx: ToolContext[TemplateSettings]) -> TemplateCreateOutput:
    settings = ctx.settings
    name = args.name if args.name.endswith(TEMPLATE_SUFFIXES) else f"{args.name}.tmpl"
    relative = f"{settings.templates_dir.rstrip('/')}/{name}"
    real = ctx.workspace.resolve_for_write(relative)
    existed = real.exists()
    if existed and not args.force:
        raise ToolError(f"template {relative} already exists; pass force=true to replace it")
    content = with_metadata(args.content, args.description, args.tags)
    report = checker_of(ctx).check(content, relative, real.parent)
    if not report.valid:
        raise ToolError(f"template {relative} was not saved: " + "; ".join(_shown(p) for p in report.errors))
    ctx.workspace.write_atomic(relative, content)
    return TemplateCreateOutput(
        path=relative,
        overwritten=existed,
        valid=True,
        warnings=report.warnings,
        variables_detected=report.variables_detected,
    )


def with_metadata(content: str, description: str | None, tags: list[str]) -> str:
    """``content`` with ``description`` and ``tags`` added to its front matter (created if absent)."""
    added: dict[str, Any] = {}
    if description is not None:
        added["description"] = description
    if tags:
        added["tags"] = tags
    if not added:
        return content
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in added.items()]
    split = split_template(content, name="content")
    if split.front_matter is None:
        return "---\n" + "".join(lines) + "---\n" + content
    for key in added:
        if re.search(rf"^{key}\s*:", split.front_matter, re.MULTILINE):
            raise ToolError(
                f"the content's front matter already has `{key}`; pass it there or as the argument, not both"
            )
    first, _, rest = content.removeprefix("\ufeff").partition("\n")
    return first + "\n" + "".join(lines) + rest


def _shown(problem: Problem) -> str:
    return f"line {problem.line}: {problem.message}" if problem.line is not None else problem.message


# -- template_validate -----------------------------------------------------------------------------


async def template_validate(args: TemplateValidateInput, ctx: ToolContext[TemplateSettings]) -> TemplateValidateOutput:
    """Check a template (or every template of a set) for everything that would make it fail."""
    return await ctx.run_sync(_validate, args, ctx)


def _validate(args: TemplateValidateInput, ctx: ToolContext[TemplateSettings]) -> TemplateValidateOutput:
    settings = ctx.settings
    checker = checker_of(ctx)
    if args.content is not None:
        reports = [checker.check(args.content, "content", ctx.workspace.root / settings.templates_dir)]
    else:
        assert args.template is not None
        template_set = locate(args.template, ctx.workspace, settings, ctx.host.resolve_template)
        reports = []
        for source in template_set.sources:
            text = ctx.workspace.read_text(source.path, max_bytes=settings.max_template_bytes)
            reports.append(checker.check(text, source.name, source.directory))
    return _combine(reports)


def _combine(reports: list[TemplateReport]) -> TemplateValidateOutput:
    single = len(reports) == 1

    def tagged(report: TemplateReport, problems: list[Problem]) -> list[Problem]:
        if single:
            return problems
        return [Problem(message=f"{report.template}: {p.message}", line=p.line, column=p.column) for p in problems]

    return TemplateValidateOutput(
        valid=all(r.valid for r in reports),
        errors=[p for r in reports for p in tagged(r, r.errors)],
        warnings=[p for r in reports for p in tagged(r, r.warnings)],
        variables_detected=sorted({v for r in reports for v in r.variables_detected}),
        front_matter=reports[0].front_matter if single else None,
        templates=[] if single else reports,
    )


# -- template_list / template_show -----------------------------------------------------------------


async def template_list(args: TemplateListInput, ctx: ToolContext[TemplateSettings]) -> TemplateListOutput:
    """List workspace templates and installed packs' templates with what they need."""
    return await ctx.run_sync(_list, args, ctx)


def _list(args: TemplateListInput, ctx: ToolContext[TemplateSettings]) -> TemplateListOutput:
    settings = ctx.settings
    checker = checker_of(ctx)
    found: list[TemplateInfo] = [
        catalog.template_info(name, path, "workspace", ctx.workspace, settings, checker)
        for name, path in catalog.workspace_templates(ctx.workspace, settings)
    ]
    if args.include_packs:
        found += [
            catalog.template_info(ref, path, pack_id, ctx.workspace, settings, checker)
            for pack_id, ref, path in catalog.pack_templates(ctx.workspace, ctx.host.resolve_template)
        ]
    if args.tag is not None:
        found = [info for info in found if args.tag in info.tags]
    return TemplateListOutput(templates=found, count=len(found))


async def template_show(args: TemplateShowInput, ctx: ToolContext[TemplateSettings]) -> TemplateShowOutput:
    """Show one template's front matter, body and variables."""
    return await ctx.run_sync(_show, args, ctx)


def _show(args: TemplateShowInput, ctx: ToolContext[TemplateSettings]) -> TemplateShowOutput:
    settings = ctx.settings
    template_set = locate(args.template, ctx.workspace, settings, ctx.host.resolve_template)
    if template_set.is_directory:
        names = ", ".join(s.name for s in template_set.sources[:20])
        raise ToolError(f"{args.template!r} is a template set; show one of its templates: {names}")
    return catalog.show(template_set.sources[0], ctx.workspace, settings, checker_of(ctx))


# -- template_render -------------------------------------------------------------------------------


async def template_render(args: TemplateRenderInput, ctx: ToolContext[TemplateSettings]) -> TemplateRenderOutput:
    """Render a template or set with variables and return the files; nothing is written."""
    return await ctx.run_sync(_render, args, ctx)


def _render(args: TemplateRenderInput, ctx: ToolContext[TemplateSettings]) -> TemplateRenderOutput:
    job = Job(args.template, dict(args.vars), seed=args.seed, graph=args.graph)
    _, rendered = generator_of(ctx).render(job)
    files, warnings = [], []
    for item in rendered:
        if item.output is None:
            warnings.append(f"{item.source.name} skipped: {item.skip_reason}")
            continue
        files.append(
            RenderedFileInfo(
                path=item.output,
                template=item.source.name,
                mode="inject" if item.front_matter.inject else "write",
                content=item.content,
                bytes=len(item.content.encode("utf-8")),
            )
        )
    return TemplateRenderOutput(files=files, variables_used=variables_used(rendered), warnings=warnings)
