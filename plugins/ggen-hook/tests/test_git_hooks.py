"""Git hooks: blocks in a real repository's .git/hooks that fire on a real `git commit`."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import marker_command, seen

from ggen_mcp_core.testing import make_host, tool_text

pytestmark = pytest.mark.anyio

USER_HOOK = "#!/bin/sh\n# the user's own pre-commit check\necho user-hook-ran >> user.log\n"


def git(workspace: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=workspace, env=env or _git_env(), capture_output=True, text=True, timeout=60
    )


def shell_words(line: str) -> list[str]:
    """How sh splits ``line`` into words (each printed on its own line)."""
    printed = subprocess.run(["sh", "-c", f"printf '%s\\n' {line}"], capture_output=True, text=True, check=True)
    return printed.stdout.splitlines()


def _git_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GGEN_MCP_", "GIT_"))}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=env.get("HOME", "/tmp"),
        GGEN_MCP_LOAD_PLUGINS="hook",
    )
    env.update(extra)
    return env


@pytest.fixture
def repo(ggen_workspace: Path) -> Path:
    assert git(ggen_workspace, "init", "-q").returncode == 0
    (ggen_workspace / ".gitignore").write_text(".ggen/\n*.json\nuser.log\n")
    return ggen_workspace


@pytest.mark.slow
async def test_pre_commit_hook_fires_on_git_commit_and_can_block_it(
    hooks_host, ggen_client, repo, marker_script
) -> None:
    script = repo / ".git/hooks/pre-commit"
    script.write_text(USER_HOOK)
    script.chmod(0o755)
    async with ggen_client(hooks_host(), mode="legacy") as client:
        result = await client.call_tool(
            "hook_register", {"event": "git-pre-commit", "command": marker_command("commit"), "name": "gate"}
        )
        assert not result.is_error, tool_text(result)
        assert result.structured_content["git_hook"] == ".git/hooks/pre-commit"
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n# >>> ggen-mcp hook gate >>>\n")
    assert text.endswith("# the user's own pre-commit check\necho user-hook-ran >> user.log\n")
    assert stat.S_IMODE(script.stat().st_mode) & 0o111

    allowed = _git_env(GGEN_MCP_HOOKS__ALLOW_COMMANDS="true", GGEN_MCP_HOOKS__PASS_ENV="EXIT_WITH")
    git(repo, "add", "marker.py", ".gitignore")
    committed = git(repo, "commit", "-q", "-m", "first", env=allowed)
    assert committed.returncode == 0, committed.stderr
    recorded = seen(repo, "commit")
    assert recorded["env"]["GGEN_EVENT"] == "git-pre-commit" and recorded["env"]["GGEN_HOOK"] == "gate"
    assert recorded["env"].get("GIT_INDEX_FILE"), "git's own variables reach git-event hooks"
    assert (repo / "user.log").read_text() == "user-hook-ran\n"
    head = git(repo, "rev-parse", "HEAD").stdout

    (repo / "second.txt").write_text("x")
    git(repo, "add", "second.txt")
    blocked = git(repo, "commit", "-q", "-m", "second", env={**allowed, "EXIT_WITH": "5"})
    assert blocked.returncode != 0
    assert "hook 'gate'" in blocked.stdout + blocked.stderr and "exited with 5" in blocked.stdout + blocked.stderr
    assert git(repo, "rev-parse", "HEAD").stdout == head, "the failing hook must block the commit"
    assert (repo / "user.log").read_text() == "user-hook-ran\n", "our block runs first and stops the script"


async def test_remove_takes_out_only_our_block(hooks_host, ggen_client, repo) -> None:
    script = repo / ".git/hooks/post-merge"
    script.write_text(USER_HOOK)
    script.chmod(0o750)
    async with ggen_client(hooks_host(), mode="legacy") as client:
        for name in ("one", "two"):
            result = await client.call_tool(
                "hook_register", {"event": "git-post-merge", "command": "true", "name": name}
            )
            assert not result.is_error, tool_text(result)
        text = script.read_text()
        assert text.index(">>> ggen-mcp hook one") < text.index(">>> ggen-mcp hook two") < text.index("user's own")
        removed = await client.call_tool("hook_remove", {"name": "one"})
        assert removed.structured_content["git_hook"] == ".git/hooks/post-merge"
        assert "hook one" not in script.read_text() and "hook two" in script.read_text()
        await client.call_tool("hook_remove", {"name": "two"})
    assert script.read_text() == USER_HOOK
    assert stat.S_IMODE(script.stat().st_mode) == 0o755, "kept, plus executable for all"


async def test_created_script_is_deleted_when_its_last_block_goes(hooks_host, ggen_client, repo) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await client.call_tool("hook_register", {"event": "git-post-checkout", "command": "true", "name": "co"})
        script = repo / ".git/hooks/post-checkout"
        assert script.read_text().startswith("#!/bin/sh\n# >>> ggen-mcp hook co >>>")
        assert os.access(script, os.X_OK)
        validated = (await client.call_tool("hook_validate", {"name": "co"})).structured_content
        assert validated["valid"], validated
        await client.call_tool("hook_remove", {"name": "co"})
    assert not script.exists()


async def test_the_block_quotes_everything(hooks_host, ggen_client, tmp_path) -> None:
    workspace = tmp_path / "it's a $(dir)"
    workspace.mkdir()
    git(workspace, "init", "-q")
    host = make_host(workspace, ["hook"], hooks={"allow_commands": True})
    async with ggen_client(host, mode="legacy") as client:
        result = await client.call_tool("hook_register", {"event": "git-post-merge", "command": "true", "name": "q"})
        assert not result.is_error, tool_text(result)
    text = (workspace / ".git/hooks/post-merge").read_text()
    line = next(line for line in text.splitlines() if "hook_run" in line)
    words = shell_words(line.removesuffix(" || exit $?"))
    assert str(workspace) in words and '{"name":"q","check":true}' in words


async def test_refuses_non_shell_scripts_and_non_repositories(hooks_host, ggen_client, ggen_workspace) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        result = await client.call_tool("hook_register", {"event": "git-pre-commit", "command": "true"})
        assert result.is_error and "run `git init` there first" in tool_text(result)
        git(ggen_workspace, "init", "-q")
        script = ggen_workspace / ".git/hooks/pre-commit"
        script.write_text("#!/usr/bin/env python3\nprint('mine')\n")
        result = await client.call_tool("hook_register", {"event": "git-pre-commit", "command": "true"})
        assert result.is_error and "is not a POSIX shell script" in tool_text(result)
        assert script.read_text() == "#!/usr/bin/env python3\nprint('mine')\n"
        assert (await client.call_tool("hook_list", {})).structured_content["count"] == 0


async def test_symlinked_git_hook_outside_the_workspace_is_refused(hooks_host, ggen_client, repo, tmp_path) -> None:
    outside = tmp_path / "outside-hook"
    outside.write_text("#!/bin/sh\n")
    (repo / ".git/hooks/pre-commit").symlink_to(outside)
    async with ggen_client(hooks_host(), mode="legacy") as client:
        result = await client.call_tool("hook_register", {"event": "git-pre-commit", "command": "true"})
        assert result.is_error and "outside the workspace" in tool_text(result)
    assert outside.read_text() == "#!/bin/sh\n"


async def test_broken_block_is_reported_not_mangled(hooks_host, ggen_client, repo) -> None:
    async with ggen_client(hooks_host(), mode="legacy") as client:
        await client.call_tool("hook_register", {"event": "git-post-merge", "command": "true", "name": "b"})
        script = repo / ".git/hooks/post-merge"
        damaged = script.read_text().replace("# <<< ggen-mcp hook b <<<\n", "")
        script.write_text(damaged)
        result = await client.call_tool("hook_remove", {"name": "b"})
        assert result.is_error and "fix the file by hand" in tool_text(result)
        assert script.read_text() == damaged
        validated = (await client.call_tool("hook_validate", {})).structured_content
        assert not validated["valid"] and "block is damaged" in validated["hooks"][0]["problems"][0]
