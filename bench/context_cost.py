"""Context cost: the model-visible part of ``tools/list`` per pack, in bytes and tokens, against the budgets.

What a client puts in its model's context for every tool is its name, description and inputSchema; this
measures that, as compact JSON, from the real ``tools/list`` of an in-memory session over every installed
pack (``discovery = "all"``), and what a ``discovery = "dynamic"`` session starts with (two tools). Tokens
are counted as bytes / 4. Also prints the full ``tools/list`` (with output schemas and annotations), which
clients receive but need not show the model.

    .venv/bin/python bench/context_cost.py [--json]

Budgets (issue 16 and the session's per-pack shares): all tools <= 16,000 bytes (4,000 tokens).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio

TOTAL_BUDGET = 16_000
PACK_BUDGETS = {
    "graph": 3_300,
    "market": 3_300,
    "hook": 2_300,
    "template": 3_650,
    "ai": 2_850,
    "core-discovery": 600,
}


def visible_bytes(tool: Any) -> int:
    """What the model sees of one tool: name, description and inputSchema as compact JSON."""
    seen = {"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema}
    return len(json.dumps(seen, separators=(",", ":"), ensure_ascii=False).encode())


def raw_schema(model: Any) -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema()
    schema.setdefault("type", "object")
    return schema


def full_bytes(tool: Any) -> int:
    return len(json.dumps(tool.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")))


async def measure(discovery: str) -> dict[str, Any]:
    from ggen_mcp_core.testing import make_host, open_client

    with tempfile.TemporaryDirectory() as workspace:
        host = make_host(Path(workspace), discovery=discovery)
        async with open_client(host) as client:
            tools = (await client.list_tools()).tools
        per_pack: dict[str, dict[str, int]] = {}
        untitled = 0  # the baseline: the same tools with the schemas pydantic generates (titles kept)
        for tool in tools:
            spec = host.tools[tool.name]
            row = per_pack.setdefault(spec.plugin, {"tools": 0, "bytes": 0, "full_bytes": 0})
            row["tools"] += 1
            row["bytes"] += visible_bytes(tool)
            row["full_bytes"] += full_bytes(tool)
            untitled += visible_bytes(tool.model_copy(update={"input_schema": raw_schema(spec.input_model)}))
    total = sum(row["bytes"] for row in per_pack.values())
    return {
        "discovery": discovery,
        "tools": len(tools),
        "bytes": total,
        "tokens": total // 4,
        "full_bytes": sum(row["full_bytes"] for row in per_pack.values()),
        "bytes_with_generated_titles": untitled,
        "packs": dict(sorted(per_pack.items())),
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"discovery = {result['discovery']}: {result['tools']} tools, {result['bytes']} bytes model-visible "
        f"= {result['tokens']} tokens (target <= {TOTAL_BUDGET // 4} tokens: "
        f"{'met' if result['bytes'] <= TOTAL_BUDGET else 'MISSED'}); full tools/list {result['full_bytes']} bytes",
        f"  baseline, schemas with pydantic's generated titles: {result['bytes_with_generated_titles']} bytes "
        f"(ratio {result['bytes'] / max(result['bytes_with_generated_titles'], 1):.2f})",
        f"  {'pack':<16} {'tools':>5} {'bytes':>7} {'tokens':>7} {'budget':>7}  verdict",
    ]
    for pack, row in result["packs"].items():
        budget = PACK_BUDGETS.get(pack)
        verdict = "-" if budget is None else ("met" if row["bytes"] <= budget else "over")
        lines.append(
            f"  {pack:<16} {row['tools']:>5} {row['bytes']:>7} {row['bytes'] // 4:>7} {budget or '-':>7}  {verdict}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    results = [anyio.run(measure, mode) for mode in ("all", "dynamic")]
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        print("\n\n".join(report(r) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
