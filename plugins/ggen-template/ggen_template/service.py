"""What every handler builds from its ``ToolContext``: a checker and a generator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ggen_template.generate import Generator
from ggen_template.validate import TemplateChecker

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings


def checker_of(ctx: ToolContext[TemplateSettings]) -> TemplateChecker:
    """A template checker for this workspace."""
    return TemplateChecker(ctx.workspace, ctx.settings)


def generator_of(ctx: ToolContext[TemplateSettings]) -> Generator:
    """A generator wired to the host's template resolver and, when installed, the graph pack's store."""
    from ggen_template import graphpack

    return Generator(
        ctx.workspace,
        ctx.settings,
        resolver=ctx.host.resolve_template,
        store_reader=graphpack.store_reader(ctx),
        shape_checker=graphpack.shape_checker(ctx),
    )
