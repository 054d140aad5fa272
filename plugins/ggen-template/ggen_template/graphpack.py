"""The graph pack's persistent store and SHACL validation, when the graph pack provides them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.render import ShapeChecker, StoreReader


def store_reader(ctx: ToolContext) -> StoreReader | None:
    """A function reading a named graph of the workspace store as N-Triples (None: unavailable)."""
    return None


def shape_checker(ctx: ToolContext) -> ShapeChecker | None:
    """A function validating a template's graph against SHACL shape files (None: unavailable)."""
    return None
