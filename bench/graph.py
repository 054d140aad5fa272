"""Benchmark of the graph pack: graph_load and graph_query through an in-memory MCP client, against pyoxigraph
called directly and against rdflib's default in-memory store, on generated data.

    .venv/bin/python bench/graph.py                 # the full run (about 3-5 minutes on 2 cores)
    .venv/bin/python bench/graph.py --triples 100000 --load-triples 200000 --repeat 3   # a quick run

It prints a Markdown report (the tables in docs/performance.md come from it) and, with --json, the raw numbers.
Nothing here is asserted by the tests; data is generated into a temporary directory and removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

EX = "http://example.org/bench/"
CLASSES = 10
QUERIES = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "group-by": "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type",
    "3-way join": (f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{EX}knows> ?b . ?b <{EX}knows> ?c . ?c a <{EX}Class3> }}"),
    "optional": (
        f"SELECT ?s ?name ?email WHERE {{ ?s a <{EX}Class1> ; <{EX}name> ?name "
        f"OPTIONAL {{ ?s <{EX}email> ?email }} }} ORDER BY ?s LIMIT 1000"
    ),
    "filter regex": (
        f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}name> ?name FILTER regex(?name, "^person 1[0-9]*7$") }}'
    ),
}


def generate(path: Path, triples: int) -> int:
    """N-Triples of people: type, name, age, a `knows` link and, for every second one, an email."""
    written = 0
    entity = 0
    with path.open("w", encoding="utf-8") as out:
        while written < triples:
            s = f"<{EX}p{entity}>"
            lines = [
                f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Class{entity % CLASSES}> .\n",
                f'{s} <{EX}name> "person {entity}" .\n',
                f'{s} <{EX}age> "{entity % 97}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
                f"{s} <{EX}knows> <{EX}p{(entity * 7919 + 13) % max(triples // 5, 1)}> .\n",
            ]
            if entity % 2 == 0:
                lines.append(f'{s} <{EX}email> "p{entity}@example.org" .\n')
            lines = lines[: triples - written]
            out.writelines(lines)
            written += len(lines)
            entity += 1
    return written


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def timed(func: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    func()  # warm-up
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - start)
    return samples, result


def direct_rows(store: Any, sparql: str) -> list[list[str | None]]:
    """pyoxigraph called directly: run the query and read every row's values."""
    return [[term.value if term is not None else None for term in solution] for solution in store.query(sparql)]


def rdflib_rows(graph: Any, sparql: str) -> list[list[str | None]]:
    return [[str(term) if term is not None else None for term in row] for row in graph.query(sparql)]


async def bench_load(work: Path, triples: int, mode: str, rounds: int) -> dict[str, Any]:
    """graph_load of a generated file against Store.bulk_load of the same file, both into on-disk stores."""
    import pyoxigraph as ox
    from ggen_graph.stores import close_all

    from ggen_mcp_core.testing import make_host, open_client

    workspace = work / "load-ws"
    workspace.mkdir()
    data = workspace / "data.nt"
    generate(data, triples)
    size = data.stat().st_size

    direct_runs: list[float] = []
    tool_runs: list[float] = []
    for run in range(rounds):  # alternating, so both see the same machine and the same page cache
        start = time.perf_counter()
        store = ox.Store(str(work / f"direct-load-{run}"))
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
        direct_runs.append(time.perf_counter() - start)
        direct_count = len(store)
        del store
        state = workspace / ".ggen"
        if state.exists():
            shutil.rmtree(state)  # a fresh store each round, like the direct one
        host = make_host(workspace, ["graph"])
        async with open_client(host, mode=mode) as client:
            await client.call_tool("graph_list", {})  # start the store worker outside the timing
            start = time.perf_counter()
            result = await client.call_tool("graph_load", {"file": "data.nt"})  # the default graph, as direct
            tool_runs.append(time.perf_counter() - start)
        close_all()
        if result.is_error:
            raise RuntimeError(result.content[0].text)
        added = result.structured_content["triples_added"]
        assert added == direct_count == triples, (added, direct_count, triples)
    direct_s, tool_s = statistics.median(direct_runs), statistics.median(tool_runs)
    return {
        "triples": triples,
        "file_bytes": size,
        "bulk_load_s": round(direct_s, 3),
        "graph_load_s": round(tool_s, 3),
        "bulk_load_tps": round(triples / direct_s),
        "graph_load_tps": round(triples / tool_s),
        "ratio": round(direct_s / tool_s, 3),
        "bulk_load_runs_s": [round(x, 3) for x in direct_runs],
        "graph_load_runs_s": [round(x, 3) for x in tool_runs],
    }


