"""ai_extend_graph: new classes and properties for an existing graph, added (never rewriting what is there)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.common import DESCRIPTION, GRAPH, OUTPUT_FILE, AiInput, write_output
from ggen_ai.validators import check_turtle
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

MAX_GRAPH_BYTES = 2 * 1024 * 1024
SYSTEM = (
    "You extend an OWL ontology. Answer with ONLY the new triples, in one ```turtle fenced block that declares "
    "its prefixes; never repeat or change existing triples. New classes get rdfs:label; new properties get "
    "rdfs:label, rdfs:domain and rdfs:range."
)


class ExtendInput(AiInput):
    graph_file: str = Field(min_length=1, max_length=1000, description="RDF file")
    description: str = DESCRIPTION
    output_file: str | None = OUTPUT_FILE
    graph: str | None = GRAPH


class ExtendOutput(BaseModel):
    graph_file: str = Field(description="The Turtle file extended (never rewritten).")
    added: str = Field(description="The added triples (Turtle): the diff.")
    valid: bool = Field(description="The file plus the additions passed the checks.")
    original_triples: int = Field(description="Triples in graph_file.")
    new_triples: int = Field(description="Triples the graph did not have.")
    total_triples: int = Field(description="original_triples + new_triples.")
    output_file: str | None = Field(description="Where the extended graph was written.")
    graph: str | None = Field(description="The named graph the additions were loaded into.")
    loop: LoopReport = Field(description="The validation loop: every round, the validators run, why it stopped.")


async def ai_extend_graph(args: ExtendInput, ctx: ToolContext[AiSettings]) -> ExtendOutput:
    """Ask for additions only; check the graph plus additions; report and write the additions as a diff."""
    source = choose(ctx, args.provider)
    original = await ctx.run_sync(lambda: ctx.workspace.read_text(args.graph_file, max_bytes=MAX_GRAPH_BYTES))
    base = await check_turtle(ctx, original)
    if not base.data:  # it did not parse
        raise ToolError(f"{args.graph_file} is not Turtle the graph store can load: {base.problems[0]}")
    task = f"The ontology:\n```turtle\n{original}```\nAdd to it: {args.description}"

    async def validate(text: str) -> Check:
        check = await check_turtle(ctx, text, base=original)
        check.problems = [p for p in check.problems if p not in base.problems]  # the original's own are not new
        return check

    outcome = await run_loop(
        ctx, source, task=task, system=SYSTEM, validate=validate, max_iterations=ctx.settings.max_iterations
    )
    before = int(str(outcome.check.data.get("before", base.data.get("triples_added", 0))))
    added = int(str(outcome.check.data.get("triples_added", 0)))
    written: str | None = None
    loaded: str | None = None
    if outcome.report.valid:
        written = await write_output(
            ctx, args.output_file, f"{original.rstrip()}\n\n# added by ai_extend_graph\n{outcome.content}"
        )
        if args.graph is not None:
            await ctx.call_tool("graph_load", {"content": outcome.content, "format": "turtle", "graph": args.graph})
            loaded = args.graph
    return ExtendOutput(
        graph_file=args.graph_file,
        added=outcome.content,
        valid=outcome.report.valid,
        original_triples=before,
        new_triples=added,
        total_triples=before + added,
        output_file=written,
        graph=loaded,
        loop=outcome.report,
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_extend_graph's registration."""
    return ToolSpec(
        name="ai_extend_graph",
        description="Extend a Turtle file; returns the added triples.",
        input_model=ExtendInput,
        output_model=ExtendOutput,
        handler=ai_extend_graph,
        timeout=settings.timeout,
    )
