"""graph_list: the default graph and every named graph with its size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_graph.tools.common import INPUT_CONFIG, READ, GraphInfo, graph_infos, open_store, query_timeout
from ggen_mcp_core import ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext


class ListInput(BaseModel):
    """graph_list takes no arguments."""

    model_config = INPUT_CONFIG


class ListOutput(BaseModel):
    """The graphs of the store."""

    graphs: list[GraphInfo] = Field(description="The default graph first, then named graphs by IRI.")
    total_triples: int = Field(description="Triples in the whole dataset.")
    store: str = Field(description="`embedded` or `sparql`.")


async def graph_list(args: ListInput, ctx: ToolContext) -> ListOutput:
    store = open_store(ctx)
    graphs = await graph_infos(ctx, store)
    return ListOutput(graphs=graphs, total_triples=sum(g.triples for g in graphs), store=store.kind)


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_list's registration."""
    return ToolSpec(
        name="graph_list",
        title="List graphs",
        description="List graphs and their sizes.",
        input_model=ListInput,
        output_model=ListOutput,
        handler=graph_list,
        read_only=True,
        idempotent=True,
        open_world=settings.store == "sparql",
        timeout=query_timeout(settings),
        scopes=READ,
    )
