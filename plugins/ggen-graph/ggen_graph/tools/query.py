"""graph_query: read-only SPARQL (SELECT, ASK, CONSTRUCT, DESCRIBE) with bindings, a row cap and a deadline."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pydantic_core
from pydantic import BaseModel, Field, WithJsonSchema

from ggen_graph.tools.common import (
    INPUT_CONFIG,
    READ,
    GraphIri,
    Timer,
    guard_sparql,
    open_store,
    query_timeout,
    result_budget,
    wrong_kind_refusal,
)
from ggen_mcp_core import ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext


# A shallow JSON Schema for the rows: MCP clients validate structuredContent against the output schema value by
# value, which costs about 60 ms per 1000 three-column rows with per-value types (120 ms with the anyOf pydantic
# writes for `str | None`) and much less with arrays only. The field descriptions say what the values are.
ROWS_SCHEMA: dict[str, Any] = {"type": "array", "items": {"type": "array"}}
TYPED_ROWS_SCHEMA: dict[str, Any] = {"anyOf": [ROWS_SCHEMA, {"type": "null"}]}  # no type arrays: portable
OTHER_FIELDS_BYTES = 512  # a SELECT result's fields besides variables and rows, indented, with room to spare
DESCRIPTION = "Run a read-only SPARQL query (SELECT/ASK/CONSTRUCT/DESCRIBE); rows capped, %g s deadline."


class QueryInput(BaseModel):
    """Arguments of graph_query."""

    model_config = INPUT_CONFIG

    sparql: str = Field(
        min_length=1,
        max_length=1024 * 1024,
        description="SPARQL; prefixes of loaded files need no PREFIX.",
    )
    graph: GraphIri | None = Field(
        default=None,
        description="Named graph IRI to query.",
    )
    bindings: dict[str, str] | None = Field(
        default=None,
        max_length=64,
        description='Variable -> term: `<iri>`, `"x"@en`, `"5"^^<dt>` or text.',
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Row cap.",
    )
    typed: bool = Field(
        default=False,
        description="Add typed_rows.",
    )


class QueryOutput(BaseModel):
    """The result of graph_query; which fields are set depends on ``form``."""

    form: Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"] = Field(description="The query form that ran.")
    variables: list[str] = Field(
        default_factory=list, description="SELECT: the projected variables (bare names), the order of every row."
    )
    rows: Annotated[list[list[str | None]], WithJsonSchema(ROWS_SCHEMA)] = Field(
        default_factory=list,
        description="SELECT: one array per solution, a value per variable in the order of `variables`; each a "
        "string (IRIs as IRI strings, literals as their lexical form, blank nodes as `_:id`) or null when unbound.",
    )
    typed_rows: Annotated[list[list[dict[str, str] | None]] | None, WithJsonSchema(TYPED_ROWS_SCHEMA)] = Field(
        default=None,
        description="SELECT with typed=true: the same arrays, each value an object {value, type (iri, literal, "
        "bnode, triple), and for a literal its datatype or its language} or null when unbound.",
    )
    boolean: bool | None = Field(default=None, description="ASK: the answer.")
    ntriples: str | None = Field(default=None, description="CONSTRUCT/DESCRIBE: the triples as N-Triples text.")
    count: int = Field(description="Rows (or triples) returned.")
    truncated: bool = Field(description="True when the row cap cut the result.")
    limit: int = Field(description="The row cap that applied.")
    duration_ms: float = Field(description="Wall-clock time of the query.")


async def graph_query(args: QueryInput, ctx: ToolContext[GraphSettings]) -> QueryOutput:
    from ggen_graph.errors import QueryRefused, QuerySyntaxError
    from ggen_graph.results import ConstructResult, SelectResult

    timer = Timer()
    settings = ctx.settings
    if len(args.sparql.encode("utf-8")) > settings.max_query_bytes:
        raise ToolError(f"the query is longer than {settings.max_query_bytes} bytes (graph.max_query_bytes)")
    await guard_sparql(ctx, args.sparql, "query")
    limit = settings.effective_limit(args.limit)
    store = open_store(ctx)
    await ctx.progress(0, 1, "query running")  # a query may run up to its deadline (graph.query_timeout)
    try:
        result = await store.query(
            sparql=args.sparql, limit=limit, graph=args.graph, bindings=args.bindings, typed=args.typed
        )
    except QuerySyntaxError:
        refusal = await wrong_kind_refusal(ctx, args.sparql, "query")
        if refusal is not None:
            raise QueryRefused(refusal) from None
        raise
    await ctx.progress(1, 1, "query answered")
    form = await result_form(ctx, result, args.sparql)
    common: dict[str, Any] = {"form": form, "limit": limit}
    if isinstance(result, SelectResult):
        # Built without validation or per-row work: the rows come from results.collect_select in their final
        # form (arrays of strings or None in the order of the variables, typed cells as plain objects); the
        # host still checks the result's size and JSON form.
        output = QueryOutput.model_construct(
            **common,
            variables=result.variables,
            rows=result.rows,
            typed_rows=result.typed_rows if args.typed else None,
            boolean=None,
            ntriples=None,
            count=result.count,
            truncated=result.truncated,
            duration_ms=timer.ms,
        )
        return fit_rows(output, OTHER_FIELDS_BYTES + result.json_size_bound(args.typed), result_budget(ctx))
    if isinstance(result, ConstructResult):
        output = QueryOutput(
            **common, ntriples=result.ntriples, count=result.count, truncated=result.truncated, duration_ms=timer.ms
        )
        return fit_triples(output, result_budget(ctx))
    return QueryOutput(**common, boolean=bool(result), count=1, truncated=False, duration_ms=timer.ms)


async def result_form(ctx: ToolContext[GraphSettings], result: Any, sparql: str) -> str:
    """The query form, from the type of result the engine gave (only triples need a look at the text)."""
    from ggen_graph.results import ConstructResult, SelectResult
    from ggen_graph.sparql_guard import construct_or_describe, first_needle

    if isinstance(result, SelectResult):
        return "SELECT"
    if not isinstance(result, ConstructResult):
        return "ASK"
    if first_needle(sparql, ("describe",)) is None:
        return "CONSTRUCT"
    return await ctx.run_sync(partial(construct_or_describe, sparql, ctx.settings.guard_parse_bytes))


def encoded_size(output: BaseModel) -> int:
    """Bytes of the result's text block, as the host writes it (compact JSON, one ``pydantic_core.to_json``)."""
    return len(pydantic_core.to_json(output.model_dump(mode="json", by_alias=True)))


