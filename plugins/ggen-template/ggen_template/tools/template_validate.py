"""``template_validate``: everything that would make a template, a set or a text fail, without rendering it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, model_validator

from ggen_mcp_core import ToolSpec
from ggen_template.models import Problem, TemplateReport
from ggen_template.tools.common import READ, Input, checker_of

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings


class TemplateValidateInput(Input):
    """Arguments of ``template_validate``: exactly one of ``template`` and ``content``."""

    template: str | None = Field(None, min_length=1, max_length=500, description="Template, folder or pack-id:path.")
    content: str | None = Field(None, min_length=1, max_length=1024 * 1024, description="Template text instead.")

    @model_validator(mode="after")
    def _one(self) -> TemplateValidateInput:
        if (self.template is None) == (self.content is None):
            raise ValueError("give exactly one of `template` or `content`")
        return self


class TemplateValidateOutput(BaseModel):
    """The findings for every template checked."""

    valid: bool = Field(description="Every template of the reference is valid.")
    errors: list[Problem] = Field(default_factory=list, description="Errors of all templates checked.")
    warnings: list[Problem] = Field(default_factory=list, description="Warnings of all templates checked.")
    variables_detected: list[str] = Field(default_factory=list, description="Variables used, all templates.")
    front_matter: dict[str, Any] | None = Field(None, description="The front matter (single template).")
    templates: list[TemplateReport] = Field(
        default_factory=list, description="Findings per template, when `template` is a folder."
    )


async def template_validate(args: TemplateValidateInput, ctx: ToolContext[TemplateSettings]) -> TemplateValidateOutput:
    """Check a template (or every template of a set) for everything that would make it fail."""
    return await ctx.run_sync(_validate, args, ctx)


def _validate(args: TemplateValidateInput, ctx: ToolContext[TemplateSettings]) -> TemplateValidateOutput:
    from ggen_template.sources import locate

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
    return combine(reports)


def combine(reports: list[TemplateReport]) -> TemplateValidateOutput:
    """One answer for the reports of a template or a set (a set's problems name their template)."""
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


def spec(settings: TemplateSettings) -> ToolSpec:
    """template_validate's registration."""
    return ToolSpec(
        name="template_validate",
        title="Validate a template",
        description="Check templates without rendering them.",
        input_model=TemplateValidateInput,
        output_model=TemplateValidateOutput,
        handler=template_validate,
        read_only=True,
        scopes=READ,
    )
