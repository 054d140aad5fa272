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


async def complete_name(prefix: str) -> list[str]:
    """Completion of ``{name}``: graph names are only known per workspace, so offer `default`."""
    return [DEFAULT] if DEFAULT.startswith(prefix) else []


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
