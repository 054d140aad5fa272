"""The resources ``ggen://graphs`` (the graph list as JSON, and for the embedded store how its worker is kept
off the network: ``network_isolation.mechanism`` is ``namespace``, ``seccomp`` or ``none``) and
``ggen://graphs/{name}`` (a graph as Turtle)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ggen_mcp_core import ResourceSpec, ResourceTemplateSpec, ToolError

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext

DEFAULT = "default"


async def read_graphs(ctx: ToolContext) -> str:
    """The graph list, with each graph's resource URI."""
    from ggen_graph.tools.common import graph_infos, open_store

    store = open_store(ctx)
    graphs = await graph_infos(ctx, store)
    listed: list[dict[str, Any]] = [
        {**g.model_dump(), "uri": f"ggen://graphs/{quote(g.name, safe='')}"} for g in graphs
    ]
    document: dict[str, Any] = {"graphs": listed}
    worker = getattr(store, "worker", None)
    if worker is not None:  # the embedded store: say how its worker is kept off the network
        document["network_isolation"] = worker.isolation
    return json.dumps(document, indent=2)


async def read_graph(ctx: ToolContext[GraphSettings], name: str) -> str:
    """One graph as Turtle, cut at ``graph.max_resource_bytes`` (a comment says so)."""
    from ggen_graph.formats import cut_at_statement
    from ggen_graph.tools.common import open_store

    iri = unquote(name)
    graph = None if iri == DEFAULT else iri
    if graph is not None and ":" not in graph:
        raise ToolError(f"{iri!r} is not a graph IRI; use `default` or a URL-encoded IRI")
    cap = ctx.settings.max_resource_bytes
    dumped = await open_store(ctx).export(format="turtle", max_bytes=cap, graph=graph)
    text: bytes = dumped["data"]
    if dumped["total_bytes"] > cap:
        text = cut_at_statement(text, "turtle") + (
            f"\n# cut at {cap} bytes of {dumped['total_bytes']}: use graph_export for the whole graph\n".encode()
        )
    return text.decode("utf-8", "replace")


def graph_uri(graph: str | None) -> str:
    """The resource URI of a graph (None: the default graph)."""
    return f"ggen://graphs/{quote(graph or DEFAULT, safe='')}"


async def announce_change(ctx: ToolContext[GraphSettings], graph: str | None, *, every_graph: bool = False) -> None:
    """``notifications/resources/updated`` for ``ggen://graphs`` and the changed graph; for every graph when the
    change may touch any of them (SPARQL UPDATE, a dataset load)."""
    uris = ["ggen://graphs", graph_uri(graph)]
    if every_graph:
        from ggen_graph.tools.common import graph_infos, open_store

        try:
            uris += [graph_uri(info.graph) for info in await graph_infos(ctx, open_store(ctx))]
        except Exception as exc:  # the write succeeded: a failed listing must not turn it into an error
            ctx.log.warning("graphs not listed for change notifications", error=f"{type(exc).__name__}: {exc}")
    await ctx.resource_changed(*uris)


async def complete_name(prefix: str, ctx: ToolContext[GraphSettings]) -> list[str]:
    """Completion of ``{name}``: `default` and the URL-encoded IRI of every named graph in the store."""
    return [name for name in await graph_names(ctx, encoded=True) if name.startswith(prefix)]


async def graph_names(ctx: ToolContext[GraphSettings], *, encoded: bool = False) -> list[str]:
    """`default` and every named graph's IRI (URL-encoded for resource URIs), as the store holds them now."""
    from ggen_graph.tools.common import graph_infos, open_store

    names = [info.name for info in await graph_infos(ctx, open_store(ctx))]
    if DEFAULT not in names:
        names.insert(0, DEFAULT)
    return [quote(name, safe="") for name in names] if encoded else names


def resource_specs() -> list[ResourceSpec | ResourceTemplateSpec]:
    return [
        ResourceSpec(
            uri="ggen://graphs",
            name="graphs",
            title="Graphs in the store",
            description="The default graph and every named graph with its size and resource URI, and the store "
            "worker's network isolation (JSON).",
            mime_type="application/json",
            reader=read_graphs,
        ),
        ResourceTemplateSpec(
            uri_template="ggen://graphs/{name}",
            name="graph",
            title="A graph as Turtle",
            description="One graph as Turtle: `default` or the URL-encoded IRI of a named graph (size-capped).",
            mime_type="text/turtle",
            reader=read_graph,
            complete={"name": complete_name},
        ),
    ]
