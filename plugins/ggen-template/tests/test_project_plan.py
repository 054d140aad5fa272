"""project_plan, project_apply and project_diff."""

from __future__ import annotations

import json

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio


async def test_plan_then_apply_writes_exactly_the_plan(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/p/a.tmpl", "---\nto: a.txt\n---\n{{ v }} {{ random() }}\n")
    write(workspace, "templates/p/b.tmpl", "---\nto: b.txt\ninject: true\nprepend: true\n---\nhead\n")
    write(workspace, "templates/p/c.tmpl", "---\nto: c.txt\nunless_exists: true\n---\nc\n")
    write(workspace, "b.txt", "body\n")
    write(workspace, "c.txt", "mine\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        plan = await call_ok(client, "project_plan", {"template": "templates/p", "vars": {"v": 1}})
        assert plan["estimated_files"] == 2
        kinds = [(a["type"], a["path"]) for a in plan["actions"]]
        assert kinds == [("create", "a.txt"), ("inject", "b.txt"), ("skip", "c.txt")]
        assert plan["actions"][1]["preview"] == "head\n" and plan["actions"][2]["reason"] == "exists (unless_exists)"
        assert not (workspace / "a.txt").exists()
        saved = json.loads((workspace / plan["plan_path"]).read_text())
        planned_a = saved["actions"][0]["content"]
        out = await call_ok(client, "project_apply", {"plan": plan["plan_id"]})
        assert out["files_created"] == ["a.txt"] and out["files_injected"] == ["b.txt"]
        assert out["files_skipped"] == ["c.txt"] and out["plan_id"] == plan["plan_id"]
        assert (workspace / "a.txt").read_text() == planned_a  # the planned random number, not a new one
        assert (workspace / "b.txt").read_text() == "head\nbody\n"


async def test_apply_refuses_changed_targets_unless_forced(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/q/x.tmpl", "---\nto: x.txt\nforce: true\n---\nnew x\n")
    write(workspace, "templates/q/y.tmpl", "---\nto: y.txt\n---\nnew y\n")
    write(workspace, "x.txt", "old x\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        plan = await call_ok(client, "project_plan", {"template": "templates/q"})
        write(workspace, "x.txt", "edited meanwhile\n")
        write(workspace, "y.txt", "appeared meanwhile\n")
        message = await call_error(client, "project_apply", {"plan": plan["plan_id"]})
        assert "changed since the plan was made: x.txt, y.txt" in message
        assert (workspace / "x.txt").read_text() == "edited meanwhile\n"
        out = await call_ok(client, "project_apply", {"plan": plan["plan_path"], "force": True})
        assert sorted(out["files_created"] + out["files_modified"]) == ["x.txt", "y.txt"]
        assert (workspace / "x.txt").read_text() == "new x\n"


async def test_tampered_missing_and_hostile_plans(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/t.tmpl", "---\nto: t.txt\n---\nsafe\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        plan = await call_ok(client, "project_plan", {"template": "t"})
        path = workspace / plan["plan_path"]
        data = json.loads(path.read_text())
        data["actions"][0]["content"] = "evil\n"
        (workspace / "tampered.json").write_text(json.dumps(data))
        assert "does not match its sha256" in await call_error(client, "project_apply", {"plan": "tampered.json"})
        data["actions"][0]["path"] = "../../escaped.txt"
        data["actions"][0]["content"] = "safe\n"
        (workspace / "escape.json").write_text(json.dumps(data))
        assert "outside the workspace" in await call_error(client, "project_apply", {"plan": "escape.json"})
        data["actions"][0]["path"] = ".git/hooks/pre-commit"
        (workspace / "git.json").write_text(json.dumps(data))
        assert ".git/" in await call_error(client, "project_apply", {"plan": "git.json"})
        assert "not found" in await call_error(client, "project_apply", {"plan": "nope"})
        (workspace / "junk.json").write_text("{not json")
        assert "not a valid plan" in await call_error(client, "project_apply", {"plan": "junk.json"})
    assert not (workspace / "t.txt").exists() and not (workspace / ".git").exists()


async def test_diff(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/d/a.tmpl", "---\nto: a.txt\n---\nline1\nline2 {{ v }}\n")
    write(workspace, "templates/d/b.tmpl", "---\nto: b.txt\n---\nb\n")
    write(workspace, "templates/d/c.tmpl", "---\nto: c.txt\ninject: true\nappend: true\n---\nmore\n")
    write(workspace, "c.txt", "base\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await call_ok(client, "project_diff", {"template": "templates/d", "vars": {"v": 1}})
        status = {f["path"]: f["status"] for f in out["files"]}
        assert status == {"a.txt": "added", "b.txt": "added", "c.txt": "injected"} and out["differences"]
        assert "+++ b/a.txt" in out["files"][0]["diff"] and "--- /dev/null" in out["files"][0]["diff"]
        await call_ok(client, "project_gen", {"template": "templates/d", "vars": {"v": 1}})
        out = await call_ok(client, "project_diff", {"template": "templates/d", "vars": {"v": 2}})
        files = {f["path"]: f for f in out["files"]}
        assert files["a.txt"]["status"] == "modified" and "-line2 1\n+line2 2\n" in files["a.txt"]["diff"]
        assert files["b.txt"]["status"] == "unchanged" and out["message"] == "2 of 3 files differ"
        (workspace / "c.txt").write_text("base\nmore\n")
        write(workspace, "templates/d/c.tmpl", "---\nto: c.txt\ninject: true\nidempotent: true\n---\nmore\n")
        out = await call_ok(client, "project_diff", {"template": "templates/d", "vars": {"v": 1}})
        assert out == {**out, "differences": False, "message": "no differences"}
        assert (workspace / "a.txt").read_text() == "line1\nline2 1\n"
