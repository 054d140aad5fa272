"""With the template pack: hooks around a real project_gen, and regeneration from a real git merge."""

from __future__ import annotations

import shlex
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import PYTHON, python_command
from test_git_hooks import _git_env, git

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

RUFF = Path(sys.executable).with_name("ruff")
UGLY_TEMPLATE = """\
---
to: out/{{ name }}.py
---
def greet( who ):
    return   'hello ' + who
"""


@pytest.fixture
def template(ggen_workspace: Path) -> str:
    path = ggen_workspace / "templates/hello.tmpl"
    path.parent.mkdir()
    path.write_text(UGLY_TEMPLATE)
    return "templates/hello.tmpl"


async def call_ok(client, tool, arguments):
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def test_register_generate_list_run_remove(hooks_host, ggen_client, ggen_workspace, template) -> None:
    """The issue's flow: register -> project_gen runs the hook -> list -> run -> remove."""
    host = hooks_host(plugins=("hook", "template"))
    generated = ggen_workspace / "out/world.py"
    async with ggen_client(host, mode="auto") as client:
        fmt = f"{shlex.quote(str(RUFF))} format --no-cache --quiet out"
        registered = await call_ok(client, "hook_register", {"event": "post_gen", "command": fmt, "name": "fmt"})
        assert registered["will_run"] is True
        seen = python_command(
            "import json, os; open('pre.log', 'w').write(os.environ['GGEN_TEMPLATE'] + ' ' + "
            "' '.join(json.load(open(os.environ['GGEN_FILES']))))"
        )
        await call_ok(
            client, "hook_register", {"event": "pre_gen", "command": seen, "name": "log", "match": "templates/*"}
        )

        result = await call_ok(client, "project_gen", {"template": template, "vars": {"name": "world"}})
        assert result["files_created"] == ["out/world.py"] and result["warnings"] == []
        assert generated.read_text() == 'def greet(who):\n    return "hello " + who\n', "ruff formatted it"
        assert (ggen_workspace / "pre.log").read_text() == "templates/hello.tmpl out/world.py"

        listed = await call_ok(client, "hook_list", {})
        assert [hook["name"] for hook in listed["hooks"]] == ["fmt", "log"]

        generated.write_text("x  =  1\n")
        ran = await call_ok(client, "hook_run", {"name": "fmt"})
        assert ran["status"] == "ok" and generated.read_text() == "x = 1\n"

        for name in ("fmt", "log"):
            await call_ok(client, "hook_remove", {"name": name})
        assert (await call_ok(client, "hook_list", {}))["count"] == 0


async def test_pre_gen_failure_aborts_with_no_file_written(hooks_host, ggen_client, ggen_workspace, template) -> None:
    host = hooks_host(plugins=("hook", "template"))
    guard = python_command("import sys; sys.stderr.write('schema check failed: 2 errors\\n'); sys.exit(7)")
    async with ggen_client(host, mode="legacy") as client:
        await call_ok(client, "hook_register", {"event": "pre_gen", "command": guard, "name": "guard"})
        result = await client.call_tool("project_gen", {"template": template, "vars": {"name": "world"}})
    assert result.is_error
    message = tool_text(result)
    assert "hook 'guard'" in message and "exited with 7" in message and "schema check failed: 2 errors" in message
    assert not (ggen_workspace / "out").exists()


async def test_failing_post_gen_is_a_warning_in_the_result(hooks_host, ggen_client, ggen_workspace, template) -> None:
    host = hooks_host(plugins=("hook", "template"))
    failing = python_command("import sys; sys.stderr.write('tests failed\\n'); sys.exit(1)")
    async with ggen_client(host, mode="legacy") as client:
        await call_ok(client, "hook_register", {"event": "post_gen", "command": failing, "name": "tests"})
        result = await call_ok(client, "project_gen", {"template": template, "vars": {"name": "w"}})
    assert result["files_created"] == ["out/w.py"]
    assert any("hook 'tests'" in w and "exited with 1" in w and "tests failed" in w for w in result["warnings"])


async def test_commands_disallowed_refuse_and_generate_nothing(
    hooks_host, ggen_client, ggen_workspace, template
) -> None:
    host = hooks_host(allow=False, plugins=("hook", "template"))
    async with ggen_client(host, mode="legacy") as client:
        registered = await call_ok(client, "hook_register", {"event": "pre_gen", "command": "true", "name": "check"})
        assert registered["status"] == "registered" and registered["will_run"] is False
        run = await client.call_tool("hook_run", {"name": "check"})
        assert run.is_error and "hooks.allow_commands" in tool_text(run)
        generated = await client.call_tool("project_gen", {"template": template, "vars": {"name": "w"}})
        assert generated.is_error and "GGEN_MCP_HOOKS__ALLOW_COMMANDS=true" in tool_text(generated)
    assert not (ggen_workspace / "out").exists()


@pytest.mark.slow
async def test_git_post_merge_regenerates(hooks_host, ggen_client, ggen_workspace, template) -> None:
    repo = ggen_workspace
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".ggen/\nout/\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    host = hooks_host(plugins=("hook", "template"))
    async with ggen_client(host, mode="legacy") as client:
        arguments = {"event": "git-post-merge", "template": template, "vars": {"name": "merged"}, "name": "regen"}
        registered = await call_ok(client, "hook_register", arguments)
        assert registered["git_hook"] == ".git/hooks/post-merge" and registered["will_run"] is True
        dry = await call_ok(client, "hook_run", {"name": "regen", "dry_run": True})
        assert dry["generation"] == {"template": template, "vars": {"name": "merged"}}
        validated = await call_ok(client, "hook_validate", {"name": "regen"})
        assert validated["valid"] and validated["hooks"][0]["problems"] == [], validated
        assert not (repo / "out").exists()

    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "templates/hello.tmpl").write_text(UGLY_TEMPLATE.replace("hello ", "hi "))
    git(repo, "commit", "-q", "-am", "change the template")
    git(repo, "checkout", "-q", "main")
    merged = git(repo, "merge", "-q", "feature", env=_git_env(GGEN_MCP_LOAD_PLUGINS="hook,template"))
    assert merged.returncode == 0, merged.stderr
    assert "'hi ' + who" in (repo / "out/merged.py").read_text(), merged.stdout + merged.stderr


def test_examples_in_docs_use_real_tool_names() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs/hooks.md"
    text = docs.read_text()
    for tool in ("hook_register", "hook_list", "hook_remove", "hook_run", "hook_validate"):
        assert f"### `{tool}`" in text, tool
    for setting in ("allow_commands", "allowed_commands", "default_timeout", "max_output_bytes", "pass_env"):
        assert setting in text, setting
    assert textwrap.dedent(UGLY_TEMPLATE) and PYTHON
