"""What every graph tool shares: settings, the store, scopes, argument types, the graph listing and timing."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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


INPUT_CONFIG = ConfigDict(extra="forbid")  # every graph tool's arguments (the host compacts the published schema)
MiB = 1024 * 1024
INLINE_GUARD_CHARS = 64 * 1024
READ = ("graph:read",)
WRITE = ("graph:write",)
DEFAULT = "default"


class GraphInfo(BaseModel):
    """One graph of the store."""

    graph: str | None = Field(description="The named graph's IRI; null for the default graph.")
    name: str = Field(description="`default` or the IRI: what the ggen://graphs/{name} resource takes (URL-encoded).")
    triples: int = Field(description="Triples in the graph.")


def query_timeout(settings: GraphSettings) -> float:
    """A tool's timeout when it runs queries: a little above the deadline the query keeps itself."""
    return settings.query_timeout + 5


def open_store(ctx: ToolContext[GraphSettings]) -> GraphStore:
    """The store of the caller's workspace, opened on first use."""
    from ggen_graph.stores import store_of

    return store_of(ctx.settings, ctx.workspace)


async def graph_infos(ctx: ToolContext[GraphSettings], store: GraphStore) -> list[GraphInfo]:
    """Every graph with its size."""
    listed = await store.graphs()
    return [GraphInfo(graph=name, name=name or DEFAULT, triples=size) for name, size in listed]


def result_budget(ctx: ToolContext[GraphSettings]) -> int:
    """The bytes a tool result may take: the host's ``limits.max_result_bytes``."""
    return ctx.host.settings.limits.max_result_bytes


async def guard_sparql(ctx: ToolContext[GraphSettings], sparql: str, kind: Literal["query", "update"]) -> None:
    """The SPARQL guard on a tool's text: the prefilter inline, rdflib's verdict (when needed) off the loop."""
    from ggen_graph.sparql_guard import check_read_only_query, check_update, cleared

    settings = ctx.settings
    remote = settings.store == "sparql"
    short = len(sparql) <= INLINE_GUARD_CHARS  # a long text's prefilter also runs off the event loop
    if short and cleared(sparql, kind, max_nesting=settings.max_sparql_nesting, remote=remote):
        return
    limits = {"max_nesting": settings.max_sparql_nesting, "parse_bytes": settings.guard_parse_bytes}
    if kind == "update":
        await ctx.run_sync(partial(check_update, sparql, **limits))
        return
    allowlist = settings.service_allowlist or None
    check = partial(
        check_read_only_query,
        sparql,
        allow_service=settings.allow_service,
        service_allowlist=allowlist,
        remote=remote,
        **limits,
    )
    await ctx.run_sync(check)


async def wrong_kind_refusal(
    ctx: ToolContext[GraphSettings], sparql: str, kind: Literal["query", "update"]
) -> str | None:
    """After the engine refused a text's syntax: the clear refusal when it is the other kind (error path)."""
    from ggen_graph.sparql_guard import wrong_kind

    return await ctx.run_sync(partial(wrong_kind, sparql, kind, ctx.settings.guard_parse_bytes))


class Timer:
    """Milliseconds since creation."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 3)
