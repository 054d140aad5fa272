"""ai_generate_ontology: a description -> Turtle that parses and passes the ontology sanity rules."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_ai.loop import Check, LoopReport, run_loop
from ggen_ai.models import choose
from ggen_ai.settings import AiSettings
from ggen_ai.tools.common import DESCRIPTION, GRAPH, OUTPUT_FILE, AiInput, write_output
from ggen_ai.validators import check_turtle
from ggen_mcp_core import ToolContext, ToolSpec

SYSTEM = (
    "You write OWL ontologies in Turtle. Declare every prefix. Give every class an rdfs:label, every property "
    "an rdfs:label, rdfs:domain and rdfs:range. Answer with one ```turtle fenced block."
)


class OntologyInput(AiInput):
    description: str = DESCRIPTION
    requirements: list[str] = Field(default_factory=list, max_length=50, description="Must-haves")
    output_file: str | None = OUTPUT_FILE
    graph: str | None = GRAPH


class OntologyOutput(BaseModel):
    ontology: str = Field(description="The Turtle (the last answer when not valid).")
    valid: bool = Field(description="It parsed and passed the ontology sanity rules.")
    output_file: str | None = Field(description="Where it was written (graph_load file=...).")
    graph: str | None = Field(description="The named graph it was loaded into.")
    triples: int | None = Field(description="Triples, when valid.")
    loop: LoopReport = Field(description="The validation loop: every round, the validators run, why it stopped.")


def task(args: OntologyInput) -> str:
    """The first prompt."""
    wanted = "".join(f"\n- {r}" for r in args.requirements)
    return f"Write an ontology for: {args.description}" + (f"\nRequirements:{wanted}" if wanted else "")


async def ai_generate_ontology(args: OntologyInput, ctx: ToolContext[AiSettings]) -> OntologyOutput:
    """Generate, check, loop; write and load only a valid ontology, and only where asked."""
    source = choose(ctx, args.provider)

    async def validate(text: str) -> Check:
        return await check_turtle(ctx, text)

    outcome = await run_loop(
        ctx, source, task=task(args), system=SYSTEM, validate=validate, max_iterations=ctx.settings.max_iterations
    )
    written: str | None = None
    loaded: str | None = None
    triples: int | None = None
    if outcome.report.valid:
        written = await write_output(ctx, args.output_file, outcome.content)
        triples = int(str(outcome.check.data.get("triples_added", 0)))
        if args.graph is not None:
            await ctx.call_tool("graph_load", {"content": outcome.content, "format": "turtle", "graph": args.graph})
            loaded = args.graph
    elif args.graph is not None or args.output_file is not None:
        ctx.log.info("ontology not valid: nothing written or loaded", problems=len(outcome.report.final_problems))
    return OntologyOutput(
        ontology=outcome.content,
        valid=outcome.report.valid,
        output_file=written,
        graph=loaded,
        triples=triples,
        loop=outcome.report,
    )


def spec(settings: AiSettings) -> ToolSpec:
    """ai_generate_ontology's registration."""
    return ToolSpec(
        name="ai_generate_ontology",
        description="Ontology (Turtle) from a description, checked until valid.",
        input_model=OntologyInput,
        output_model=OntologyOutput,
        handler=ai_generate_ontology,
        timeout=settings.timeout,
    )