async def bench_queries(
    work: Path, triples: int, repeat: int, mode: str, with_rdflib: bool, rdflib_repeat: int
) -> dict[str, Any]:
    """The five queries through graph_query, through pyoxigraph directly and (optionally) through rdflib."""
    import pyoxigraph as ox

    from ggen_mcp_core.testing import make_host, open_client

    workspace = work / f"query-ws-{triples}"
    workspace.mkdir()
    data = workspace / "data.nt"
    generate(data, triples)
    direct = ox.Store(str(work / f"direct-{triples}"))
    direct.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)

    graph = None
    rdflib_load_s = None
    if with_rdflib:
        import rdflib

        start = time.perf_counter()
        graph = rdflib.Graph()
        graph.parse(str(data), format="nt")
        rdflib_load_s = round(time.perf_counter() - start, 3)

    rows: dict[str, Any] = {}
    host = make_host(workspace, ["graph"], graph={"bulk_load_bytes": 1})  # the same loader as the direct store
    async with open_client(host, mode=mode) as client:
        loaded = await client.call_tool("graph_load", {"file": "data.nt"})
        if loaded.is_error:
            raise RuntimeError(loaded.content[0].text)
        for name, sparql in QUERIES.items():

            async def call(q: str = sparql) -> Any:
                result = await client.call_tool("graph_query", {"sparql": q})
                if result.is_error:
                    raise RuntimeError(result.content[0].text)
                return result.structured_content

            direct_result = direct_rows(direct, sparql)  # warm-up, both sides
            tool_result = await call()
            assert tool_result["count"] == len(direct_result), (name, tool_result["count"], len(direct_result))
            direct_samples, tool_samples, server_ms = [], [], []
            for _ in range(repeat):  # interleaved, so both sides see the same machine
                start = time.perf_counter()
                direct_rows(direct, sparql)
                direct_samples.append(time.perf_counter() - start)
                start = time.perf_counter()
                tool_result = await call()
                tool_samples.append(time.perf_counter() - start)
                server_ms.append(tool_result["duration_ms"])
            direct_ms, tool_ms = median_ms(direct_samples), median_ms(tool_samples)
            paired = median_ms([t - d for t, d in zip(tool_samples, direct_samples, strict=True)])
            entry = {
                "rows": len(direct_result),
                "pyoxigraph_ms": direct_ms,
                "graph_query_ms": tool_ms,
                "overhead_ms": paired,
                "budget_ms": round(1 + 0.1 * direct_ms, 3),
                "within_budget": paired <= 1 + 0.1 * direct_ms,
                "server_side_ms": round(statistics.median(server_ms), 3),
            }
            if graph is not None:
                rdflib_samples, rdflib_result = timed(lambda q=sparql: rdflib_rows(graph, q), rdflib_repeat)
                assert len(rdflib_result) == len(direct_result), (name, len(rdflib_result), len(direct_result))
                entry["rdflib_ms"] = median_ms(rdflib_samples)
                entry["rdflib_over_graph_query"] = round(entry["rdflib_ms"] / tool_ms, 1)
            rows[name] = entry
    return {"triples": triples, "rdflib_load_s": rdflib_load_s, "queries": rows}


