"""Lifecycle events, pack references through ggen_resolve_template, and sh_before/sh_after commands."""

from __future__ import annotations

import json
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from conftest import call_error, call_ok, write

from ggen_mcp_core import ToolError, hookimpl

pytestmark = pytest.mark.anyio


def listener(events: list[tuple[str, Any]], abort_on: str | None = None) -> types.ModuleType:
    """A fixture plugin recording lifecycle events and raising on one of them."""
    module = types.ModuleType("lifecycle_listener")

    @hookimpl
    def ggen_lifecycle(event: Any, context: Any) -> None:
        events.append((event.name, event.template, list(event.files), dict(event.data)))
        if event.name == abort_on:
            raise ToolError(f"{event.name} refused by the test listener")

    module.ggen_lifecycle = ggen_lifecycle  # type: ignore[attr-defined]
    return module


async def test_gen_emits_pre_and_post_gen(ggen_host, ggen_client, workspace) -> None:
    events: list[tuple[str, Any]] = []
    write(workspace, "templates/e.tmpl", "---\nto: out/e.txt\n---\ne\n")
    host = ggen_host(["template"], modules={"listener": listener(events)})
    async with ggen_client(host, mode="legacy") as client:
        await call_ok(client, "project_gen", {"template": "e", "dry_run": True})
        assert events == []
        await call_ok(client, "project_gen", {"template": "e", "vars": {"k": "v"}})
    names = [e[0] for e in events]
    assert names == ["pre_gen", "post_gen"]
    _name, template, files, data = events[0]
    assert template == "e" and files == ["out/e.txt"]
    assert data["output"] == "." and data["variables"] == {"k": "v"}
    assert data["actions"] == [{"type": "create", "path": "out/e.txt"}]


async def test_pre_gen_listener_aborts_with_no_file_written(ggen_host, ggen_client, workspace) -> None:
    events: list[tuple[str, Any]] = []
    write(workspace, "templates/a/one.tmpl", "---\nto: one.txt\n---\n1\n")
    write(workspace, "templates/a/two.tmpl", "---\nto: two.txt\n---\n2\n")
    host = ggen_host(["template"], modules={"listener": listener(events, abort_on="pre_gen")})
    async with ggen_client(host, mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "templates/a"})
    assert "pre_gen refused by the test listener" in message
    assert not (workspace / "one.txt").exists() and not (workspace / "two.txt").exists()
    assert [e[0] for e in events] == ["pre_gen"]


async def test_apply_emits_pre_and_post_apply_and_post_failure_is_a_warning(ggen_host, ggen_client, workspace) -> None:
    events: list[tuple[str, Any]] = []
    write(workspace, "templates/ap.tmpl", "---\nto: ap.txt\n---\nap\n")
    host = ggen_host(["template"], modules={"listener": listener(events, abort_on="post_apply")})
    async with ggen_client(host, mode="legacy") as client:
        plan = await call_ok(client, "project_plan", {"template": "ap"})
        out = await call_ok(client, "project_apply", {"plan": plan["plan_id"]})
    assert [e[0] for e in events] == ["pre_apply", "post_apply"]
    assert events[0][3]["plan_id"] == plan["plan_id"]
    assert out["files_created"] == ["ap.txt"] and "post_apply refused" in out["warnings"][0]
    assert (workspace / "ap.txt").read_text() == "ap\n"


