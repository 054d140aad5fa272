"""The baseline for bench/load.py: a bare `mcp` SDK MCPServer exposing the same pyoxigraph query as one tool.

No plugin host, no validation beyond the SDK's, no auth, no limits, no metrics, no audit log: what a minimal
server written straight on the SDK costs. The store is an in-memory pyoxigraph store bulk-loaded from the same
generated N-Triples file the ggen-mcp workspace loads with graph_load, and the query runs inline on the event
loop (an async tool): the plainest SDK server that answers the same query.

    .venv/bin/python bench/baseline_server.py --port 18500 --data /tmp/x/data.nt [--stateless]

The tool takes the same arguments as ggen-mcp's graph_query (sparql, bindings as RDF terms), so the load
generator sends byte-identical requests to both servers.
"""

from __future__ import annotations

import argparse
import re
from typing import Annotated, Any

import pyoxigraph as ox
import uvicorn
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

_TYPED = re.compile(r'^"(.*)"\^\^<([^>]*)>$', re.DOTALL)


class QueryResult(BaseModel):
    """Rows of a SELECT, keyed by variable name."""

    variables: list[str]
    rows: list[dict[str, str | None]]
    count: int


def term(value: str) -> ox.NamedNode | ox.Literal:
    """`<iri>` or `"lexical"^^<datatype>` as a pyoxigraph term; anything else a plain literal."""
    if value.startswith("<") and value.endswith(">"):
        return ox.NamedNode(value[1:-1])
    typed = _TYPED.match(value)
    if typed:
        return ox.Literal(typed.group(1), datatype=ox.NamedNode(typed.group(2)))
    return ox.Literal(value)


def build(store: ox.Store) -> MCPServer:
    mcp = MCPServer("baseline", version="1.0.0")

    @mcp.tool()
    async def graph_query(
        sparql: Annotated[str, Field(description="A SPARQL SELECT query.")],
        bindings: Annotated[dict[str, str] | None, Field(description="Variable -> RDF term.")] = None,
    ) -> QueryResult:
        """Run a SELECT query on the in-memory store."""
        subs = {ox.Variable(k): term(v) for k, v in (bindings or {}).items()} or None
        solutions = store.query(sparql, substitutions=subs)
        names = [v.value for v in solutions.variables]
        rows = [
            {name: (t.value if t is not None else None) for name, t in zip(names, solution, strict=True)}
            for solution in solutions
        ]
        return QueryResult(variables=names, rows=rows, count=len(rows))

    return mcp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True, help="N-Triples file to load into the in-memory store")
    parser.add_argument("--stateless", action="store_true", help="stateless_http=True (no sessions)")
    args = parser.parse_args()
    store = ox.Store()
    store.bulk_load(path=args.data, format=ox.RdfFormat.N_TRIPLES)
    app: Any = build(store).streamable_http_app(stateless_http=args.stateless)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
