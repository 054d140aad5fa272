"""project_gen: writing sets, force, unless_exists, MANUAL regions, injection, output paths, all or nothing."""

from __future__ import annotations

import os

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio


async def gen(client, template: str, **arguments) -> dict:
    return await call_ok(client, "project_gen", {"template": template, **arguments})


async def test_set_generation_force_and_unchanged(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/app/model.py.tmpl", "---\nto: src/{{ name }}.py\n---\nclass {{ name | pascal }}: ...\n")
    write(workspace, "templates/app/README.md.tmpl", "# {{ name }}\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await gen(client, "templates/app", vars={"name": "shop"})
        assert out["files_created"] == ["README.md", "src/shop.py"] and not out["dry_run"]
        assert out["variables_used"] == {"name": "shop", "Name": "Shop"} and out["duration_ms"] > 0
        assert (workspace / "src/shop.py").read_text() == "class Shop: ...\n"
        again = await gen(client, "templates/app", vars={"name": "shop"})
        assert again["files_skipped"] == ["README.md", "src/shop.py"] and not again["files_modified"]
        write(workspace, "templates/app/README.md.tmpl", "# {{ name }} v2\n")
        message = await call_error(client, "project_gen", {"template": "templates/app", "vars": {"name": "shop"}})
        assert "README.md exists; pass force=true" in message and "nothing was written" in message
        assert (workspace / "README.md").read_text() == "# shop\n"
        out = await gen(client, "templates/app", vars={"name": "shop"}, force=True)
        assert out["files_modified"] == ["README.md"] and out["files_skipped"] == ["src/shop.py"]
        assert (workspace / "README.md").read_text() == "# shop v2\n"


async def test_dry_run_and_output_folder(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/one.tmpl", "---\nto: pkg/{{ n }}.txt\n---\n{{ n }}\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await gen(client, "one", vars={"n": "a"}, output="build/out", dry_run=True)
        assert out == {**out, "dry_run": True, "files_created": ["build/out/pkg/a.txt"]}
        assert not (workspace / "build").exists()
        await gen(client, "one", vars={"n": "a"}, output="build/out")
        assert (workspace / "build/out/pkg/a.txt").read_text() == "a\n"
        write(workspace, "afile", "x")
        assert "is a file" in await call_error(
            client, "project_gen", {"template": "one", "vars": {"n": "b"}, "output": "afile"}
        )


async def test_unless_exists_and_front_matter_force(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/once.tmpl", "---\nto: once.txt\nunless_exists: true\n---\n{{ v }}\n")
    write(workspace, "templates/always.tmpl", "---\nto: always.txt\nforce: true\n---\n{{ v }}\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        for value in ("1", "2"):
            await gen(client, "once", vars={"v": value})
            await gen(client, "always", vars={"v": value})
    assert (workspace / "once.txt").read_text() == "1\n"
    assert (workspace / "always.txt").read_text() == "2\n"


async def test_manual_regions_keep_user_edits(ggen_host, ggen_client, workspace) -> None:
    write(
        workspace,
        "templates/svc.tmpl",
        """
        ---
        to: svc.py
        ---
        # generated {{ version }}
        # MANUAL START imports
        # END MANUAL
        def run():
            # MANUAL START body
            pass
            # END MANUAL
        <!-- MANUAL START -->
        <!-- END MANUAL -->
        """,
    )
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        await gen(client, "svc", vars={"version": 1})
        text = (workspace / "svc.py").read_text()
        text = text.replace("# MANUAL START imports\n", "# MANUAL START imports\nimport os\n")
        text = text.replace("    pass\n", "    return os.getcwd()\n")
        text = text.replace("<!-- MANUAL START -->\n", "<!-- MANUAL START -->\nunnamed edit\n")
        (workspace / "svc.py").write_text(text)
        out = await gen(client, "svc", vars={"version": 2}, force=True)
        assert out["files_modified"] == ["svc.py"]
        result = (workspace / "svc.py").read_text()
        assert "# generated 2\n" in result and "import os\n" in result and "return os.getcwd()" in result
        assert "unnamed edit\n" in result and "pass" not in result
        write(workspace, "templates/svc.tmpl", "---\nto: svc.py\n---\n# generated 3\n")
        out = await gen(client, "svc", vars={"version": 3}, force=True)
        assert any("'imports' is no longer in the template" in w for w in out["warnings"])
        (workspace / "svc.py").write_text("# MANUAL START x\nno end\n")
        message = await call_error(client, "project_gen", {"template": "svc", "force": True})
        assert "never closed" in message


INJECT_CASES = [
    ("prepend: true", "NEW\nline1\nanchor\nline3\n"),
    ("append: true", "line1\nanchor\nline3\nNEW\n"),
    ("before: anch", "line1\nNEW\nanchor\nline3\n"),
    ("after: anch", "line1\nanchor\nNEW\nline3\n"),
    ("at_line: 3", "line1\nanchor\nNEW\nline3\n"),
    ("at_line: 1", "NEW\nline1\nanchor\nline3\n"),
    ("prepend: true\nappend: true", "NEW\nline1\nanchor\nline3\n"),
    ("skip_if: '^anc'", "line1\nanchor\nline3\n"),
]


@pytest.mark.parametrize(("mode", "expected"), INJECT_CASES, ids=[c[0] for c in INJECT_CASES])
async def test_injection_modes(template_host, ggen_client, module_workspace, mode: str, expected: str) -> None:
    tag = str(abs(hash(mode)))
    write(module_workspace, f"target{tag}.txt", "line1\nanchor\nline3\n")
    write(module_workspace, f"templates/inj{tag}.tmpl", f"---\nto: target{tag}.txt\ninject: true\n{mode}\n---\nNEW\n")
    async with ggen_client(template_host, mode="legacy") as client:
        out = await gen(client, f"inj{tag}")
    assert (module_workspace / f"target{tag}.txt").read_text() == expected
    key = "files_skipped" if "skip_if" in mode else "files_injected"
    assert out[key] == [f"target{tag}.txt"]


async def test_injection_details(template_host, ggen_client, module_workspace) -> None:
    ws = module_workspace
    write(ws, "templates/idem.tmpl", "---\nto: idem.txt\ninject: true\nidempotent: true\n---\nimport x\n")
    write(ws, "templates/crlf.tmpl", "---\nto: crlf.txt\ninject: true\nafter: one\nbackup: true\n---\na\nb\n")
    write(ws, "templates/noanchor.tmpl", "---\nto: noanchor.txt\ninject: true\nbefore: zzz\n---\nend\n")
    (ws / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (ws / "noanchor.txt").write_text("start")
    async with ggen_client(template_host, mode="legacy") as client:
        assert (await gen(client, "idem"))["files_created"] == ["idem.txt"]
        assert (await gen(client, "idem"))["files_skipped"] == ["idem.txt"]
        assert (ws / "idem.txt").read_text() == "import x\n"
        await gen(client, "crlf")
        assert (ws / "crlf.txt").read_bytes() == b"one\r\na\r\nb\r\ntwo\r\n"
        assert (ws / "crlf.txt.backup").read_bytes() == b"one\r\ntwo\r\n"
        out = await gen(client, "noanchor")
        assert (ws / "noanchor.txt").read_text() == "start\nend\n"
        assert out["warnings"] == ["noanchor.txt: before anchor 'zzz' not found; appended at the end"]


async def test_two_templates_inject_into_one_file_and_conflicting_writes(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/multi/a.tmpl", "---\nto: routes.py\n---\nroutes = []\n# routes\n")
    for name in ("b", "c"):
        write(
            workspace,
            f"templates/multi/{name}.tmpl",
            f"---\nto: routes.py\ninject: true\nafter: '# routes'\n---\nroutes.append('{name}')\n",
        )
    write(workspace, "templates/clash/a.tmpl", "---\nto: same.txt\n---\na\n")
    write(workspace, "templates/clash/b.tmpl", "---\nto: same.txt\n---\nb\n")
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await gen(client, "templates/multi")
        assert out["files_created"] == ["routes.py"] and out["files_injected"] == ["routes.py"]
        expected = "routes = []\n# routes\nroutes.append('c')\nroutes.append('b')\n"
        assert (workspace / "routes.py").read_text() == expected
        message = await call_error(client, "project_gen", {"template": "templates/clash"})
        assert "writes same.txt, which templates/clash/a.tmpl also writes" in message
        assert not (workspace / "same.txt").exists()


async def test_output_paths_stay_inside(ggen_host, ggen_client, workspace, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, workspace / "link_out")
    (workspace / "elsewhere").mkdir()
    (workspace / "out").mkdir()
    os.symlink(outside, workspace / "out" / "link_out")
    os.symlink(workspace / "elsewhere", workspace / "out" / "inner")
    cases = {
        "up": ("../../x.txt", "outside the workspace"),
        "up_in_output": ("../elsewhere/x.txt", "leaves the output folder"),
        "absolute": ("/etc/x.txt", "is absolute"),
        "symlink_out": ("link_out/x.txt", "outside the workspace"),
        "symlink_inner": ("inner/x.txt", "leaves the output folder"),
        "git": (".git/hooks/pre-commit", ".git/"),
        "state": (".ggen/plans/x.json", ".ggen/"),
    }
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        for name, (to, expected) in cases.items():
            write(workspace, f"templates/{name}.tmpl", f"---\nto: {to}\n---\nx\n")
            message = await call_error(client, "project_gen", {"template": name, "output": "out"})
            assert expected in message, (name, message)
        assert "outside the workspace" in await call_error(
            client, "project_gen", {"template": "up", "output": "link_out"}
        )
        assert "outside the workspace" in await call_error(client, "project_gen", {"template": "up", "output": "../.."})
    assert list(outside.iterdir()) == [] and list((workspace / "elsewhere").iterdir()) == []
    assert not (workspace / ".git").exists()


async def test_all_or_nothing(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "keep.txt", "original\n")
    write(workspace, "templates/broken/a.tmpl", "---\nto: new_a.txt\n---\na\n")
    write(workspace, "templates/broken/b.tmpl", "---\nto: new_b.txt\n---\n{{ undefined_thing }}\n")
    write(workspace, "templates/commit/a.tmpl", "---\nto: keep.txt\nforce: true\n---\nreplaced\n")
    write(workspace, "templates/commit/b.tmpl", "---\nto: clash.txt\n---\nfile\n")
    write(workspace, "templates/commit/c.tmpl", "---\nto: clash.txt/inside.txt\n---\nnested\n")
    before = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*"))
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "templates/broken"})
        assert message.startswith("templates/broken/b.tmpl line 4: 'undefined_thing' is undefined: pass it in `vars`")
        message = await call_error(client, "project_gen", {"template": "templates/commit"})
        assert "nothing was written" in message and "clash.txt" in message
    after = sorted(p.relative_to(workspace).as_posix() for p in workspace.rglob("*") if ".ggen" not in p.parts)
    assert after == before
    assert (workspace / "keep.txt").read_text() == "original\n"
    staging = workspace / ".ggen" / "tmp" / "template"  # the writer's staging folder is gone with its files
    assert [p.name for p in staging.iterdir()] == ["sweep.lock"]
