"""A tampered .ggen/hooks.toml, hook_validate's verdicts, and scopes under an authenticated principal."""

from __future__ import annotations

import subprocess
import types
from pathlib import Path

import pytest

from ggen_mcp_core import Principal, hookimpl
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

VALID = """
[[hooks]]
hook_id = "hook_0123456789abcdef0123456789abcdef"
name = "ok"
event = "post_gen"
command = "true"
enabled = true
created_at = "2026-01-01T00:00:00+00:00"
"""


def write_hooks(workspace: Path, text: str) -> None:
    (workspace / ".ggen").mkdir(exist_ok=True)
    (workspace / ".ggen/hooks.toml").write_text(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("hooks = [[[", "not valid TOML"),
        (VALID.replace('"post_gen"', '"on_every_keystroke"'), "event"),
        (VALID.replace('"ok"', '"../../etc/passwd"'), "name"),
        (VALID.replace('command = "true"', 'command = "true"\nshell = true'), "shell"),
        (VALID.replace('command = "true"', ""), "needs a command"),
        (VALID.replace("enabled = true", 'enabled = "yes"'), "enabled"),
        (VALID.replace('command = "true"', 'command = "' + "x" * 5000 + '"'), "command"),
        (VALID + VALID.replace("0123456789abcdef0123456789abcdef", "f" * 32), "duplicate name 'ok'"),
        ("version = 2\n" + VALID, "version 2"),
        ("hooks = 3", "array of tables"),
    ],
)
async def test_tampered_file_is_refused_and_explained(hooks_host, ggen_client, ggen_workspace, text, problem) -> None:
    write_hooks(ggen_workspace, text)
    async with ggen_client(hooks_host(), mode="legacy") as client:
        listed = await client.call_tool("hook_list", {})
        assert listed.is_error and ".ggen/hooks.toml is invalid" in tool_text(listed)
        assert problem in tool_text(listed)
        ran = await client.call_tool("hook_run", {"name": "ok"})
        assert ran.is_error and "no hook runs until then" in tool_text(ran)
        registered = await client.call_tool("hook_register", {"event": "post_gen", "command": "true"})
        assert registered.is_error
        validated = await client.call_tool("hook_validate", {})
        assert not validated.is_error
        assert validated.structured_content["valid"] is False
        assert any(problem in p for p in validated.structured_content["file_problems"])


async def test_a_tampered_entry_can_be_removed(hooks_host, ggen_client, ggen_workspace) -> None:
    write_hooks(ggen_workspace, VALID + VALID.replace('"ok"', '"../evil"').replace("0123", "9999"))
    async with ggen_client(hooks_host(), mode="legacy") as client:
        removed = await client.call_tool("hook_remove", {"name": "../evil"})
        assert not removed.is_error, tool_text(removed)
        listed = await client.call_tool("hook_list", {})
        assert not listed.is_error and [h["name"] for h in listed.structured_content["hooks"]] == ["ok"]


async def test_hooks_file_symlinked_outside_is_refused(hooks_host, ggen_client, ggen_workspace, tmp_path) -> None:
    outside = tmp_path / "elsewhere.toml"
    outside.write_text(VALID)
    (ggen_workspace / ".ggen").mkdir()
    (ggen_workspace / ".ggen/hooks.toml").symlink_to(outside)
    async with ggen_client(hooks_host(), mode="legacy") as client:
        listed = await client.call_tool("hook_list", {})
        assert listed.is_error and "outside the workspace" in tool_text(listed)
        registered = await client.call_tool("hook_register", {"event": "post_gen", "command": "true"})
        assert registered.is_error
        validated = (await client.call_tool("hook_validate", {})).structured_content
        assert not validated["valid"] and "outside the workspace" in validated["file_problems"][0]
    assert outside.read_text() == VALID


async def test_oversized_file_is_refused(hooks_host, ggen_client, ggen_workspace) -> None:
    write_hooks(ggen_workspace, VALID + "#" * (1024 * 1024 + 1))
    async with ggen_client(hooks_host(), mode="legacy") as client:
        listed = await client.call_tool("hook_list", {})
        assert listed.is_error and "the limit is 1048576" in tool_text(listed)


