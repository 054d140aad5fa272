"""graph_load: RDF from a workspace file or inline text into the store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, model_validator

from ggen_graph.resources import announce_change
from ggen_graph.tools.common import (
    INPUT_CONFIG,
    IRI_PATTERN,
    WRITE,
    FormatName,
    GraphIri,
    Timer,
    WorkspacePath,
    open_store,
)
from ggen_mcp_core import ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class LoadInput(BaseModel):
    """Arguments of graph_load: exactly one of ``file`` and ``content``."""

    model_config = INPUT_CONFIG

    file: WorkspacePath | None = Field(default=None, description="Workspace RDF file.")
    content: str | None = Field(default=None, max_length=64 * 1024 * 1024, description="RDF text.")
    format: FormatName | None = Field(default=None, description="Default: by extension, else turtle.")
    graph: GraphIri | None = Field(default=None, description="Named graph IRI.")
    base_iri: str | None = Field(
        default=None,
        max_length=2048,
        pattern=IRI_PATTERN,
        description="Base IRI for relative IRIs.",
    )
    replace: bool = Field(default=False, description="Clear the graph first.")

    @model_validator(mode="after")
    def _one_source(self) -> LoadInput:
        if (self.file is None) == (self.content is None):
            raise ValueError("give exactly one of file and content")
        return self


class LoadOutput(BaseModel):
    """What graph_load did."""

    triples_added: int = Field(description="Triples that were not in the graph before.")
    graph_size: int = Field(description="Triples in the target graph (or the whole dataset for nquads/trig).")
    graph: str | None = Field(description="The named graph loaded into; null for the default graph.")
    format: str = Field(description="The format the input was parsed as.")
    bytes: int = Field(description="Size of the input.")
    duration_ms: float = Field(description="Wall-clock time of the load.")
    triples_per_second: float = Field(description="triples_added per second of duration.")


async def graph_load(args: LoadInput, ctx: ToolContext[GraphSettings]) -> LoadOutput:
    from ggen_graph import prefixes as prefix_module
    from ggen_graph.formats import DATASET_FORMATS, format_from_name
    from ggen_graph.progress import reported

    timer = Timer()
    settings = ctx.settings
    path, size = _checked_file(ctx, args.file, settings.max_load_bytes) if args.file else (None, 0)
    try:
        fmt = format_from_name(args.format, args.file) if args.file else format_from_name(args.format or "turtle")
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    store = open_store(ctx)
    if path is not None:
        head = _head(path)
        source: dict[str, Any] = {"path": str(path), "bulk": size >= settings.bulk_load_bytes > 0}
    else:
        data = (args.content or "").encode("utf-8")
        size = len(data)
        if size > settings.max_load_bytes:
            raise ToolError(f"content is {size} bytes; the limit is {settings.max_load_bytes} (graph.max_load_bytes)")
        head, source = data[: prefix_module.SCAN_BYTES], {"data": data, "bulk": False}
    async with reported(ctx):
        outcome = await store.load(format=fmt, graph=args.graph, base_iri=args.base_iri, replace=args.replace, **source)
    store.prefixes.add(prefix_module.extract(head, fmt))
    await announce_change(ctx, args.graph, every_graph=fmt in DATASET_FORMATS)
    elapsed = max(timer.ms, 0.001)
    return LoadOutput(
        triples_added=outcome["triples_added"],
        graph_size=outcome["graph_size"],
        graph=args.graph,
        format=fmt,
        bytes=size,
        duration_ms=elapsed,
        triples_per_second=round(outcome["triples_added"] / (elapsed / 1000), 1),
    )


def _checked_file(ctx: ToolContext, file: str, max_bytes: int) -> tuple[Path, int]:
    if _URL.match(file):
        raise ToolError(f"file takes a workspace path, not a URL ({file!r}); the server never fetches data")
    path = ctx.workspace.resolve(file, must_exist=True)
    if not path.is_file():
        raise ToolError(f"{file!r} is not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ToolError(f"{file!r} is {size} bytes; the limit is {max_bytes} (graph.max_load_bytes)")
    return path, size


def _head(path: Path) -> bytes:
    from ggen_graph.prefixes import SCAN_BYTES

    with path.open("rb") as handle:
        return handle.read(SCAN_BYTES)


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_load's registration."""
    return ToolSpec(
        name="graph_load",
        title="Load RDF",
        description="Load RDF (workspace file or inline text) into a graph.",
        input_model=LoadInput,
        output_model=LoadOutput,
        handler=graph_load,
        destructive=True,
        open_world=settings.store == "sparql",
        timeout=settings.load_timeout + 10,
        scopes=WRITE,
    )
