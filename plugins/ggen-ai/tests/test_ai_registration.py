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


def undescribed(schema: dict[str, Any], defs: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Every property of an output schema (through $refs, arrays and unions) that has no description."""
    missing: list[str] = []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            missing += undescribed(defs[name], defs, name, seen | {name})
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            missing += undescribed(option, defs, where, seen)
    if isinstance(schema.get("items"), dict):
        missing += undescribed(schema["items"], defs, where, seen)
    for field, sub in schema.get("properties", {}).items():
        if not sub.get("description"):
            missing.append(f"{where}.{field}")
        missing += undescribed(sub, defs, f"{where}.{field}", seen)
    return missing


@pytest.mark.anyio
async def test_output_schemas_describe_every_field(ai_host: Callable[..., PluginHost], ggen_client: Any) -> None:
    """The results promise rounds, validators and final problems: every field of every ai_* output schema (the
    loop report included) says what it is."""
    async with ggen_client(ai_host(), mode="legacy") as client:
        tools = [t for t in (await client.list_tools()).tools if t.name.startswith("ai_")]
    missing = []
    for tool in tools:
        schema = tool.output_schema
        assert schema is not None, tool.name
        missing += undescribed(schema, schema.get("$defs", {}), tool.name, set())
    assert missing == []
    loop = tools[0].output_schema["$defs"]["LoopReport"]["properties"] if tools[0].output_schema else {}
    assert {"rounds", "validators", "final_problems", "stopped", "tokens_requested"} <= set(loop)
