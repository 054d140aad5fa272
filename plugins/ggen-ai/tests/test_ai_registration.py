"""The AI pack registers the predecessor's seven tools under the rules every pack keeps, within its context
budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import ToolFamilyConformance

PREDECESSOR = {
    "ai_generate_template",
    "ai_generate_sparql",
    "ai_generate_ontology",
    "ai_generate_project",
    "ai_extend_graph",
    "ai_validate_and_improve",
    "ai_list_providers",
}
BUDGET = 2850


class TestAiConformance(ToolFamilyConformance):
    plugin = "ai"
    prefixes = ("ai_",)
    heavy_modules = ("llm",)


@pytest.mark.anyio
async def test_seven_tools_with_the_predecessors_names_within_the_budget(
    ai_host: Callable[..., PluginHost], ggen_client: Any
) -> None:
    async with ggen_client(ai_host(), mode="legacy") as client:
        tools = [t for t in (await client.list_tools()).tools if t.name.startswith("ai_")]
    assert {t.name for t in tools} == PREDECESSOR
    visible = sum(
        len(
            json.dumps(
                {"name": t.name, "description": t.description, "inputSchema": t.input_schema}, separators=(",", ":")
            ).encode()
        )
        for t in tools
    )
    assert visible <= BUDGET, visible


def test_the_predecessors_argument_names_are_accepted(ai_host: Callable[..., PluginHost]) -> None:
    host = ai_host()
    names = {n for spec in host.tools.values() if spec.plugin == "ai" for n in spec.input_model.model_fields}
    wanted = {
        "description",
        "graph_file",
        "provider",
        "output_file",
        "requirements",
        "language",
        "framework",
        "output_dir",
        "content",
        "content_type",
        "max_iterations",
    }
    assert wanted <= names, wanted - names
