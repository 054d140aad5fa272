"""graph_list (named graphs with sizes) and graph_clear (remove one graph)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ggen_graph.tools.common import IRI_PATTERN, Timer, open_store

if TYPE_CHECKING:
    from ggen_graph.stores import GraphStore
    from ggen_mcp_core import ToolContext

DEFAULT = "default"


class GraphInfo(BaseModel):
    """One graph of the store."""

    graph: str | None = Field(description="The named graph's IRI; null for the default graph.")
    name: str = Field(description="`default` or the IRI: what the ggen://graphs/{name} resource takes (URL-encoded).")
    triples: int = Field(description="Triples in the graph.")


class ListInput(BaseModel):
    """graph_list takes no arguments."""

    model_config = ConfigDict(extra="forbid")


class ListOutput(BaseModel):
    """The graphs of the store."""

    graphs: list[GraphInfo] = Field(description="The default graph first, then named graphs by IRI.")
    total_triples: int = Field(description="Triples in the whole dataset.")
    store: str = Field(description="`embedded` or `sparql`.")


class ClearInput(BaseModel):
    """Arguments of graph_clear."""

    model_config = ConfigDict(extra="forbid")

    graph: str = Field(
        min_length=3,
        max_length=2048,
        pattern=f"^default$|{IRI_PATTERN}",
        description="The named graph to remove, or `default` to empty the default graph (required: nothing is "
        "cleared by accident).",
    )


class ClearOutput(BaseModel):
    """What graph_clear removed."""

    graph: str | None = Field(description="The cleared graph; null for the default graph.")
    triples_removed: int = Field(description="Triples that were in it.")
    duration_ms: float = Field(description="Wall-clock time.")


async def graph_infos(ctx: ToolContext, store: GraphStore) -> list[GraphInfo]:
    """Every graph with its size."""
    listed = await store.graphs()
    return [GraphInfo(graph=name, name=name or DEFAULT, triples=size) for name, size in listed]


async def graph_list(args: ListInput, ctx: ToolContext) -> ListOutput:
    store = open_store(ctx)
    graphs = await graph_infos(ctx, store)
    return ListOutput(graphs=graphs, total_triples=sum(g.triples for g in graphs), store=store.kind)


async def graph_clear(args: ClearInput, ctx: ToolContext) -> ClearOutput:
    timer = Timer()
    graph = None if args.graph == DEFAULT else args.graph
    store = open_store(ctx)
    removed = await store.clear(graph=graph)
    return ClearOutput(graph=graph, triples_removed=removed, duration_ms=timer.ms)
