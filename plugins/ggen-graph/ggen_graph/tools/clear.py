"""graph_clear: remove one named graph, or empty the default graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_graph.resources import announce_change
from ggen_graph.tools.common import DEFAULT, INPUT_CONFIG, IRI_PATTERN, WRITE, Timer, open_store
from ggen_mcp_core import ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext


class ClearInput(BaseModel):
    """Arguments of graph_clear."""

    model_config = INPUT_CONFIG

    graph: str = Field(
        min_length=3,
        max_length=2048,
        pattern=f"^default$|{IRI_PATTERN}",
        description="Named graph IRI, or `default`.",
    )


class ClearOutput(BaseModel):
    """What graph_clear removed."""

    graph: str | None = Field(description="The cleared graph; null for the default graph.")
    triples_removed: int = Field(description="Triples that were in it.")
    duration_ms: float = Field(description="Wall-clock time.")


async def graph_clear(args: ClearInput, ctx: ToolContext) -> ClearOutput:
    from ggen_graph.progress import reported

    timer = Timer()
    graph = None if args.graph == DEFAULT else args.graph
    store = open_store(ctx)
    async with reported(ctx):
        removed = await store.clear(graph=graph)
    await announce_change(ctx, graph)
    return ClearOutput(graph=graph, triples_removed=removed, duration_ms=timer.ms)


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_clear's registration."""
    return ToolSpec(
        name="graph_clear",
        title="Clear a graph",
        description="Remove a named graph, or empty the default graph.",
        input_model=ClearInput,
        output_model=ClearOutput,
        handler=graph_clear,
        destructive=True,
        idempotent=True,
        open_world=settings.store == "sparql",
        timeout=settings.update_timeout + 5,
        scopes=WRITE,
    )
