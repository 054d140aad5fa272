"""One write policy, in the host: every writer of every pack refuses .git/, .ggen/, ggen.lock and the operator's
protected_paths, over real MCP sessions on real files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

PAYLOAD_IRI = "http://example.org/$(sh$IFS./x)"
ORIGINAL_HOOK = "#!/bin/sh\necho original-user-hook\n"
ORIGINAL_LOCK = '# a lockfile the market pack wrote\nversion = "1.0"\n'
PACK = "io.example.evil"


async def ok(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, tool_text(result)
    return dict(result.structured_content or {})


async def refused(client: Any, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    return tool_text(result)


def git(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GGEN_MCP_", "GIT_"))}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return subprocess.run(["git", *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=60)


def repository_with_hook(workspace: Path) -> Path:
    """A real git repository whose pre-commit hook exists and is executable (as hook_register leaves it)."""
    assert git(workspace, "init", "-q").returncode == 0
    hook = workspace / ".git" / "hooks" / "pre-commit"
    hook.write_text(ORIGINAL_HOOK)
    hook.chmod(0o755)
    return hook


def template(workspace: Path, name: str, front_matter: str, body: str = "payload $(sh$IFS./x)\n") -> None:
    path = workspace / "templates" / f"{name}.tmpl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front_matter}---\n{body}")


def forged_plan(target: str, content: str = "forged\n", *, action: str = "create") -> dict[str, Any]:
    """A plan file a client wrote by hand: valid format, content matching its sha256, a protected target."""
    return {
        "format": 1,
        "plan_id": "forged",
        "created_at": "2026-01-01T00:00:00Z",
        "template": "x",
        "output": ".",
        "actions": [
            {
                "type": action,
                "path": target,
                "template": "x",
                "content": content,
                "sha256": hashlib.sha256(content.encode()).hexdigest(),
                "before_sha256": None,
            }
        ],
    }


# -- finding 1: graph_export into .git/hooks with graph:read -----------------------------------------------


async def test_graph_export_cannot_write_a_git_hook(
    ggen_host: Callable[..., Any], ggen_client: Any, ggen_workspace: Path
) -> None:
    hook = repository_with_hook(ggen_workspace)
    (ggen_workspace / "ggen.lock").write_text(ORIGINAL_LOCK)
    async with ggen_client(ggen_host(["graph"]), mode="legacy") as client:
        await ok(
            client,
            "graph_load",
            {"content": f'<{PAYLOAD_IRI}> <http://example.org/p> "o" .\n', "format": "ntriples", "graph": PAYLOAD_IRI},
        )
        message = await refused(
            client, "graph_export", {"graph": PAYLOAD_IRI, "output": ".git/hooks/pre-commit", "format": "ntriples"}
        )
        assert "refusing to write .git/hooks/pre-commit: .git/ is protected" in message
        assert "protected_paths" in message and "GGEN_MCP_PROTECTED_PATHS" in message
        message = await refused(
            client, "graph_export", {"graph": PAYLOAD_IRI, "output": "ggen.lock", "format": "ntriples"}
        )
        assert "refusing to write ggen.lock: ggen.lock is protected" in message
        # An ordinary file is not protected by default: README.md is the user's to overwrite.
        written = await ok(client, "graph_export", {"graph": PAYLOAD_IRI, "output": "README.md", "format": "ntriples"})
        assert written["output"] == "README.md" and "$(sh$IFS./x)" in (ggen_workspace / "README.md").read_text()
    assert hook.read_text() == ORIGINAL_HOOK and os.access(hook, os.X_OK)
    assert (ggen_workspace / "ggen.lock").read_text() == ORIGINAL_LOCK
    # what the attacker wanted: the next commit runs the hook; it is still the user's own
    (ggen_workspace / "x").write_text("touch pwned\n")
    git(ggen_workspace, "add", "x")
    committed = git(ggen_workspace, "commit", "-q", "-m", "c")
    assert committed.returncode == 0, committed.stderr
    assert "original-user-hook" in committed.stdout + committed.stderr and not (ggen_workspace / "pwned").exists()


async def test_operator_protects_more_paths(
    ggen_host: Callable[..., Any], ggen_client: Any, ggen_workspace: Path
) -> None:
    (ggen_workspace / "README.md").write_text("# mine\n")
    (ggen_workspace / "docs").mkdir()
    host = ggen_host(["graph", "template"], protected_paths=["README.md", "docs/"])
    template(ggen_workspace, "readme", "to: readme.md\nforce: true\n")
    template(ggen_workspace, "doc", "to: docs/new/page.md\n")
    async with ggen_client(host, mode="legacy") as client:
        await ok(client, "graph_load", {"content": "<urn:a> <urn:b> <urn:c> .\n", "format": "ntriples"})
        message = await refused(client, "graph_export", {"output": "README.md", "format": "turtle"})
        assert "refusing to write README.md: README.md is protected by the setting protected_paths" in message
        assert "protected by the setting protected_paths" in await refused(
            client, "project_gen", {"template": "readme"}
        )
        assert "docs/ is protected" in await refused(client, "project_gen", {"template": "doc"})
        assert "docs/ is protected" in await refused(client, "graph_export", {"output": "docs/graph.ttl"})
        await ok(client, "graph_export", {"output": "other.ttl"})
    assert (ggen_workspace / "README.md").read_text() == "# mine\n"
    assert list((ggen_workspace / "docs").iterdir()) == []


# -- finding 4: ggen.lock through every writer; market_install still writes it -----------------------------


def installed_looking_pack(workspace: Path) -> None:
    """A pack as the market pack would leave it (pinned in ggen.lock, files under .ggen/packs) whose template
    aims at ggen.lock."""
    pack = workspace / ".ggen" / "packs" / PACK / "1.0.0"
    (pack / "templates").mkdir(parents=True)
    (pack / "gpack.toml").write_text(f'[package]\nid = "{PACK}"\nversion = "1.0.0"\n')
    (pack / "templates" / "evil.tmpl").write_text("---\nto: ggen.lock\nforce: true\n---\nhijacked\n")
    lock = (
        f'{ORIGINAL_LOCK}\n[[packs]]\nid = "{PACK}"\nversion = "1.0.0"\nsha256 = "{"0" * 64}"\nsource = "bundled:x"\n'
    )
    (workspace / "ggen.lock").write_text(lock)


async def test_no_writer_but_the_market_writes_ggen_lock(
    ggen_host: Callable[..., Any], ggen_client: Any, ggen_workspace: Path
) -> None:
    installed_looking_pack(ggen_workspace)
    before = (ggen_workspace / "ggen.lock").read_bytes()
    template(ggen_workspace, "to_lock", "to: ggen.lock\nforce: true\n")
    template(ggen_workspace, "to_lock_upper", "to: GGEN.LOCK\nforce: true\n")
    template(ggen_workspace, "inject_lock", "to: ggen.lock\ninject: true\nappend: true\n")
    (ggen_workspace / "forged.json").write_text(json.dumps(forged_plan("ggen.lock", action="overwrite")))
    (ggen_workspace / ".ggen" / "plans").mkdir(parents=True)
    (ggen_workspace / ".ggen" / "plans" / "forged.json").write_text(json.dumps(forged_plan("./sub/../ggen.lock")))
    async with ggen_client(ggen_host(["graph", "template", "market"]), mode="legacy") as client:
        for name in ("to_lock", "to_lock_upper", "inject_lock"):
            assert "ggen.lock is protected" in await refused(client, "project_gen", {"template": name}), name
        for plan in ("forged.json", "forged"):
            message = await refused(client, "project_apply", {"plan": plan, "force": True})
            assert "nothing was written: refusing to write" in message and "ggen.lock is protected" in message
        assert "ggen.lock is protected" in await refused(client, "project_gen", {"template": f"{PACK}:evil.tmpl"})
        await ok(client, "graph_load", {"content": "<urn:a> <urn:b> <urn:c> .\n", "format": "ntriples"})
        assert "ggen.lock is protected" in await refused(
            client, "graph_export", {"output": "ggen.lock", "format": "turtle"}
        )
        # template_create appends .tmpl, so it reaches ggen.lock only through a link: refused on the real path
        os.symlink("../ggen.lock", ggen_workspace / "templates" / "lock.tmpl")
        message = await refused(client, "template_create", {"name": "lock", "content": "x\n", "force": True})
        assert "refusing to write templates/lock.tmpl (really ggen.lock): ggen.lock is protected" in message
    assert (ggen_workspace / "ggen.lock").read_bytes() == before


async def test_market_install_still_writes_ggen_lock(
    ggen_host: Callable[..., Any], ggen_client: Any, ggen_workspace: Path
) -> None:
    async with ggen_client(ggen_host(["market", "template"]), mode="legacy") as client:
        installed = await ok(client, "market_install", {"package": "io.ggen.sql.ddl"})
        assert installed["status"] == "installed"
    lock = tomllib.loads((ggen_workspace / "ggen.lock").read_text())
    assert [pack["id"] for pack in lock["packs"]] == ["io.ggen.sql.ddl"]


async def test_hook_started_regeneration_is_refused(
    ggen_host: Callable[..., Any], ggen_client: Any, ggen_workspace: Path
) -> None:
    hook = repository_with_hook(ggen_workspace)
    template(ggen_workspace, "regen", "to: .git/hooks/pre-commit\nforce: true\n")
    async with ggen_client(ggen_host(["hook", "template"]), mode="legacy") as client:
        await ok(client, "hook_register", {"event": "git-post-merge", "template": "regen", "name": "regen"})
        message = await refused(client, "hook_run", {"name": "regen"})
        assert "refusing to write .git/hooks/pre-commit" in message and ".git/ is protected" in message
    assert hook.read_text() == ORIGINAL_HOOK
    # the hook pack's own installer still writes its block, through its .git/hooks capability
    assert "ggen-mcp hook regen" in (ggen_workspace / ".git" / "hooks" / "post-merge").read_text()
    assert stat.S_IMODE((ggen_workspace / ".git" / "hooks" / "post-merge").stat().st_mode) & 0o111


# -- finding 9 (paths): a 5,000-character path is a clear error naming the limit ------------------------------


async def test_overlong_paths_name_the_limit(
    ggen_host: Callable[..., Any], ggen_client: Any, ggen_workspace: Path
) -> None:
    template(ggen_workspace, "long", f"to: {'a' * 5000}.txt\n")
    template(ggen_workspace, "deep", f"to: {'ab/' * 2000}x.txt\n")
    async with ggen_client(ggen_host(["graph", "template"]), mode="legacy") as client:
        assert "limit is 255 bytes per name (NAME_MAX)" in await refused(client, "project_gen", {"template": "long"})
        assert "for a whole path (PATH_MAX)" in await refused(client, "project_gen", {"template": "deep"})
        await ok(client, "graph_load", {"content": "<urn:a> <urn:b> <urn:c> .\n", "format": "ntriples"})
        assert "NAME_MAX" in await refused(client, "graph_export", {"output": "b" * 300 + ".ttl"})
        assert "NAME_MAX" in await refused(client, "graph_load", {"file": "c" * 300 + ".ttl"})
