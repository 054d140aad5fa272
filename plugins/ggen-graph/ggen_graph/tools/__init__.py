"""The graph_* tools: one module per tool, each with its input model, output model and handler."""

from __future__ import annotations

from ggen_graph.settings import GraphSettings
from ggen_graph.tools.export import ExportInput, ExportOutput, graph_export
from ggen_graph.tools.graphs import ClearInput, ClearOutput, ListInput, ListOutput, graph_clear, graph_list
from ggen_graph.tools.load import LoadInput, LoadOutput, graph_load
from ggen_graph.tools.query import QueryInput, QueryOutput, graph_query
from ggen_graph.tools.stats import StatsInput, StatsOutput, graph_stats
from ggen_graph.tools.update import UpdateInput, UpdateOutput, graph_update
from ggen_graph.tools.validate import ValidateInput, ValidateOutput, graph_validate
from ggen_mcp_core import ToolSpec

QUERY_DESCRIPTION = (
    "Run a read-only SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE), optionally against one named graph, with "
    "bindings passed as RDF terms. SELECT returns variables and rows keyed by variable name (IRIs and lexical "
    "forms; typed=true adds datatype and language), ASK a boolean, CONSTRUCT and DESCRIBE N-Triples. Rows are "
    "capped (truncated tells); a query ends after %g s. Updates, SERVICE, LOAD and FROM are refused."
)
READ = ("graph:read",)
WRITE = ("graph:write",)


def tool_specs(settings: GraphSettings) -> list[ToolSpec]:
    """Every graph tool, with timeouts a little above the deadlines the tools keep themselves."""
    query_timeout = settings.query_timeout + 5
    remote = settings.store == "sparql"
    return [
        ToolSpec(
            name="graph_load",
            title="Load RDF",
            description="Load RDF (turtle, ntriples, nquads, trig, rdfxml, jsonld) from a workspace file or inline "
            "content into the store's default graph or a named graph; replace=true clears that graph first. "
            "Returns the triples added, the graph size and the duration.",
            input_model=LoadInput,
            output_model=LoadOutput,
            handler=graph_load,
            destructive=True,
            open_world=remote,
            timeout=settings.load_timeout + 10,
            scopes=WRITE,
        ),
        ToolSpec(
            name="graph_query",
            title="Query the graph (SPARQL)",
            description=QUERY_DESCRIPTION % settings.query_timeout,
            input_model=QueryInput,
            output_model=QueryOutput,
            handler=graph_query,
            read_only=True,
            idempotent=True,
            open_world=remote or settings.allow_service,
            timeout=query_timeout,
            scopes=READ,
        ),
        ToolSpec(
            name="graph_update",
            title="Update the graph (SPARQL UPDATE)",
            description="Run a SPARQL 1.1 UPDATE (INSERT DATA, DELETE/INSERT WHERE, CLEAR, DROP, ...) in one "
            "transaction. Returns the dataset size before and after. LOAD and SERVICE are refused.",
            input_model=UpdateInput,
            output_model=UpdateOutput,
            handler=graph_update,
            destructive=True,
            open_world=remote,
            timeout=settings.update_timeout + 5,
            scopes=WRITE,
        ),
        ToolSpec(
            name="graph_export",
            title="Export a graph",
            description="Serialize a graph (default graph, a named graph, or the whole dataset as nquads/trig) to a "
            "workspace file (written atomically, replacing it) or return it inline, cut at a size cap with a "
            "message when it is larger.",
            input_model=ExportInput,
            output_model=ExportOutput,
            handler=graph_export,
            destructive=True,
            idempotent=True,
            open_world=remote,
            timeout=settings.load_timeout + 10,
            scopes=READ,
        ),
        ToolSpec(
            name="graph_validate",
            title="Validate a graph with SHACL",
            description="Validate a graph against SHACL shapes (a workspace file or inline content) with pyshacl. "
            "Returns conforms and the violations: focus node, path, message, severity and source shape.",
            input_model=ValidateInput,
            output_model=ValidateOutput,
            handler=graph_validate,
            read_only=True,
            idempotent=True,
            open_world=remote,
            timeout=settings.validate_timeout + settings.load_timeout,
            scopes=READ,
        ),
        ToolSpec(
            name="graph_stats",
            title="Graph statistics",
            description="Triples per graph, the classes of a graph with their instance counts, its predicates with "
            "their usage, and the prefixes known to queries and exports.",
            input_model=StatsInput,
            output_model=StatsOutput,
            handler=graph_stats,
            read_only=True,
            idempotent=True,
            open_world=remote,
            timeout=3 * query_timeout,
            scopes=READ,
        ),
        ToolSpec(
            name="graph_list",
            title="List graphs",
            description="List the default graph and every named graph with its number of triples.",
            input_model=ListInput,
            output_model=ListOutput,
            handler=graph_list,
            read_only=True,
            idempotent=True,
            open_world=remote,
            timeout=query_timeout,
            scopes=READ,
        ),
        ToolSpec(
            name="graph_clear",
            title="Clear a graph",
            description="Remove one named graph (or, with graph=default, empty the default graph). Returns the "
            "number of triples removed.",
            input_model=ClearInput,
            output_model=ClearOutput,
            handler=graph_clear,
            destructive=True,
            idempotent=True,
            open_world=remote,
            timeout=settings.update_timeout + 5,
            scopes=WRITE,
        ),
    ]
