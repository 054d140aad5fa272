"""What ends a loop and what holds a model: no sampling client, a model that never gets it right, budgets, and
hostile answers held by the same guards as a human client (SERVICE, paths, sizes)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ai_script import BROKEN_TTL, ERAS, VALID_TTL, ScriptedModel, fenced

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


def contacted(listener: socket.socket) -> bool:
    listener.setblocking(False)
    try:
        listener.accept()[0].close()
    except BlockingIOError:
        return False
    return True


@pytest.mark.parametrize("mode", ERAS)
async def test_client_without_sampling_gets_a_clear_error(
    ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str
) -> None:
    async with ggen_client(ai_host(), mode=mode) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "a shop"})
    assert result.is_error
    text = tool_text(result)
    assert "did not declare the MCP 'sampling' capability" in text
    assert "ai.model (GGEN_MCP_AI__MODEL" in text


@pytest.mark.parametrize("mode", ERAS)
async def test_unknown_provider_names_the_choices(
    ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str
) -> None:
    async with ggen_client(ai_host(), mode=mode, sampling_callback=ScriptedModel([])) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "x", "provider": "openai"})
        server = await client.call_tool("ai_generate_ontology", {"description": "x", "provider": "server"})
    assert result.is_error and "unknown provider 'openai': one of auto, client, server" in tool_text(result)
    assert server.is_error and "no server-side model is configured" in tool_text(server)


@pytest.mark.parametrize("mode", ERAS)
async def test_never_valid_ends_at_max_iterations_with_the_last_problems(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    model = ScriptedModel([fenced(BROKEN_TTL)] * 4)
    async with ggen_client(ai_host(max_iterations=4), mode=mode, sampling_callback=model) as client:
        result = await client.call_tool(
            "ai_generate_ontology", {"description": "a shop", "output_file": "shop.ttl", "graph": "urn:x:g"}
        )
    out = result.structured_content
    assert not out["valid"] and out["loop"]["stopped"] == "max_iterations"
    assert len(out["loop"]["rounds"]) == 4 and out["loop"]["final_problems"]
    assert out["loop"]["final_problems"] == out["loop"]["rounds"][-1]["problems"]
    assert out["output_file"] is None and out["graph"] is None
    assert not (ggen_workspace / "shop.ttl").exists()  # nothing written for an invalid answer


@pytest.mark.parametrize("mode", ERAS)
async def test_token_budget_stops_the_loop(ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str) -> None:
    model = ScriptedModel([fenced(BROKEN_TTL)] * 3)
    host = ai_host(max_iterations=5, max_tokens=1000, token_budget=2500)
    async with ggen_client(host, mode=mode, sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "a shop"})
    loop = result.structured_content["loop"]
    assert loop["stopped"] == "token_budget" and len(loop["rounds"]) == 2 and loop["tokens_requested"] == 2000
    assert model.max_tokens == [1000, 1000]


@pytest.mark.parametrize("mode", ERAS)
async def test_huge_answer_is_refused(ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str) -> None:
    model = ScriptedModel(["x" * 5000])
    async with ggen_client(ai_host(max_answer_chars=1024), mode=mode, sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "a shop"})
    assert result.is_error and "over the 1024-character limit" in tool_text(result)


@pytest.mark.parametrize("mode", ERAS)
async def test_service_clause_from_the_model_is_refused_by_the_guard(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_listener: socket.socket, mode: str
) -> None:
    port = ggen_listener.getsockname()[1]
    hostile = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    update = "DROP ALL"
    model = ScriptedModel([fenced(hostile), fenced(update)])
    async with ggen_client(ai_host(max_iterations=2), mode=mode, sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_sparql", {"description": "everything"})
    loop = result.structured_content["loop"]
    assert not loop["valid"]
    assert "SERVICE" in loop["rounds"][0]["problems"][0]
    assert loop["rounds"][1]["problems"]
    assert not contacted(ggen_listener)


@pytest.mark.parametrize("mode", ERAS)
async def test_sandbox_escape_from_the_model_is_held(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    """A template reaching Python internals renders under the template pack's sandbox, as a client's would."""
    hostile = "---\nto: x.txt\n---\n{{ ''.__class__.__mro__[1].__subclasses__() }}"
    model = ScriptedModel([fenced(hostile)])
    async with ggen_client(ai_host(max_iterations=1), mode=mode, sampling_callback=model) as client:
        await client.call_tool("graph_load", {"content": VALID_TTL, "graph": "urn:x:g"})
        result = await client.call_tool(
            "ai_generate_template", {"description": "x", "graph": "urn:x:g", "output_file": "evil"}
        )
    out = result.structured_content
    assert out is not None, tool_text(result)
    assert not out["valid"] and out["rendered_files"] == [] and out["output_file"] is None, out
    assert "template_render failed" in out["loop"]["final_problems"][0]
    assert not (ggen_workspace / "x.txt").exists()
    assert not (ggen_workspace / "templates/evil.tmpl").exists()  # a template that does not render is not saved


@pytest.mark.parametrize("mode", ERAS)
async def test_path_escape_from_the_model_is_held(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    """A template whose `to` leaves the workspace is refused by the write policy when planned or generated."""
    model = ScriptedModel([fenced("---\nto: ../../outside.txt\n---\nhi")])
    async with ggen_client(ai_host(), mode=mode, sampling_callback=model) as client:
        made = await client.call_tool("ai_generate_template", {"description": "x", "output_file": "evil"})
        plan = await client.call_tool("project_plan", {"template": "evil"})
        gen = await client.call_tool("project_gen", {"template": "evil"})
    assert made.structured_content["output_file"] == "templates/evil.tmpl"
    assert plan.is_error and gen.is_error, (tool_text(plan), tool_text(gen))
    assert "outside.txt" in tool_text(gen)
    assert not (ggen_workspace.parent.parent / "outside.txt").exists()
    assert not (ggen_workspace.parent / "outside.txt").exists()


@pytest.mark.parametrize("mode", ERAS)
async def test_path_like_template_names_from_the_model_are_refused(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    import json

    bad_names = json.dumps({"templates": [{"name": "../evil", "content": "---\nto: a.txt\n---\nhi"}]})
    model = ScriptedModel([fenced(VALID_TTL), fenced(bad_names), fenced(bad_names)])
    async with ggen_client(ai_host(max_iterations=2), mode=mode, sampling_callback=model) as client:
        project = await client.call_tool("ai_generate_project", {"description": "x", "name": "p"})
    out = project.structured_content
    assert not out["valid"] and out["plan_id"] is None and out["templates"] == []
    assert "templates[0]: needs a name" in out["templates_loop"]["final_problems"][0]
    assert not (ggen_workspace / "templates").exists()


@pytest.mark.parametrize("mode", ERAS)
async def test_output_file_outside_the_workspace_is_refused(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    model = ScriptedModel([fenced(VALID_TTL)])
    async with ggen_client(ai_host(), mode=mode, sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "x", "output_file": "../out.ttl"})
    assert result.is_error and "out.ttl" in tool_text(result)
    assert not (ggen_workspace.parent / "out.ttl").exists()


@pytest.mark.parametrize("mode", ERAS)
async def test_wall_clock_budget_stops_the_loop(
    ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str
) -> None:
    """A 10 ms budget is spent by the first round's validation (a parse in the store): no second round."""
    model = ScriptedModel([fenced(BROKEN_TTL)] * 3)
    async with ggen_client(ai_host(wall_clock=0.01), mode=mode, sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "a shop"})
    loop = result.structured_content["loop"]
    assert loop["stopped"] == "wall_clock" and len(loop["rounds"]) <= 1 and not loop["valid"]


def test_feedback_quotes_no_random_ids() -> None:
    """Feedback must read the same when the handler runs again (2026-07-28): draft graphs and call ids go."""
    from ggen_ai.validators import _failure, draft_graph

    from ggen_mcp_core import ToolError

    graph = draft_graph()
    error = ToolError(f"graph_query failed: no graph {graph}; the server log has the details under call id {'a' * 32}")
    assert _failure(error, graph) == (
        "graph_query failed: no graph <the draft graph>; the server log has the details under call id <call id>"
    )
