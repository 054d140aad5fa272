"""What the graph tools show a client in tools/list: a small model-visible part (issue 16's budget) and
output schemas that every client can read (no type arrays) with every field described."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

BUDGET = 3_300  # bytes of name, description and inputSchema as compact JSON, all graph tools together


def problems(node: Any, where: str) -> list[str]:
    """Type arrays and undescribed properties anywhere in a schema."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("type"), list):
            found.append(f"{where}: type {node['type']}")
        for name, sub in (node.get("properties") or {}).items():
            if not isinstance(sub, dict) or "description" not in sub:
                found.append(f"{where}.{name}: no description")
        for key, sub in node.items():
            found += problems(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            found += problems(sub, f"{where}[{index}]")
    return found


async def test_graph_tools_fit_their_context_budget_and_describe_every_output_field(
    graph_host: Any, ggen_client: Any
) -> None:
    async with ggen_client(graph_host()) as client:
        tools = [tool for tool in (await client.list_tools()).tools if tool.name.startswith("graph_")]
    assert len(tools) == 8
    visible = sum(
        len(
            json.dumps(
                {"name": t.name, "description": t.description, "inputSchema": t.input_schema},
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        )
        for t in tools
    )
    assert visible <= BUDGET, f"graph tools take {visible} bytes of the model's context (budget {BUDGET})"
    for tool in tools:
        assert tool.output_schema is not None, tool.name
        assert problems(tool.output_schema, tool.name) == []
