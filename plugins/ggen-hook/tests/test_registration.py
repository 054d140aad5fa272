"""hook_register, hook_list and hook_remove through an MCP session, with the hooks file on disk."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from conftest import marker_command

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio


async def register(client, **arguments):
    result = await client.call_tool("hook_register", arguments)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def test_register_list_remove_roundtrip(hooks_host, ggen_client, ggen_workspace: Path) -> None:
    host = hooks_host(allow=True)
    async with ggen_client(host, mode="legacy") as client:
        first = await register(client, event="post_gen", command="ruff format .", name="fmt", match="templates/*")
        second = await register(client, event="pre_gen", command=marker_command("m"), timeout=5)
        assert first["status"] == "registered" and first["hook_id"].startswith("hook_")
        assert first["event"] == "post_gen" and first["command"] == "ruff format ."
        assert second["name"].startswith("pre_gen-") and second["git_hook"] is None

        stored = tomllib.loads((ggen_workspace / ".ggen/hooks.toml").read_text())
        assert [h["name"] for h in stored["hooks"]] == ["fmt", second["name"]]
        assert stored["hooks"][0]["match"] == "templates/*" and "vars" not in stored["hooks"][0]
        assert stat.S_IMODE((ggen_workspace / ".ggen/hooks.toml").stat().st_mode) == 0o600
        assert not list((ggen_workspace / ".ggen").glob(".hooks.toml.*")), "no temp file left behind"

        listed = (await client.call_tool("hook_list", {})).structured_content
        assert [h["name"] for h in listed["hooks"]] == ["fmt", second["name"]]
        assert listed["hooks"][0]["timeout"] == 30 and listed["hooks"][1]["timeout"] == 5
        assert listed["commands_allowed"] is True
        only_pre = (await client.call_tool("hook_list", {"event": "pre_gen"})).structured_content
        assert [h["name"] for h in only_pre["hooks"]] == [second["name"]]

        removed = await client.call_tool("hook_remove", {"hook_id": second["hook_id"]})
        assert not removed.is_error, tool_text(removed)
        assert removed.structured_content["name"] == second["name"]
        removed = await client.call_tool("hook_remove", {"name": "fmt"})
        assert removed.structured_content["status"] == "removed"
        assert (await client.call_tool("hook_list", {})).structured_content["count"] == 0

        again = await client.call_tool("hook_remove", {"name": "fmt"})
        assert again.is_error and "no hook with name 'fmt'" in tool_text(again)


async def test_duplicate_name_is_an_error(hooks_host, ggen_client) -> None:
    async with ggen_client(hooks_host(), mode="auto") as client:
        await register(client, event="post_gen", command="true", name="same")
        result = await client.call_tool("hook_register", {"event": "pre_gen", "command": "true", "name": "same"})
        assert result.is_error
        assert "a hook named 'same' already exists" in tool_text(result)
        assert (await client.call_tool("hook_list", {})).structured_content["count"] == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"event": "post_gen", "command": "true", "name": "../evil"}, "'name'"),
        ({"event": "post_gen", "command": "true", "name": "a/b"}, "'name'"),
        ({"event": "post_gen", "command": "true", "name": "x y"}, "'name'"),
        ({"event": "on_save", "command": "true"}, "'event'"),
        ({"event": "post_gen"}, "needs a command"),
        ({"event": "post_gen", "template": "t.tmpl"}, "needs a command"),
        ({"event": "git-post-merge", "command": "true", "template": "t.tmpl"}, "not both"),
        ({"event": "git-post-merge", "command": "true", "match": "*"}, "no template to match"),
        ({"event": "post_gen", "command": "echo 'unbalanced"}, "check the quotes"),
        ({"event": "post_gen", "command": "   "}, "the command is empty"),
        ({"event": "post_gen", "command": "true", "timeout": 0}, "'timeout'"),
        ({"event": "post_gen", "command": "true", "timeout": 4000}, "'timeout'"),
        ({"event": "post_gen", "command": "true", "surprise": 1}, "'surprise'"),
        ({"event": "git-post-merge", "template": "t.tmpl", "output": "../out"}, "outside the workspace"),
        ({"event": "post_gen", "command": "true", "vars": {"a": "b"}}, "give them with template"),
    ],
)
async def test_invalid_registrations_are_refused(hooks_host, ggen_client, arguments, message) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        result = await client.call_tool("hook_register", arguments)
        assert result.is_error, arguments
        assert message in tool_text(result)
        assert (await client.call_tool("hook_list", {})).structured_content["count"] == 0


async def test_timeout_above_operator_maximum(hooks_host, ggen_client) -> None:
    async with ggen_client(hooks_host(max_timeout=10, default_timeout=5), mode="legacy") as client:
        result = await client.call_tool("hook_register", {"event": "post_gen", "command": "true", "timeout": 11})
        assert result.is_error and "hooks.max_timeout (10 s)" in tool_text(result)


async def test_register_reports_when_it_would_not_run(hooks_host, ggen_client) -> None:
    async with ggen_client(hooks_host(allow=False), mode="legacy") as client:
        stored = await register(client, event="post_gen", command="true", name="later")
        assert stored["status"] == "registered" and stored["will_run"] is False
        assert "GGEN_MCP_HOOKS__ALLOW_COMMANDS" in stored["note"]
    async with ggen_client(hooks_host(allowed_commands=["ruff"]), mode="legacy") as client:
        stored = await register(client, event="post_gen", command="true", name="not-listed")
        assert stored["will_run"] is False and "not in hooks.allowed_commands" in stored["note"]
        missing = await register(client, event="post_gen", command="no-such-program-xyz", name="missing")
        assert missing["will_run"] is False and "was not found on PATH" in missing["note"]


async def test_too_many_hooks(hooks_host, ggen_client) -> None:
    async with ggen_client(hooks_host(max_hooks=2), mode="legacy") as client:
        await register(client, event="post_gen", command="true", name="a")
        await register(client, event="post_gen", command="true", name="b")
        result = await client.call_tool("hook_register", {"event": "post_gen", "command": "true", "name": "c"})
        assert result.is_error and "hooks.max_hooks" in tool_text(result)


async def test_scopes_are_declared(hooks_host) -> None:
    host = hooks_host()
    assert host.tools["hook_register"].scopes == ("hook:write",)
    assert host.tools["hook_remove"].scopes == ("hook:write",)
    assert host.tools["hook_run"].scopes == ("hook:run",)
    assert host.tools["hook_remove"].destructive and host.tools["hook_list"].read_only
