"""ai_generate_sparql: a question about a graph -> a query that parses, passes the read-only guard, runs under
the deadline and returns rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.common import DESCRIPTION, GRAPH, OUTPUT_FILE, AiInput, write_output
from ggen_ai.validators import check_sparql, draft_graph, schema_summary
from ggen_mcp_core import ToolContext, ToolSpec

SYSTEM = (
    "You write SPARQL 1.1 SELECT queries. Use only the classes and predicates listed. Declare prefixes. "
    "Answer with one ```sparql fenced block."
)


class SparqlInput(AiInput):
    description: str = DESCRIPTION
    graph_file: str | None = Field(None, min_length=1, max_length=1000, description="RDF file")
    graph: str | None = GRAPH
    output_file: str | None = OUTPUT_FILE


class SparqlOutput(BaseModel):
    query: str = Field(description="The SPARQL query (the last answer when not valid).")
    valid: bool = Field(description="It parsed, passed the read-only guard and returned results.")
    variables: list[str] = Field(description="The result's variables, the order of every row.")
    rows: list[list[Any]] = Field(description="First rows of the result (up to 20), arrays in variables order.")
    output_file: str | None = Field(description="Where the query was written, if asked and valid.")
    graph_triples: int | None = Field(description="Triples in graph_file, when given.")
    loop: LoopReport = Field(description="The validation loop: every round, the validators run, why it stopped.")


async def ai_generate_sparql(args: SparqlInput, ctx: ToolContext[AiSettings]) -> SparqlOutput:
    """Write a query, run it, feed errors and empty results (with the schema) back."""
    source = choose(ctx, args.provider)
    graph, scratch, triples = args.graph, None, None
    if args.graph_file is not None:
        scratch = graph = draft_graph()
        loaded = await ctx.call_tool("graph_load", {"file": args.graph_file, "graph": scratch})
        triples = int(loaded["graph_size"]) if isinstance(loaded, dict) else None
    try:
        task = f"Question: {args.description}\nThe graph has {await schema_summary(ctx, graph)}"

        async def validate(text: str) -> Check:
            return await check_sparql(ctx, text, graph)

        outcome = await run_loop(
            ctx, source, task=task, system=SYSTEM, validate=validate, max_iterations=ctx.settings.max_iterations
        )
    finally:
        if scratch is not None:
            await ctx.call_tool("graph_clear", {"graph": scratch})
    rows = outcome.check.data.get("rows") if outcome.report.valid else []
    variables = outcome.check.data.get("variables") if outcome.report.valid else []
    written = await write_output(ctx, args.output_file, outcome.content) if outcome.report.valid else None
    return SparqlOutput(
        query=outcome.content,
        valid=outcome.report.valid,
        variables=list(variables) if isinstance(variables, list) else [],
        rows=list(rows) if isinstance(rows, list) else [],
        output_file=written,
        graph_triples=triples,
        loop=outcome.report,
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_generate_sparql's registration."""
    return ToolSpec(
        name="ai_generate_sparql",
        description="SPARQL for a question; retried until it returns rows.",
        input_model=SparqlInput,
        output_model=SparqlOutput,
        handler=ai_generate_sparql,
        timeout=settings.timeout,
    )