async def test_validate_reports_each_hook(hooks_host, ggen_client, ggen_workspace) -> None:
    (ggen_workspace / "tool.sh").write_text("#!/bin/sh\n")
    (ggen_workspace / "tool.sh").chmod(0o755)
    async with ggen_client(hooks_host(allowed_commands=["true"]), mode="legacy") as client:
        for arguments in (
            {"event": "post_gen", "command": "true", "name": "good"},
            {"event": "post_gen", "command": "no-such-program-xyz", "name": "missing"},
            {"event": "post_gen", "command": "./tool.sh", "name": "unlisted"},
            {"event": "pre_gen", "command": "true", "name": "off", "enabled": False},
        ):
            assert not (await client.call_tool("hook_register", arguments)).is_error
        output = (await client.call_tool("hook_validate", {})).structured_content
        checks = {check["name"]: check for check in output["hooks"]}
        assert output["valid"] is False
        assert checks["good"]["valid"] and checks["good"]["problems"] == [] and checks["good"]["warnings"] == []
        assert checks["missing"]["problems"] == [
            "executable 'no-such-program-xyz' was not found on PATH (" + checks["missing"]["problems"][0].split("(")[1]
        ]
        assert checks["unlisted"]["valid"] and "not in hooks.allowed_commands" in checks["unlisted"]["warnings"][0]
        assert checks["unlisted"]["executable"] == str((ggen_workspace / "tool.sh").resolve())
        assert checks["off"]["warnings"] == ["disabled: it never runs"]
        one = (await client.call_tool("hook_validate", {"name": "good"})).structured_content
        assert one["valid"] and [c["name"] for c in one["hooks"]] == ["good"]
        unknown = await client.call_tool("hook_validate", {"name": "nope"})
        assert unknown.is_error and "no hook named 'nope'" in tool_text(unknown)


@pytest.fixture
def git_workspace(ggen_workspace: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=ggen_workspace, check=True)
    return ggen_workspace


async def test_validate_template_hook_without_template_pack(hooks_host, ggen_client, git_workspace) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        registered = await client.call_tool(
            "hook_register", {"event": "git-post-merge", "template": "templates/missing.tmpl", "name": "regen"}
        )
        assert not registered.is_error and registered.structured_content["will_run"] is False
        output = (await client.call_tool("hook_validate", {})).structured_content
        problems = output["hooks"][0]["problems"]
        assert any("project_gen is not available" in p for p in problems)
        assert any("'templates/missing.tmpl' does not resolve" in p for p in problems)
        ran = await client.call_tool("hook_run", {"name": "regen"})
        assert ran.is_error and "the template pack is not loaded" in tool_text(ran)
        dry = (await client.call_tool("hook_run", {"name": "regen", "dry_run": True})).structured_content
        assert dry["generation"] == {"template": "templates/missing.tmpl", "vars": {}}


def _auth_plugin(scopes: set[str]) -> types.ModuleType:
    module = types.ModuleType("scoped_auth")

    @hookimpl
    def ggen_authenticate(request):
        return Principal(name="agent", scopes=frozenset(scopes))

    module.ggen_authenticate = ggen_authenticate
    return module


async def test_scopes_separate_writing_from_running(ggen_host, ggen_client, ggen_workspace) -> None:
    writer = ggen_host(["hook"], modules={"auth": _auth_plugin({"hook:write"})}, hooks={"allow_commands": True})
    async with ggen_client(writer, mode="legacy") as client:
        assert not (
            await client.call_tool("hook_register", {"event": "post_gen", "command": "true", "name": "t"})
        ).is_error
        denied = await client.call_tool("hook_run", {"name": "t"})
        assert denied.is_error and "needs scopes: hook:run" in tool_text(denied)
    runner = ggen_host(["hook"], modules={"auth": _auth_plugin({"hook:run"})}, hooks={"allow_commands": True})
    async with ggen_client(runner, mode="legacy") as client:
        assert (await client.call_tool("hook_run", {"name": "t"})).structured_content["status"] == "ok"
        denied = await client.call_tool("hook_remove", {"name": "t"})
        assert denied.is_error and "needs scopes: hook:write" in tool_text(denied)
