"""graph_export: a graph (or the dataset) serialized to a workspace file or returned inline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ggen_graph.tools.common import (
    INPUT_CONFIG,
    READ,
    FormatName,
    GraphIri,
    Timer,
    WorkspacePath,
    open_store,
    result_budget,
)
from ggen_mcp_core import ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext


class ExportInput(BaseModel):
    """Arguments of graph_export."""

    model_config = INPUT_CONFIG

    graph: GraphIri | None = Field(
        default=None,
        description="Named graph IRI.",
    )
    format: FormatName | None = Field(default=None, description="Default: by extension, else turtle.")
    output: WorkspacePath | None = Field(default=None, description="Workspace file; inline when absent.")


class ExportOutput(BaseModel):
    """What graph_export produced."""

    format: str = Field(description="The serialization format.")
    graph: str | None = Field(description="The exported named graph; null for the default graph or dataset.")
    triples: int = Field(description="Triples exported.")
    bytes: int = Field(description="Size of the full serialization.")
    output: str | None = Field(default=None, description="Workspace-relative path written, when output was given.")
    content: str | None = Field(default=None, description="The serialization, when no output was given.")
    truncated: bool = Field(default=False, description="True when the inline content was cut at the size cap.")
    message: str | None = Field(default=None, description="Why the content was cut, and how to get all of it.")
    duration_ms: float = Field(description="Wall-clock time of the export.")


async def graph_export(args: ExportInput, ctx: ToolContext[GraphSettings]) -> ExportOutput:
    from ggen_graph.formats import cut_at_statement, format_from_name
    from ggen_graph.progress import reported

    timer = Timer()
    settings = ctx.settings
    try:
        fmt = format_from_name(args.format, args.output) if args.format or args.output else "turtle"
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    store = open_store(ctx)
    if args.output is not None:
        # The host's write policy refuses protected targets (.git/, .ggen/, ggen.lock, protected_paths) before
        # the export runs; write_atomic checks again on the final path.
        target = ctx.workspace.resolve_for_write(args.output)
        cap = settings.max_export_file_bytes
        async with reported(ctx):
            dumped = await store.export(format=fmt, max_bytes=cap, graph=args.graph)
        if dumped["total_bytes"] > cap:
            raise ToolError(f"the export is {dumped['total_bytes']} bytes, over graph.max_export_file_bytes ({cap})")
        written = await ctx.run_sync(ctx.workspace.write_atomic, target, dumped["data"])
        return ExportOutput(
            format=fmt,
            graph=args.graph,
            triples=dumped["triples"],
            bytes=dumped["total_bytes"],
            output=ctx.workspace.relative(written),
            duration_ms=timer.ms,
        )
    # JSON escapes (\n, \t, \") may double the text inside the result: keep it under half the host's cap.
    cap = min(settings.max_export_bytes, max(1024, result_budget(ctx) // 2 - 4096))
    async with reported(ctx):
        dumped = await store.export(format=fmt, max_bytes=cap, graph=args.graph)
    data, truncated = dumped["data"], dumped["total_bytes"] > cap
    message = None
    if truncated:
        data = cut_at_statement(data, fmt)
        message = (
            f"the {dumped['total_bytes']}-byte export was cut to {len(data)} bytes (the inline cap is {cap} bytes: "
            "graph.max_export_bytes, and half of limits.max_result_bytes)"
            + (
                "; the text ends at a statement boundary"
                if fmt in {"turtle", "ntriples", "nquads", "trig"}
                else "; it is not a complete document"
            )
            + ": pass output to write the whole graph to a file"
        )
    return ExportOutput(
        format=fmt,
        graph=args.graph,
        triples=dumped["triples"],
        bytes=dumped["total_bytes"],
        content=data.decode("utf-8", "replace"),
        truncated=truncated,
        message=message,
        duration_ms=timer.ms,
    )


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_export's registration."""
    return ToolSpec(
        name="graph_export",
        title="Export a graph",
        description="Serialize a graph to a workspace file or inline (capped).",
        input_model=ExportInput,
        output_model=ExportOutput,
        handler=graph_export,
        destructive=True,
        idempotent=True,
        open_world=settings.store == "sparql",
        timeout=settings.load_timeout + 10,
        scopes=READ,
    )
