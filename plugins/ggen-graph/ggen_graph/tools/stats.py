"""graph_stats: triples per graph, classes with instance counts, predicates with usage, prefixes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_graph.tools.common import (
    INPUT_CONFIG,
    READ,
    GraphInfo,
    GraphIri,
    Timer,
    graph_infos,
    open_store,
    query_timeout,
)
from ggen_mcp_core import ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext

CLASSES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"
PREDICATES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p"


class StatsInput(BaseModel):
    """Arguments of graph_stats."""

    model_config = INPUT_CONFIG

    graph: GraphIri | None = Field(default=None, description="Named graph IRI.")


class ClassCount(BaseModel):
    """A class and how many distinct instances it has."""

    iri: str = Field(description="The class IRI.")
    instances: int = Field(description="Distinct subjects typed with it.")


class PredicateCount(BaseModel):
    """A predicate and how many triples use it."""

    iri: str = Field(description="The predicate IRI.")
    triples: int = Field(description="Triples with this predicate.")


class StatsOutput(BaseModel):
    """Statistics of the store and of one graph."""

    graphs: list[GraphInfo] = Field(description="Every graph with its size (the default graph first).")
    total_triples: int = Field(description="Triples in the whole dataset.")
    graph: str | None = Field(description="The graph the class and predicate counts are about.")
    classes: list[ClassCount] = Field(description="Classes by instance count, most used first (capped).")
    predicates: list[PredicateCount] = Field(description="Predicates by usage, most used first (capped).")
    prefixes: dict[str, str] = Field(description="Prefixes known to queries and exports.")
    duration_ms: float = Field(description="Wall-clock time of the statistics.")


async def graph_stats(args: StatsInput, ctx: ToolContext[GraphSettings]) -> StatsOutput:
    timer = Timer()
    settings = ctx.settings
    store = open_store(ctx)
    graphs = await graph_infos(ctx, store)
    top = settings.stats_top
    classes = await store.query(sparql=CLASSES, limit=top, graph=args.graph)
    predicates = await store.query(sparql=PREDICATES, limit=top, graph=args.graph)
    return StatsOutput(
        graphs=graphs,
        total_triples=sum(g.triples for g in graphs),
        graph=args.graph,
        classes=[ClassCount(iri=str(iri), instances=int(n or 0)) for iri, n in classes.rows],
        predicates=[PredicateCount(iri=str(iri), triples=int(n or 0)) for iri, n in predicates.rows],
        prefixes=store.prefixes.read(),
        duration_ms=timer.ms,
    )


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_stats's registration."""
    return ToolSpec(
        name="graph_stats",
        title="Graph statistics",
        description="Triples per graph; a graph's classes, predicates and prefixes.",
        input_model=StatsInput,
        output_model=StatsOutput,
        handler=graph_stats,
        read_only=True,
        idempotent=True,
        open_world=settings.store == "sparql",
        timeout=3 * query_timeout(settings),
        scopes=READ,
    )