async def test_pre_apply_abort(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/ap.tmpl", "---\nto: ap.txt\n---\nap\n")
    host = ggen_host(["template"], modules={"listener": listener([], abort_on="pre_apply")})
    async with ggen_client(host, mode="legacy") as client:
        plan = await call_ok(client, "project_plan", {"template": "ap"})
        assert "pre_apply refused" in await call_error(client, "project_apply", {"plan": plan["plan_id"]})
    assert not (workspace / "ap.txt").exists()


def resolver(packs_root: Path) -> types.ModuleType:
    """A fixture plugin resolving ``pack-id:path`` like the market pack does."""
    module = types.ModuleType("pack_resolver")

    @hookimpl
    def ggen_resolve_template(ref: str, workspace: Path) -> Path | None:
        pack, _, path = ref.partition(":")
        candidate = packs_root / pack / "1.0.0" / path
        return candidate if candidate.exists() and ".." not in path else None

    module.ggen_resolve_template = ggen_resolve_template  # type: ignore[attr-defined]
    return module


async def test_pack_references_resolve_through_the_hook(ggen_host, ggen_client, workspace) -> None:
    packs = workspace / ".ggen" / "packs"
    write(
        packs,
        "io.demo.hello/1.0.0/templates/hello.tmpl",
        "---\ndescription: Say hello\ntags: [demo]\nto: hello.txt\nvariables: [{name: who, default: world}]\n"
        "---\n{% include '_part.tmpl' %} {{ who }}\n",
    )
    write(packs, "io.demo.hello/1.0.0/templates/_part.tmpl", "hello")
    write(workspace, "ggen.lock", '[[packs]]\nid = "io.demo.hello"\nversion = "1.0.0"\nsha256 = "00"\n')
    write(workspace, "templates/local.tmpl", "---\ndescription: Local one\n---\nlocal\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "io.demo.hello:templates/hello.tmpl"})
        assert "not found" in message and "pack-id:path" in message
        listed = await call_ok(client, "template_list", {})
        assert [t["name"] for t in listed["templates"]] == ["local"]
    host = ggen_host(["template"], modules={"resolver": resolver(packs)})
    async with ggen_client(host, mode="legacy") as client:
        out = await call_ok(client, "project_gen", {"template": "io.demo.hello:templates/hello.tmpl"})
        assert out["files_created"] == ["hello.txt"]
        out = await call_ok(client, "project_gen", {"template": "io.demo.hello:templates", "output": "dir"})
        assert out["files_created"] == ["dir/hello.txt"]
        listed = await call_ok(client, "template_list", {})
        assert [(t["name"], t["source"]) for t in listed["templates"]] == [
            ("local", "workspace"),
            ("io.demo.hello:templates/hello.tmpl", "io.demo.hello"),
        ]
        pack = listed["templates"][1]
        assert pack["description"] == "Say hello" and pack["tags"] == ["demo"]
        assert pack["variables"][0] == {
            "name": "who",
            "type": "string",
            "description": None,
            "required": False,
            "default": "world",
            "declared": True,
        }
        assert [t["name"] for t in (await call_ok(client, "template_list", {"tag": "demo"}))["templates"]] == [
            "io.demo.hello:templates/hello.tmpl"
        ]
        assert (await call_ok(client, "template_list", {"include_packs": False}))["count"] == 1
    assert (workspace / "hello.txt").read_text() == "hello world\n"


MARKER = "import json, os, sys; open(sys.argv[1], 'a').write(json.dumps(dict(os.environ)) + '\\n')"


async def test_shell_commands_refused_unless_allowed(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/sh.tmpl", '---\nto: sh.txt\nsh_after: "touch marker"\n---\nx\n')
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "sh"})
        assert "template.allow_shell" in message
        dry = await call_ok(client, "project_gen", {"template": "sh", "dry_run": True})
        assert "is refused (template.allow_shell is off)" in dry["warnings"][0]
    assert not (workspace / "sh.txt").exists() and not (workspace / "marker").exists()


async def test_shell_commands_run_without_a_shell_with_scrubbed_env(
    ggen_host, ggen_client, workspace, monkeypatch
) -> None:
    monkeypatch.setenv("GGEN_TEST_SECRET", "s3cret")
    before = json.dumps([sys.executable, "-c", MARKER, "before.log"])
    after = json.dumps([sys.executable, "-c", MARKER, "after.log; rm -rf ~"])
    write(workspace, "templates/ok.tmpl", f"---\nto: ok.txt\nsh_before: {before}\nsh_after: {after}\n---\nok\n")
    host = ggen_host(["template"], template={"allow_shell": True})
    async with ggen_client(host, mode="legacy") as client:
        out = await call_ok(client, "project_gen", {"template": "ok"})
    assert out["files_created"] == ["ok.txt"] and out["warnings"] == []
    env = json.loads((workspace / "before.log").read_text())
    assert "GGEN_TEST_SECRET" not in env and env["GGEN_TEMPLATE"] == "templates/ok.tmpl"
    assert env["GGEN_FILE"] == "ok.txt" and set(env) <= {
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "GGEN_TEMPLATE",
        "GGEN_FILE",
        "GGEN_OUTPUT",
        "LC_CTYPE",
    }
    assert (workspace / "after.log; rm -rf ~").exists()  # the metacharacters were one plain argument


async def test_shell_failure_and_timeout(ggen_host, ggen_client, workspace) -> None:
    fail = json.dumps([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    slow = json.dumps([sys.executable, "-c", "import time; time.sleep(30)"])
    write(workspace, "templates/fail.tmpl", f"---\nto: fail.txt\nsh_before: {fail}\n---\nx\n")
    write(workspace, "templates/slow.tmpl", f"---\nto: slow.txt\nsh_before: {slow}\n---\nx\n")
    write(workspace, "templates/late.tmpl", f"---\nto: late.txt\nsh_after: {fail}\n---\nx\n")
    host = ggen_host(["template"], template={"allow_shell": True, "shell_timeout": 0.5})
    async with ggen_client(host, mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "fail"})
        assert "exited with 3: boom" in message and "nothing was written" in message
        started = time.monotonic()
        assert "ran past 0.5 s" in await call_error(client, "project_gen", {"template": "slow"})
        assert time.monotonic() - started < 10
        out = await call_ok(client, "project_gen", {"template": "late"})
        assert "exited with 3" in out["warnings"][0]
    assert not (workspace / "fail.txt").exists() and not (workspace / "slow.txt").exists()
    assert (workspace / "late.txt").exists()


async def test_with_the_hook_pack(ggen_host, ggen_client, workspace) -> None:
    """The hook pack listens: a failing pre_gen hook aborts with no file, a failing post_gen hook warns."""
    write(workspace, "templates/h.tmpl", "---\nto: h.txt\n---\nh\n")
    fail = f'{sys.executable} -c "import sys; sys.exit(4)"'
    files_log = f"{sys.executable} -c \"import os, shutil; shutil.copy(os.environ['GGEN_FILES'], 'files.json')\""
    host = ggen_host(["template", "hook"], hooks={"allow_commands": True, "allowed_commands": ["*"]})
    async with ggen_client(host, mode="legacy") as client:
        await call_ok(client, "hook_register", {"event": "pre_gen", "command": fail, "name": "guard"})
        message = await call_error(client, "project_gen", {"template": "h"})
        assert "guard" in message and not (workspace / "h.txt").exists()
        await call_ok(client, "hook_remove", {"name": "guard"})
        await call_ok(client, "hook_register", {"event": "post_gen", "command": fail, "name": "after"})
        await call_ok(client, "hook_register", {"event": "post_gen", "command": files_log, "name": "record"})
        out = await call_ok(client, "project_gen", {"template": "h"})
    assert out["files_created"] == ["h.txt"]
    assert any("after" in w for w in out["warnings"]), out["warnings"]
    assert "h.txt" in (workspace / "files.json").read_text()


PACK = "io.ggen.typescript.interfaces"


async def test_with_the_market_pack(ggen_host, ggen_client, workspace) -> None:
    """A pack installed by the real market pack is listed and generates through its `pack-id:path`."""
    host = ggen_host(["template", "market"])
    async with ggen_client(host, mode="legacy") as client:
        await call_ok(client, "market_install", {"package": PACK})
        listed = await call_ok(client, "template_list", {})
        refs = [t["name"] for t in listed["templates"] if t["source"] == PACK]
        assert refs and all(ref.startswith(f"{PACK}:") for ref in refs)
        shown = await call_ok(client, "template_show", {"template": refs[0]})
        assert shown["path"].startswith(f".ggen/packs/{PACK}/")
        report = await call_ok(client, "template_validate", {"template": refs[0]})
        assert report["valid"], report["errors"]
        message = await call_error(client, "template_show", {"template": f"{PACK}:../../../../etc/passwd"})
        assert "not found" in message
