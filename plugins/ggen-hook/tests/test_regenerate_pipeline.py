"""A hook-started project_gen goes through the host's call pipeline: it leaves an audit line naming the
original principal and the hook_run call that started it."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.builtins.audit import LOGGER_NAME
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
TEMPLATE = "---\nto: out/{{ name }}.txt\n---\nhello {{ name }}\n"


@pytest.fixture
def repo(ggen_workspace: Path) -> Path:
    """The workspace as a git repository with a template in it."""
    subprocess.run(["git", "init", "-q"], cwd=ggen_workspace, check=True)
    (ggen_workspace / "templates").mkdir()
    (ggen_workspace / "templates/hello.tmpl").write_text(TEMPLATE)
    return ggen_workspace


async def test_a_hook_started_project_gen_leaves_an_audit_line(
    hooks_host: Any, ggen_client: Any, repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ggen_workspace = repo
    host = hooks_host(plugins=("hook", "template"))
    arguments = {"event": "git-post-merge", "template": "templates/hello.tmpl", "vars": {"name": "w"}, "name": "regen"}
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        async with ggen_client(host, mode="legacy") as client:
            registered = await client.call_tool("hook_register", arguments)
            assert not registered.is_error, tool_text(registered)
            ran = await client.call_tool("hook_run", {"name": "regen"})
    assert not ran.is_error, tool_text(ran)
    assert ran.structured_content["generation"]["files_created"] == ["out/w.txt"]
    assert (ggen_workspace / "out/w.txt").read_text() == "hello w\n"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]
    hook_run = next(line for line in lines if line["tool"] == "hook_run")
    generated = [line for line in lines if line["tool"] == "project_gen"]
    assert len(generated) == 1, lines
    assert generated[0]["outcome"] == "ok" and generated[0]["plugin"] == "template"
    assert generated[0]["principal"] == hook_run["principal"] == "local"
    assert generated[0]["parent_call_id"] == hook_run["call_id"]
    assert generated[0]["request_id"] == hook_run["request_id"]
