"""Benchmark: ``market_search`` over a generated 10,000-pack index, through an in-memory MCP client.

Run: ``.venv/bin/python bench/market.py [--packs 10000] [--calls 500]``. It
writes a registry index with N packs into a temporary directory, serves it as a ``file://`` registry,
warms the cache once, then times ``--calls`` searches (mixed one- and two-word queries, category filters
and sorts) three ways: end to end through an in-memory MCP client (which also validates every result
against the tool's output schema), through the server's call path alone (``ggen_mcp_core.calls``:
auth, rate limit, audit, result shaping), and the ranking alone. Prints median, p95 and max in
milliseconds as JSON. Goal: p95 < 5 ms through the client.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

WORDS = [
    "python",
    "rust",
    "typescript",
    "sql",
    "graphql",
    "kafka",
    "react",
    "django",
    "flask",
    "axum",
    "serde",
    "pydantic",
    "postgres",
    "sqlite",
    "openapi",
    "grpc",
    "terraform",
    "helm",
    "docker",
    "lambda",
    "models",
    "client",
    "server",
    "cli",
    "schema",
    "crud",
    "events",
    "auth",
    "queue",
    "cache",
]
CATEGORIES = ["python", "rust", "typescript", "sql", "infra", "web", "data", "api"]


def make_index(count: int, seed: int = 7) -> dict[str, Any]:
    """An index.json document with ``count`` plausible packs."""
    rng = random.Random(seed)
    packs = {}
    for number in range(count):
        words = rng.sample(WORDS, 3)
        pack_id = f"io.bench.{words[0]}.{words[1]}-{number}"
        version = f"{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        packs[pack_id] = {
            "id": pack_id,
            "name": f"{words[0].title()} {words[1]} {number}",
            "description": f"Generates {words[0]} {words[1]} code with {words[2]} support from an ontology.",
            "tags": words,
            "keywords": rng.sample(WORDS, 2),
            "category": rng.choice(CATEGORIES),
            "author": f"author{number % 97}",
            "latest_version": version,
            "downloads": rng.randint(0, 100_000),
            "updated": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00Z",
            "license": "MIT",
            "versions": {
                version: {
                    "version": version,
                    "url": f"archives/{pack_id}-{version}.tar.gz",
                    "size": 1000,
                    "sha256": "0" * 64,
                }
            },
        }
    return {"updated": "2026-11-01T00:00:00Z", "packs": packs}


def queries(count: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        shape = rng.random()
        if shape < 0.5:
            found.append({"query": rng.choice(WORDS)})
        elif shape < 0.8:
            found.append({"query": " ".join(rng.sample(WORDS, 2))})
        elif shape < 0.9:
            found.append({"query": rng.choice(WORDS), "category": rng.choice(CATEGORIES), "sort": "downloads"})
        else:
            found.append({"query": rng.choice(WORDS), "sort": "updated", "limit": 50})
    return found


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3),
        "max_ms": round(ordered[-1], 3),
    }


async def run(packs: int, calls: int) -> dict[str, Any]:
    """Time the same queries three ways: through an MCP client, through the server's call path alone,
    and the ranking alone (what the market pack itself spends)."""
    from ggen_market.index import parse_index
    from ggen_market.ranking import match, top

    from ggen_mcp_core.calls import call_tool
    from ggen_mcp_core.events import RequestInfo
    from ggen_mcp_core.testing import make_host, open_client

    workload = queries(calls)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry"
        registry.mkdir()
        (registry / "index.json").write_text(json.dumps(make_index(packs)))
        host = make_host(
            Path(tmp) / "ws",
            ["market"],
            market={"registry_url": registry.as_uri() + "/", "allow_file_urls": True},
            rate_limit={"limit": "10000000/minute"},
        )  # limiter in the path, never refusing
        client_ms, server_ms = [], []
        async with open_client(host, mode="legacy") as client:
            started = time.perf_counter()
            first = await client.call_tool("market_search", {"query": "python"})
            cold = (time.perf_counter() - started) * 1000
            assert not first.is_error, first.content
            for arguments in workload:
                started = time.perf_counter()
                result = await client.call_tool("market_search", arguments)
                client_ms.append((time.perf_counter() - started) * 1000)
                assert not result.is_error, result.content
        for arguments in workload:
            started = time.perf_counter()
            answer = await call_tool(host, "market_search", arguments, request=RequestInfo(transport="cli"))
            server_ms.append((time.perf_counter() - started) * 1000)
            assert not answer.is_error, answer.content
        index = parse_index((registry / "index.json").read_bytes())
        match(index, "warm")
        ranking_ms = []
        for arguments in workload:
            started = time.perf_counter()
            found = match(index, arguments["query"], category=arguments.get("category"))
            top(found, arguments.get("sort", "relevance"), arguments.get("limit", 10))
            ranking_ms.append((time.perf_counter() - started) * 1000)
    return {
        "packs": packs,
        "calls": calls,
        "cold_first_call_ms": round(cold, 1),
        "through_mcp_client": summary(client_ms),
        "server_call_path": summary(server_ms),
        "ranking_only": summary(ranking_ms),
        "python": sys.version.split()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(anyio.run(run, args.packs, args.calls), indent=2))


if __name__ == "__main__":
    main()