def report(results: dict[str, Any]) -> str:
    load = results["load"]
    lines = [
        f"Machine: {results['machine']}; Python {results['python']}; pyoxigraph {results['pyoxigraph']}; "
        f"rdflib {results['rdflib']}; MCP client mode `{results['mode']}`; medians of {results['repeat']} runs "
        f"after one warm-up ({results['rdflib_repeat']} for rdflib); pyoxigraph-direct and graph_query runs "
        "alternate, and the overhead is the median of their paired differences.",
        "",
        "### Load",
        "",
        "| triples | file | Store.bulk_load (runs) | graph_load (runs) | graph_load / bulk_load (triples/s) |",
        "|---|---|---|---|---|",
        f"| {load['triples']:,} | {load['file_bytes'] / 1e6:.1f} MB | {load['bulk_load_s']} s "
        f"({load['bulk_load_tps']:,}/s; {', '.join(map(str, load['bulk_load_runs_s']))}) | {load['graph_load_s']} s "
        f"({load['graph_load_tps']:,}/s; {', '.join(map(str, load['graph_load_runs_s']))}) | **{load['ratio']}** |",
    ]
    for block in results["queries"]:
        with_rdflib = any("rdflib_ms" in q for q in block["queries"].values())
        lines += [
            "",
            f"### Queries over {block['triples']:,} triples",
            "",
            "| query | rows | pyoxigraph direct | graph_query (MCP) | of which server side | overhead (paired) "
            "| budget 1 ms + 10 % | within |" + (" rdflib | rdflib / graph_query |" if with_rdflib else ""),
            "|---|---|---|---|---|---|---|---|" + ("---|---|" if with_rdflib else ""),
        ]
        for name, q in block["queries"].items():
            row = (
                f"| {name} | {q['rows']} | {q['pyoxigraph_ms']} ms | {q['graph_query_ms']} ms | "
                f"{q['server_side_ms']} ms | {q['overhead_ms']} ms | {q['budget_ms']} ms | "
                f"{'yes' if q['within_budget'] else 'no'} |"
            )
            if with_rdflib:
                row += f" {q.get('rdflib_ms', '-')} ms | {q.get('rdflib_over_graph_query', '-')}x |"
            lines.append(row)
        if block["rdflib_load_s"] is not None:
            lines += ["", f"rdflib parsed the {block['triples']:,}-triple file in {block['rdflib_load_s']} s."]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    import pyoxigraph
    import rdflib

    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__,
        "rdflib": rdflib.__version__,
        "mode": args.mode,
        "repeat": args.repeat,
        "rdflib_repeat": args.rdflib_repeat,
        "queries": [],
    }
    with tempfile.TemporaryDirectory(prefix="ggen-graph-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        results["load"] = await bench_load(work, args.load_triples, args.mode, args.load_rounds)
        for size in args.triples:
            with_rdflib = size <= args.rdflib_max
            block = await bench_queries(work, size, args.repeat, args.mode, with_rdflib, args.rdflib_repeat)
            results["queries"].append(block)
        results["seconds"] = round(time.perf_counter() - started, 1)
        from ggen_graph.stores import close_all

        close_all()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load-triples", type=int, default=1_000_000, help="size of the load benchmark file")
    parser.add_argument("--load-rounds", type=int, default=2, help="alternating load runs of each kind")
    parser.add_argument("--triples", type=int, nargs="+", default=[100_000, 1_000_000], help="query dataset sizes")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (after one warm-up)")
    parser.add_argument("--rdflib-repeat", type=int, default=3, help="timed runs per query through rdflib")
    parser.add_argument("--rdflib-max", type=int, default=100_000, help="largest dataset also run through rdflib")
    parser.add_argument("--mode", choices=["legacy", "auto"], default="legacy", help="MCP client protocol era")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.stdout.write(report(results) + f"\n\nTotal benchmark time: {results['seconds']} s\n")


if __name__ == "__main__":
    main()
