"""What every handler needs from its ``ToolContext``: settings, a checker and a generator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ggen_template.generate import Generator
from ggen_template.settings import TemplateSettings, load_settings
from ggen_template.validate import TemplateChecker

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext


def settings_of(ctx: ToolContext) -> TemplateSettings:
    """The ``[template]`` settings of this server."""
    return load_settings(ctx.settings)


def checker_of(ctx: ToolContext) -> TemplateChecker:
    """A template checker for this workspace."""
    return TemplateChecker(ctx.workspace, settings_of(ctx))


def generator_of(ctx: ToolContext) -> Generator:
    """A generator wired to the host's template resolver and, when installed, the graph pack's store."""
    from ggen_template import graphpack

    settings = settings_of(ctx)
    return Generator(ctx.workspace, settings, resolver=ctx.host.resolve_template,
                     store_reader=graphpack.store_reader(ctx), shape_checker=graphpack.shape_checker(ctx))
