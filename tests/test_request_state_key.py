"""`http.request_state_key`: replicas that share the key resume each other's 2026-07-28 multi-round-trip calls
(a ctx.sample round started on one replica is answered through another, as a load balancer may send it);
replicas with different keys (or the default per-process key) refuse the round with the SDK's error. The
key is a secret: from a file too, never shown by `ggen-mcp config`, refused when too short."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import mcp.types as mt
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.config import ConfigError, Settings
from ggen_mcp_core.testing import make_host, tool_text
from tests.test_client_requests import RUNS, asking_plugin, echo_model

pytestmark = pytest.mark.anyio
KEY = "k" * 16 + "0123456789abcdef0123"
OTHER_KEY = "o" * 40


def replica(workspace: Path, http_server: Any, key: str | None) -> str:
    """A stateless HTTP replica on the shared workspace; its MCP URL."""
    http: dict[str, Any] = {"stateless": True}
    if key is not None:
        http["request_state_key"] = key
    host = make_host(workspace, plugins=[], modules={"asking": asking_plugin()}, http=http)
    return f"{http_server(host)}/mcp"


async def round_on_one_answered_on_other(first_url: str, second_url: str) -> mt.CallToolResult:
    """Start asking_model on ``first_url`` (it asks the first question and returns the sealed state), answer
    it, and send the answer with the state to ``second_url``, which asks the second question and finishes."""
    arguments = {"questions": ["one", "two"]}
    async with Client(first_url, mode="auto", sampling_callback=echo_model) as first:
        started = await first.session.call_tool("asking_model", arguments, allow_input_required=True)
    assert isinstance(started, mt.InputRequiredResult)
    assert started.request_state and started.input_requests
    (key, request) = next(iter(started.input_requests.items()))
    assert isinstance(request, mt.CreateMessageRequest)
    answer = await echo_model(None, request.params)
    async with Client(second_url, mode="auto", sampling_callback=echo_model) as second:
        return await second.call_tool(
            "asking_model", arguments, input_responses={key: answer}, request_state=started.request_state
        )


async def test_shared_key_resumes_a_round_on_another_replica(ggen_workspace: Path, http_server: Any) -> None:
    RUNS.clear()
    one, two = replica(ggen_workspace, http_server, KEY), replica(ggen_workspace, http_server, KEY)
    result = await round_on_one_answered_on_other(one, two)
    assert not result.is_error, tool_text(result)
    assert result.structured_content["answers"] == ["echo: one", "echo: two"]


async def refused(first_url: str, second_url: str) -> MCPError:
    """The error the second replica answers the round with (the client raises it out of its task group)."""
    try:
        await round_on_one_answered_on_other(first_url, second_url)
    except BaseException as exc:
        found = exc
        while isinstance(found, BaseExceptionGroup) and len(found.exceptions) == 1:
            found = found.exceptions[0]
        if isinstance(found, MCPError):
            return found
        raise
    raise AssertionError("the round was accepted")


@pytest.mark.parametrize("second_key", [OTHER_KEY, None], ids=["other-key", "per-process-key"])
async def test_other_key_refuses_the_round(ggen_workspace: Path, http_server: Any, second_key: str | None) -> None:
    one, two = replica(ggen_workspace, http_server, KEY), replica(ggen_workspace, http_server, second_key)
    error = await refused(one, two)
    assert error.error.code == mt.INVALID_PARAMS and error.error.message == "Invalid or expired requestState"


async def test_default_keys_are_per_process(ggen_workspace: Path, http_server: Any) -> None:
    """Without the setting each replica seals with its own key: fine for one replica, refused across two."""
    one, two = replica(ggen_workspace, http_server, None), replica(ggen_workspace, http_server, None)
    error = await refused(one, two)
    assert error.error.code == mt.INVALID_PARAMS and error.error.message == "Invalid or expired requestState"
    RUNS.clear()
    result = await round_on_one_answered_on_other(one, one)
    assert result.structured_content["answers"] == ["echo: one", "echo: two"]


async def test_key_from_a_file_is_the_same_key(ggen_workspace: Path, http_server: Any, tmp_path: Path) -> None:
    secret = tmp_path / "request-state-key"
    secret.write_text(KEY + "\n")
    settings = Settings.load(workspace=ggen_workspace, http={"request_state_key_file": str(secret)})
    assert settings.http.request_state_key is not None
    assert settings.http.request_state_key.get_secret_value() == KEY
    RUNS.clear()
    from_file = make_host(ggen_workspace, plugins=[], modules={"asking": asking_plugin()}, http=settings.http)
    result = await round_on_one_answered_on_other(
        f"{http_server(from_file)}/mcp", replica(ggen_workspace, http_server, KEY)
    )
    assert not result.is_error, tool_text(result)


@pytest.mark.parametrize(
    ("http", "message"),
    [
        ({"request_state_key": "short"}, "http.request_state_key: too short: at least 32 bytes"),
        ({"request_state_key_file": "/nonexistent/key"}, "http.request_state_key_file: cannot read"),
        (
            {"request_state_key": KEY, "request_state_key_file": "/nonexistent/key"},
            "set http.request_state_key or http.request_state_key_file, not both",
        ),
    ],
)
def test_bad_key_settings_are_refused(ggen_workspace: Path, http: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(workspace=ggen_workspace, http=http)


def test_key_is_never_shown(ggen_workspace: Path, tmp_path: Path) -> None:
    """`ggen-mcp config` masks it, and `serve`'s children do not inherit it (the variable is a secret one)."""
    import os

    from ggen_mcp_core.config import HttpSettings
    from ggen_mcp_core.secret_settings import secret_variables

    env = {**os.environ, "GGEN_MCP_WORKSPACE": str(ggen_workspace), "GGEN_MCP_HTTP__REQUEST_STATE_KEY": KEY}
    shown = subprocess.run(
        [sys.executable, "-m", "ggen_mcp_core.cli", "config"], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    assert KEY not in shown.stdout and KEY not in shown.stderr
    assert json.loads(shown.stdout)["http"]["request_state_key"] == "**********"
    assert "GGEN_MCP_HTTP__REQUEST_STATE_KEY" in secret_variables({"http": HttpSettings})
