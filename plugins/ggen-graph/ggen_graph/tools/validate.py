"""graph_validate: SHACL shapes against a graph (pyshacl, in a worker process with a deadline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, model_validator

from ggen_graph.tools.common import INPUT_CONFIG, READ, FormatName, GraphIri, Timer, WorkspacePath, open_store
from ggen_mcp_core import ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext


class ValidateInput(BaseModel):
    """Arguments of graph_validate: exactly one of ``shapes`` and ``shapes_content``."""

    model_config = INPUT_CONFIG

    shapes: WorkspacePath | None = Field(default=None, description="Workspace shapes file.")
    shapes_content: str | None = Field(default=None, max_length=16 * 1024 * 1024, description="Shapes text.")
    shapes_format: FormatName | None = Field(default=None, description="Default: by extension, else turtle.")
    graph: GraphIri | None = Field(default=None, description="Named graph IRI.")
    max_violations: int = Field(default=100, ge=1, le=10_000, description="Max listed.")

    @model_validator(mode="after")
    def _one_source(self) -> ValidateInput:
        if (self.shapes is None) == (self.shapes_content is None):
            raise ValueError("give exactly one of shapes and shapes_content")
        return self


class Violation(BaseModel):
    """One SHACL validation result."""

    focus_node: str | None = Field(description="The node that failed.")
    path: str | None = Field(description="The property path checked (null for node constraints).")
    message: str | None = Field(description="The shape's or pyshacl's message.")
    severity: str | None = Field(description="Violation, Warning or Info.")
    source_shape: str | None = Field(description="The shape that reported it (`_:id` for a blank node).")
    constraint: str | None = Field(
        default=None, description="The constraint component, e.g. MinCountConstraintComponent."
    )
    value: str | None = Field(default=None, description="The offending value, when there is one.")


class ValidateOutput(BaseModel):
    """The SHACL validation report."""

    conforms: bool = Field(description="True when the graph satisfies every shape.")
    violations: list[Violation] = Field(description="The results (Violation, Warning and Info), capped.")
    violation_count: int = Field(description="How many results there were in total.")
    truncated: bool = Field(description="True when max_violations cut the list.")
    graph: str | None = Field(description="The validated named graph; null for the default graph.")
    triples_checked: int = Field(description="Triples in the data graph.")
    duration_ms: float = Field(description="Wall-clock time of the validation.")


async def graph_validate(args: ValidateInput, ctx: ToolContext[GraphSettings]) -> ValidateOutput:
    from ggen_graph.formats import format_from_name
    from ggen_graph.shacl_worker import validator

    timer = Timer()
    settings = ctx.settings
    try:
        shapes_format = (
            format_from_name(args.shapes_format, args.shapes)
            if args.shapes
            else (format_from_name(args.shapes_format or "turtle"))
        )
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    if args.shapes is not None:
        shapes = ctx.workspace.read_bytes(args.shapes, max_bytes=settings.max_load_bytes)
    else:
        shapes = (args.shapes_content or "").encode("utf-8")
    store = open_store(ctx)
    cap = settings.max_copy_triples
    size = await store.count(graph=args.graph)
    if size > cap:
        raise ToolError(f"the graph has {size} triples; graph_validate checks at most {cap} (graph.max_copy_triples)")
    await ctx.progress(1, 3, f"{size} triples to check")
    dumped = await store.export(format="ntriples", max_bytes=1 << 62, graph=args.graph)
    await ctx.progress(2, 3, "graph copied to the SHACL worker")
    report = await validator().call_async(
        "validate",
        kwargs={
            "data": dumped["data"],
            "shapes": shapes,
            "shapes_format": shapes_format,
            "max_violations": args.max_violations,
            "max_nesting": settings.max_sparql_nesting,
            "parse_bytes": settings.guard_parse_bytes,
        },
        deadline_s=settings.validate_timeout,
        what="validation",
    )
    await ctx.progress(3, 3, "validated")
    return ValidateOutput(
        conforms=report["conforms"],
        violations=[Violation(**v) for v in report["violations"]],
        violation_count=report["total"],
        truncated=report["total"] > len(report["violations"]),
        graph=args.graph,
        triples_checked=dumped["triples"],
        duration_ms=timer.ms,
    )


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_validate's registration."""
    return ToolSpec(
        name="graph_validate",
        title="Validate a graph with SHACL",
        description="Validate a graph against SHACL shapes.",
        input_model=ValidateInput,
        output_model=ValidateOutput,
        handler=graph_validate,
        read_only=True,
        idempotent=True,
        open_world=settings.store == "sparql",
        timeout=settings.validate_timeout + settings.load_timeout,
        scopes=READ,
    )
