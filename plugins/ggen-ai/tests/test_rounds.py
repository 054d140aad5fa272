"""The 2026-07-28 client round limit: each model round of a loop is one client round, and the SDK client gives
up after its ``input_required_max_rounds`` (10 by default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ai_script import ScriptedModel, fenced

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
BROKEN = "def f(:\n    pass"


async def test_ten_rounds_fit_the_default_client(ai_host: Callable[..., PluginHost], ggen_client: Any) -> None:
    model = ScriptedModel([fenced(BROKEN)] * 10)
    async with ggen_client(ai_host(), mode="auto", sampling_callback=model) as client:
        result = await client.call_tool(
            "ai_validate_and_improve", {"content": BROKEN, "content_type": "python", "max_iterations": 10}
        )
    out = result.structured_content
    assert out is not None, tool_text(result)
    assert out["iterations"] == 10 and out["loop"]["stopped"] == "max_iterations"


async def test_a_lower_client_limit_ends_with_a_clear_result(
    ai_host: Callable[..., PluginHost], ggen_client: Any
) -> None:
    """A client allowing 3 round trips and a server told so (ai.client_rounds=3): max_iterations=10 stops after
    3 model rounds with a result that names both settings, instead of the client giving up without one."""
    model = ScriptedModel([fenced(BROKEN)] * 3)
    host = ai_host(client_rounds=3)
    async with ggen_client(host, mode="auto", sampling_callback=model, input_required_max_rounds=3) as client:
        result = await client.call_tool(
            "ai_validate_and_improve", {"content": BROKEN, "content_type": "python", "max_iterations": 10}
        )
    out = result.structured_content
    assert out is not None, tool_text(result)
    loop = out["loop"]
    assert loop["stopped"] == "client_rounds" and out["iterations"] == 3 and not out["validated"]
    assert "ai.client_rounds (3)" in loop["final_problems"][-1]
    assert "input_required_max_rounds" in loop["final_problems"][-1]


async def test_a_client_limit_below_the_servers_is_the_clients_error(
    ai_host: Callable[..., PluginHost], ggen_client: Any
) -> None:
    """When the client allows fewer round trips than ai.client_rounds, the SDK client gives up and says which of
    its settings to raise (docs/ai.md tells operators to keep the two equal)."""
    from mcp.client._input_required import InputRequiredRoundsExceededError

    model = ScriptedModel([fenced(BROKEN)] * 3)
    async with ggen_client(ai_host(), mode="auto", sampling_callback=model, input_required_max_rounds=2) as client:
        with pytest.raises(InputRequiredRoundsExceededError, match="raise input_required_max_rounds"):
            await client.call_tool("ai_validate_and_improve", {"content": BROKEN, "max_iterations": 5})


async def test_project_loops_share_the_client_rounds(ai_host: Callable[..., PluginHost], ggen_client: Any) -> None:
    """ai_generate_project runs two loops in one call: their model rounds add up against ai.client_rounds."""
    from ai_script import BROKEN_TTL, VALID_TTL

    model = ScriptedModel([fenced(BROKEN_TTL), fenced(VALID_TTL), fenced("not json")])
    async with ggen_client(ai_host(client_rounds=3), mode="auto", sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_project", {"description": "a shop", "name": "shop"})
    out = result.structured_content
    assert out is not None, tool_text(result)
    assert out["templates_loop"]["stopped"] == "client_rounds" and len(out["templates_loop"]["rounds"]) == 1
    assert "stopped after 3 model rounds" in out["templates_loop"]["final_problems"][-1]


async def test_no_round_limit_on_2025_sessions(ai_host: Callable[..., PluginHost], ggen_client: Any) -> None:
    """On 2025-11-25 a model round is a request on the open session, not a client round trip."""
    model = ScriptedModel([fenced(BROKEN)] * 4)
    async with ggen_client(ai_host(client_rounds=2), mode="legacy", sampling_callback=model) as client:
        result = await client.call_tool("ai_validate_and_improve", {"content": BROKEN, "max_iterations": 4})
    assert result.structured_content["loop"]["stopped"] == "max_iterations"
    assert result.structured_content["iterations"] == 4
