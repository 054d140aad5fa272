"""What every graph tool shares: settings, the store, argument types and timing."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_graph.stores import GraphStore
    from ggen_mcp_core import ToolContext

FormatName = Literal["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]
IRI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*$"
GraphIri = Annotated[
    str,
    Field(
        min_length=3,
        max_length=2048,
        pattern=IRI_PATTERN,
        description="A named graph's absolute IRI, e.g. `urn:ggen:ontology` or `http://example.org/g`.",
    ),
]
WorkspacePath = Annotated[str, Field(min_length=1, max_length=4096, description="A path inside the workspace.")]

MiB = 1024 * 1024


def graph_settings(ctx: ToolContext[GraphSettings]) -> GraphSettings:
    """``ctx.settings``, for tools/query.py and tools/update.py only until they read it directly (another
    change is rewriting those two files); new code reads ``ctx.settings``."""
    return ctx.settings


def open_store(ctx: ToolContext[GraphSettings]) -> GraphStore:
    """The store of the caller's workspace, opened on first use."""
    from ggen_graph.stores import store_for

    return store_for(ctx.settings, ctx.workspace.state_dir)


def result_budget(ctx: ToolContext) -> int:
    """The bytes a tool result may take: the host's ``limits.max_result_bytes``."""
    return ctx.host.settings.limits.max_result_bytes


class Timer:
    """Milliseconds since creation."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 3)
