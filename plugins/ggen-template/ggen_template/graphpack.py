"""The graph pack's workspace store and SHACL validator, as the renderer uses them.

- ``graph:`` (front matter) or the ``graph`` tool input: the named graph is exported from the workspace
  store (embedded pyoxigraph or remote SPARQL endpoint, whichever ``[graph]`` configures) as N-Triples
  and copied into the template's in-memory graph, capped at ``graph.max_copy_triples``.
- ``shape:``: the template's graph is validated with the graph pack's SHACL validator (pyshacl in a worker
  process, with a deadline); any violation fails the render, listing the first ones.

The renderer runs in a worker thread: store calls that are coroutines are run on the event loop from there.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ggen_mcp_core import ToolError
from ggen_template.errors import TemplateError

if TYPE_CHECKING:
    from ggen_mcp_core import ToolContext
    from ggen_template.engine import ShapeChecker, StoreReader
    from ggen_template.rdfdata import TemplateGraph

SHOWN_VIOLATIONS = 5


def _settled(value: Any) -> Any:
    """The value of a store call: awaited on the event loop when the store's methods are coroutines."""
    if not inspect.isawaitable(value):
        return value
    import anyio.from_thread

    async def wait() -> Any:
        return await value

    return anyio.from_thread.run(wait)


def store_reader(ctx: ToolContext) -> StoreReader:
    """A function returning a named graph of the workspace store as N-Triples text."""

    def read(graph: str) -> str:
        from ggen_graph.stores import store_for

        settings = ctx.host.pack_settings("graph")  # the graph pack's validated [graph]
        store = store_for(settings, ctx.workspace.state_dir)
        size = _settled(store.count(graph))
        if size == 0:
            named = [name for name, _ in _settled(store.graphs()) if name is not None]
            listed = ", ".join(named[:20]) if named else "none"
            raise ToolError(
                f"workspace graph {graph!r} is empty or does not exist; named graphs: {listed} "
                "(load one with graph_load)"
            )
        if size > settings.max_copy_triples:
            raise ToolError(
                f"workspace graph {graph!r} has {size} triples; templates copy at most "
                f"{settings.max_copy_triples} (graph.max_copy_triples)"
            )
        dumped = _settled(store.export(format="ntriples", max_bytes=1 << 62, graph=graph))
        return bytes(dumped["data"]).decode("utf-8")

    return read


def shape_checker(ctx: ToolContext) -> ShapeChecker:
    """A function failing the render when the template's graph violates its SHACL shapes."""

    def check(graph: TemplateGraph, shapes: list[Path], template: str) -> None:
        from ggen_graph.formats import format_from_name
        from ggen_graph.shacl_worker import validator

        settings = ctx.host.pack_settings("graph")  # the graph pack's validated [graph]
        try:
            data = graph.graph.ntriples()
        except ToolError as exc:
            raise TemplateError(
                f"reading the template's graph for SHACL validation: {exc}", template=template
            ) from None
        for path in shapes:
            shown = ctx.workspace.relative(path)
            try:
                shapes_format = format_from_name(None, path.name)
            except ValueError as exc:
                raise TemplateError(f"shape file {shown}: {exc}", template=template) from None
            report = validator().call(
                "validate",
                {
                    "data": data,
                    "shapes": ctx.workspace.read_bytes(path, max_bytes=settings.max_load_bytes),
                    "shapes_format": shapes_format,
                    "max_violations": SHOWN_VIOLATIONS,
                },
                timeout=settings.validate_timeout,
                what="SHACL validation",
            )
            if not report["conforms"]:
                raise TemplateError(
                    f"the template's graph does not conform to {shown} "
                    f"({report['total']} results): {_violations(report['violations'])}",
                    template=template,
                )

    return check


def _violations(violations: list[dict[str, Any]]) -> str:
    parts = []
    for v in violations:
        where = " ".join(str(x) for x in (v.get("focus_node"), v.get("path")) if x)
        parts.append(f"{where}: {v.get('message') or v.get('constraint') or 'violation'}")
    return "; ".join(parts)
