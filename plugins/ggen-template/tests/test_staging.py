"""Staging of project writes under .ggen/tmp/template: nothing beside the targets, stale folders swept, the
fallback for targets on another file system, rollbacks."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

import pytest
from conftest import call_error, call_ok, write
from ggen_template.staging import Staging

pytestmark = pytest.mark.anyio
TEMP = (".ggen-tmp", ".ggen-restore")


def staging_dir(workspace: Path) -> Path:
    return workspace / ".ggen" / "tmp" / "template"


def outside_staging(workspace: Path) -> list[str]:
    """Temporary files of the writer anywhere but under .ggen/tmp/."""
    tmp = staging_dir(workspace).parent
    return sorted(
        p.relative_to(workspace).as_posix()
        for p in workspace.rglob("*")
        if p.name.endswith(TEMP) and tmp not in p.parents
    )


def spy_renames(monkeypatch: pytest.MonkeyPatch, workspace: Path, *, exdev_from_staging: bool = False) -> list:
    """Record, at every os.replace, its source and the writer's temporary files outside .ggen/tmp; with
    ``exdev_from_staging``, renames out of .ggen/tmp fail with EXDEV (as from a bind mount)."""
    seen: list[tuple[str, list[str]]] = []
    real_replace = os.replace
    tmp = staging_dir(workspace).parent

    def replace(src, dst, **kwargs):
        source = Path(src)
        if workspace in source.parents:
            seen.append((source.relative_to(workspace).as_posix(), outside_staging(workspace)))
            if exdev_from_staging and tmp in source.parents:
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return seen


async def test_stale_staging_is_swept_by_the_next_apply(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/one.tmpl", "---\nto: out/one.txt\n---\none\n")
    base = staging_dir(workspace)
    dead = base / "apply-killed"  # a killed apply: its lock file is there, no one holds it
    (dead / "sub").mkdir(parents=True)
    (dead / "lock").touch()
    (dead / "tmpabc.ggen-tmp").write_text("half")
    (dead / "sub" / "x.ggen-tmp").write_text("half")
    early = base / "apply-early"  # killed before it created its lock file
    early.mkdir()
    (early / "tmpdef.ggen-tmp").write_text("half")
    beside = write(workspace, "out/.old.txt.0badf00d.ggen-tmp", "half")  # staged beside (other mount)
    keep = write(workspace, "out/keep.txt", "user file\n")
    elsewhere = write(workspace.parent, "elsewhere/.x.txt.0badf00d.ggen-tmp", "not in the workspace")
    (dead / "outside").write_text(f"{beside}\n{keep}\n{elsewhere}\nrelative/.y.ggen-tmp\n")
    live = base / "apply-live"  # a write still running (in another process): its lock is held
    live.mkdir()
    (live / "tmpghi.ggen-tmp").write_text("being written")
    held = os.open(live / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
            plan = await call_ok(client, "project_plan", {"template": "one"})
            applied = await call_ok(client, "project_apply", {"plan": plan["plan_id"]})
        assert applied["files_created"] == ["out/one.txt"]
        assert not dead.exists() and not early.exists() and not beside.exists()
        assert keep.read_text() == "user file\n" and elsewhere.exists()
        assert sorted(p.name for p in base.iterdir()) == ["apply-live", "sweep.lock"]
        assert (live / "tmpghi.ggen-tmp").read_text() == "being written"
    finally:
        os.close(held)


async def test_no_temporary_file_outside_ggen_tmp_during_an_apply(
    ggen_host, ggen_client, workspace, monkeypatch
) -> None:
    write(workspace, "existing/b.txt", "old\n")
    os.chmod(workspace / "existing/b.txt", 0o640)
    write(workspace, "templates/set/a.tmpl", "---\nto: new/deeper/a.txt\n---\na\n")
    write(workspace, "templates/set/b.tmpl", "---\nto: existing/b.txt\nforce: true\nbackup: true\n---\nnew\n")
    seen = spy_renames(monkeypatch, workspace)
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        plan = await call_ok(client, "project_plan", {"template": "set"})
        await call_ok(client, "project_apply", {"plan": plan["plan_id"]})
    renames = [source for source, _ in seen if source.endswith(".ggen-tmp")]
    assert len(renames) == 3  # the backup, a.txt, b.txt
    assert all(source.startswith(".ggen/tmp/template/apply-") for source in renames), renames
    assert all(outside == [] for _, outside in seen), seen
    assert (workspace / "existing/b.txt").read_text() == "new\n"
    assert (workspace / "existing/b.txt").stat().st_mode & 0o777 == 0o640
    assert (workspace / "existing/b.txt.backup").read_text() == "old\n"
    assert outside_staging(workspace) == [] and [p.name for p in staging_dir(workspace).iterdir()] == ["sweep.lock"]


async def test_a_failed_commit_puts_back_without_temporary_files(
    ggen_host, ggen_client, workspace, monkeypatch
) -> None:
    write(workspace, "keep.txt", "original\n")
    os.chmod(workspace / "keep.txt", 0o640)
    write(workspace, "templates/commit/a.tmpl", "---\nto: keep.txt\nforce: true\n---\nreplaced\n")
    write(workspace, "templates/commit/b.tmpl", "---\nto: clash.txt\n---\nfile\n")
    write(workspace, "templates/commit/c.tmpl", "---\nto: clash.txt/inside.txt\n---\nnested\n")
    seen = spy_renames(monkeypatch, workspace)
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "templates/commit"})
    assert "nothing was written: cannot replace clash.txt" in message
    assert (workspace / "keep.txt").read_text() == "original\n"
    assert (workspace / "keep.txt").stat().st_mode & 0o777 == 0o640  # the put-back keeps the mode
    assert all(source.startswith(".ggen/tmp/template/apply-") for source, _ in seen), seen
    assert len(seen) == 3 and all(outside == [] for _, outside in seen)  # a, b (fails), a put back
    assert outside_staging(workspace) == [] and not (workspace / "clash.txt").exists()


async def test_target_on_another_file_system_is_staged_beside_it(
    ggen_host, ggen_client, workspace, monkeypatch
) -> None:
    write(workspace, "templates/set/a.tmpl", "---\nto: mnt/a.txt\n---\na\n")
    write(workspace, "templates/set/b.tmpl", "---\nto: here/b.txt\n---\nb\n")
    (workspace / "mnt").mkdir()
    mount = workspace / "mnt"
    same = Staging.same_file_system
    monkeypatch.setattr(
        Staging, "same_file_system", lambda self, directory: directory != mount and same(self, directory)
    )
    seen = spy_renames(monkeypatch, workspace)
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await call_ok(client, "project_gen", {"template": "templates/set"})
    assert sorted(out["files_created"]) == ["here/b.txt", "mnt/a.txt"]
    sources = sorted(source for source, _ in seen)
    assert sources[0].startswith(".ggen/tmp/template/apply-")
    assert sources[1].startswith("mnt/.a.txt.") and sources[1].endswith(".ggen-tmp")
    assert (workspace / "mnt/a.txt").read_text() == "a\n" and outside_staging(workspace) == []


async def test_exdev_at_the_rename_stages_again_beside_the_target(
    ggen_host, ggen_client, workspace, monkeypatch
) -> None:
    """A bind mount of the same file system: st_dev is equal, yet the rename fails with EXDEV."""
    write(workspace, "templates/one.tmpl", "---\nto: bound/one.txt\n---\none\n")
    seen = spy_renames(monkeypatch, workspace, exdev_from_staging=True)
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await call_ok(client, "project_gen", {"template": "one"})
    assert out["files_created"] == ["bound/one.txt"]
    assert [source.split("/")[0] for source, _ in seen] == [".ggen", "bound"]
    assert (workspace / "bound/one.txt").read_text() == "one\n" and outside_staging(workspace) == []
    assert [p.name for p in staging_dir(workspace).iterdir()] == ["sweep.lock"]


def test_a_killed_beside_staging_is_recorded_before_it_exists(workspace) -> None:
    from ggen_mcp_core import Workspace

    ws = Workspace(workspace)
    (workspace / "mnt").mkdir()
    staging = Staging(ws).open()
    assert staging.folder is not None
    path = Path(staging.write(workspace / "mnt" / "a.txt", b"data", 0o644, beside=True))
    assert (staging.folder / "outside").read_text() == f"{path}\n" and path.read_bytes() == b"data"
    assert path.stat().st_mode & 0o777 == 0o644
    staging.close()
    assert not path.exists() and not staging.folder.exists()
    assert staging_dir(workspace).stat().st_mode & 0o777 == 0o700
