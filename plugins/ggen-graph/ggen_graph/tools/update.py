"""graph_update: SPARQL UPDATE on the store (destructive; scope graph:write)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_graph.resources import announce_change
from ggen_graph.tools.common import INPUT_CONFIG, WRITE, Timer, guard_sparql, open_store, wrong_kind_refusal
from ggen_mcp_core import ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext


class UpdateInput(BaseModel):
    """Arguments of graph_update."""

    model_config = INPUT_CONFIG

    sparql: str = Field(
        min_length=1,
        max_length=16 * 1024 * 1024,
        description="SPARQL update (no LOAD, SERVICE).",
    )


class UpdateOutput(BaseModel):
    """What graph_update changed."""

    triples_before: int = Field(description="Triples in the whole dataset before the update.")
    triples_after: int = Field(description="Triples in the whole dataset after it.")
    delta: int = Field(description="triples_after - triples_before.")
    duration_ms: float = Field(description="Wall-clock time of the update.")


async def graph_update(args: UpdateInput, ctx: ToolContext[GraphSettings]) -> UpdateOutput:
    from ggen_graph.errors import QueryRefused, QuerySyntaxError

    timer = Timer()
    settings = ctx.settings
    if len(args.sparql.encode("utf-8")) > max(settings.max_query_bytes, settings.max_load_bytes):
        raise ToolError("the update is longer than the server accepts")
    await guard_sparql(ctx, args.sparql, "update")
    await ctx.progress(1, 2, "update checked")
    store = open_store(ctx)
    try:
        outcome = await store.update(sparql=args.sparql)
    except QuerySyntaxError:
        refusal = await wrong_kind_refusal(ctx, args.sparql, "update")
        if refusal is not None:
            raise QueryRefused(refusal) from None
        raise
    await ctx.progress(2, 2, "update applied")
    await announce_change(ctx, None, every_graph=True)
    before, after = outcome["before"], outcome["after"]
    return UpdateOutput(triples_before=before, triples_after=after, delta=after - before, duration_ms=timer.ms)


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_update's registration."""
    return ToolSpec(
        name="graph_update",
        title="Update the graph (SPARQL UPDATE)",
        description="Run a SPARQL 1.1 UPDATE in one transaction.",
        input_model=UpdateInput,
        output_model=UpdateOutput,
        handler=graph_update,
        destructive=True,
        open_world=settings.store == "sparql",
        timeout=settings.update_timeout + 5,
        scopes=WRITE,
    )