def fit_rows(output: QueryOutput, bound: int, budget: int) -> QueryOutput:
    """Drop trailing rows until the result fits the host's result cap (then ``truncated`` is true); ``bound``
    is an upper bound of the result's size (within the cap: nothing to do)."""
    if bound <= budget or encoded_size(output) <= budget:
        return output
    keep = output.count
    while keep > 0:
        keep = int(keep * 0.8)
        typed = output.typed_rows[:keep] if output.typed_rows is not None else None
        smaller = output.model_copy(
            update={"rows": output.rows[:keep], "typed_rows": typed, "count": keep, "truncated": True}
        )
        if encoded_size(smaller) <= budget:
            return smaller
    return output.model_copy(update={"rows": [], "typed_rows": None, "count": 0, "truncated": True})


def fit_triples(output: QueryOutput, budget: int) -> QueryOutput:
    """Cut CONSTRUCT/DESCRIBE text at a triple boundary until the result fits the host's result cap."""
    text = output.ntriples or ""
    if len(text) < budget // 4 or encoded_size(output) <= budget:
        return output
    lines = text.splitlines(keepends=True)
    keep = len(lines)
    while keep > 0:
        keep = int(keep * 0.8)
        smaller = output.model_copy(update={"ntriples": "".join(lines[:keep]), "count": keep, "truncated": True})
        if encoded_size(smaller) <= budget:
            return smaller
    return output.model_copy(update={"ntriples": "", "count": 0, "truncated": True})


def spec(settings: GraphSettings) -> ToolSpec:
    """graph_query's registration."""
    return ToolSpec(
        name="graph_query",
        title="Query the graph (SPARQL)",
        description=DESCRIPTION % settings.query_timeout,
        input_model=QueryInput,
        output_model=QueryOutput,
        handler=graph_query,
        read_only=True,
        idempotent=True,
        open_world=settings.store == "sparql" or settings.allow_service,
        timeout=query_timeout(settings),
        scopes=READ,
    )
