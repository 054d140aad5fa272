"""The path sandbox and atomic writes: every hostile case refused, nothing half-written."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ggen_mcp_core import PathOutsideWorkspace, Workspace
from ggen_mcp_core.workspace import atomic_write


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "src").mkdir()
    (root / "src" / "a.txt").write_text("a")
    return Workspace(root)


@pytest.mark.parametrize("bad", ["../x", "src/../../x", "a/../../../etc/passwd", "/etc/passwd", "..", "~/x"])
def test_escapes_are_refused(ws: Workspace, bad: str) -> None:
    with pytest.raises(PathOutsideWorkspace, match="outside the workspace"):
        ws.resolve(bad)


@pytest.mark.parametrize("bad", ["a\x00b", "", "   "])
def test_nul_and_empty_are_refused(ws: Workspace, bad: str) -> None:
    with pytest.raises(PathOutsideWorkspace):
        ws.resolve(bad)


def test_inside_paths_resolve(ws: Workspace) -> None:
    assert ws.resolve("src/a.txt") == ws.root / "src" / "a.txt"
    assert ws.resolve("src/../src/a.txt") == ws.root / "src" / "a.txt"
    assert ws.resolve(str(ws.root / "src" / "a.txt")) == ws.root / "src" / "a.txt"
    assert ws.resolve("new/dir/file.py") == ws.root / "new" / "dir" / "file.py"
    assert ws.resolve(".") == ws.root


def test_symlink_out_is_refused(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    os.symlink(outside, ws.root / "link")
    os.symlink(outside / "secret", ws.root / "secret-link")
    with pytest.raises(PathOutsideWorkspace, match="symbolic link"):
        ws.resolve("link/secret")
    with pytest.raises(PathOutsideWorkspace):
        ws.resolve("secret-link")
    # a file that does not exist yet, under a linked parent, is judged by the parent's real path
    with pytest.raises(PathOutsideWorkspace):
        ws.resolve("link/new-file.txt")
    with pytest.raises(PathOutsideWorkspace):
        ws.write_atomic("link/new-file.txt", "x")
    assert not (outside / "new-file.txt").exists()


def test_symlink_inside_is_allowed(ws: Workspace) -> None:
    os.symlink(ws.root / "src", ws.root / "alias")
    assert ws.resolve("alias/a.txt") == ws.root / "src" / "a.txt"


def test_workspace_root_behind_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    ws = Workspace(tmp_path / "alias")
    assert ws.root == real.resolve()
    assert ws.resolve("x") == real.resolve() / "x"


def test_must_exist(ws: Workspace) -> None:
    with pytest.raises(PathOutsideWorkspace, match="does not exist"):
        ws.resolve("missing.txt", must_exist=True)


def test_read_caps_size(ws: Workspace) -> None:
    (ws.root / "big").write_bytes(b"x" * 100)
    assert ws.read_bytes("big", max_bytes=100) == b"x" * 100
    with pytest.raises(PathOutsideWorkspace, match="limit is 10"):
        ws.read_bytes("big", max_bytes=10)
    with pytest.raises(PathOutsideWorkspace, match="not a regular file"):
        ws.read_text("src", max_bytes=10)


def test_write_atomic_creates_parents_and_keeps_mode(ws: Workspace) -> None:
    path = ws.write_atomic("deep/er/out.txt", "hello")
    assert path.read_text() == "hello"
    os.chmod(path, 0o600)
    ws.write_atomic("deep/er/out.txt", b"again")
    assert path.read_bytes() == b"again"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"], "no temporary files left"


def test_write_atomic_refuses_directories(ws: Workspace) -> None:
    with pytest.raises(PathOutsideWorkspace, match="is a directory"):
        ws.write_atomic("src", "x")


def test_write_atomic_replaces_a_symlink_not_its_target(ws: Workspace, tmp_path: Path) -> None:
    target = ws.root / "src" / "a.txt"
    os.symlink(target, ws.root / "inner-link")
    ws.write_atomic("inner-link", "new")
    # the link pointed inside, so the real target is what gets replaced
    assert target.read_text() == "new"


def test_failed_write_leaves_old_content(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    target = ws.root / "src" / "a.txt"

    def broken_replace(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new content")
    assert target.read_text() == "a"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_concurrent_writers_never_mix(ws: Workspace) -> None:
    payloads = [bytes([65 + i]) * 200_000 for i in range(4)]

    def writer(data: bytes) -> None:
        for _ in range(5):
            ws.write_atomic("shared.bin", data)

    threads = [threading.Thread(target=writer, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (ws.root / "shared.bin").read_bytes() in payloads
