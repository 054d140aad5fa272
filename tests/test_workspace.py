"""The path sandbox and atomic writes: every hostile case refused, nothing half-written."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ggen_mcp_core import (
    FileTooLarge,
    NotARegularFile,
    PathOutsideWorkspace,
    PathTooLong,
    ProtectedPath,
    Workspace,
    WorkspaceError,
)
from ggen_mcp_core.workspace import atomic_write


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "src").mkdir()
    (root / "src" / "a.txt").write_text("a")
    return Workspace(root)


@pytest.mark.parametrize(
    "bad", ["../x", "src/../../x", "a/../../../etc/passwd", "/etc/passwd", "..", "~/x", "~0", "~no-such-user-here/x"]
)
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
    with pytest.raises(FileTooLarge, match="'big' is 100 bytes; the limit is 10"):
        ws.read_bytes("big", max_bytes=10)
    with pytest.raises(NotARegularFile, match="'src' is not a regular file"):
        ws.read_text("src", max_bytes=10)


def test_file_refusals_are_workspace_errors_not_outside_the_workspace(ws: Workspace) -> None:
    """A file too large or not a regular file is its own kind of refusal: one `except WorkspaceError` catches
    every workspace refusal, and none of them claims the path left the workspace."""
    (ws.root / "big").write_bytes(b"x" * 100)
    for call in (lambda: ws.read_bytes("big", max_bytes=10), lambda: ws.read_text("src", max_bytes=10)):
        with pytest.raises(WorkspaceError) as caught:
            call()
        assert not isinstance(caught.value, PathOutsideWorkspace)
    with pytest.raises(WorkspaceError) as caught:
        ws.read_bytes("../escape", max_bytes=10)
    assert isinstance(caught.value, PathOutsideWorkspace)


def test_write_atomic_creates_parents_and_keeps_mode(ws: Workspace) -> None:
    path = ws.write_atomic("deep/er/out.txt", "hello")
    assert path.read_text() == "hello"
    os.chmod(path, 0o600)
    ws.write_atomic("deep/er/out.txt", b"again")
    assert path.read_bytes() == b"again"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"], "no temporary files left"


def test_write_atomic_refuses_directories(ws: Workspace) -> None:
    with pytest.raises(NotARegularFile, match="is a directory"):
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


# -- the write policy, the state facility and the capabilities ------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def test_paths_over_the_file_system_limits_name_the_limit(ws: Workspace) -> None:
    with pytest.raises(PathTooLong, match=r"300 bytes .*limit is 255 bytes per name \(NAME_MAX\)"):
        ws.resolve("x" * 300)
    with pytest.raises(PathTooLong, match=r"limit is 4096 bytes for a whole path \(PATH_MAX\)"):
        ws.resolve("ab/" * 2000)
    with pytest.raises(PathTooLong, match="NAME_MAX"):
        ws.write_atomic("é" * 200, "x")  # 400 bytes in UTF-8: the limit is in bytes, not characters
    assert ws.resolve("x" * 255) == ws.root / ("x" * 255)


def test_a_path_too_long_is_a_workspace_error_not_outside_the_workspace(ws: Workspace) -> None:
    """A long name inside the workspace did not leave it: `except PathOutsideWorkspace` must not catch it."""
    with pytest.raises(WorkspaceError) as caught:
        ws.resolve("x" * 300)
    assert isinstance(caught.value, PathTooLong)
    assert not isinstance(caught.value, PathOutsideWorkspace)


@pytest.mark.parametrize(
    "path",
    [
        ".git",
        ".git/hooks/pre-commit",
        ".ggen/x",
        "sub/../.git/config",
        "./ggen.lock",
        ".GIT/config",
        "GGEN.LOCK",
        "Ggen.Lock.",
        "src/.git/hooks/x",
        ".ggen",
        "nested/.ggen/plans/x.json",
    ],
)
def test_user_writes_refuse_protected_paths(ws: Workspace, path: str) -> None:
    (ws.root / ".git" / "hooks").mkdir(parents=True)
    with pytest.raises(ProtectedPath, match=r"refusing to write .* is protected by the write policy"):
        ws.write_atomic(path, "x")
    assert not (ws.root / ".git" / "hooks" / "pre-commit").exists() and not (ws.root / "ggen.lock").exists()


def test_links_into_protected_paths_are_judged_by_their_real_path(ws: Workspace) -> None:
    (ws.root / ".git" / "hooks").mkdir(parents=True)
    (ws.root / "ggen.lock").write_text("lock")
    os.symlink(ws.root / ".git" / "hooks", ws.root / "hooks")
    os.symlink("ggen.lock", ws.root / "lock-link")
    with pytest.raises(ProtectedPath, match=r"refusing to write hooks/pre-commit \(really .git/hooks/pre-commit\)"):
        ws.write_atomic("hooks/pre-commit", "x")
    with pytest.raises(ProtectedPath, match=r"\(really ggen.lock\)"):
        ws.write_atomic("lock-link", "x")
    assert (ws.root / "ggen.lock").read_text() == "lock" and not (ws.root / ".git/hooks/pre-commit").exists()


def test_operator_paths_and_what_stays_writable(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "w", protected_paths=["README.md", "secrets/"])
    for path in ("README.md", "readme.md", "secrets/x", "./secrets", "a/../SECRETS/y/z"):
        with pytest.raises(ProtectedPath, match="protected by the setting protected_paths"):
            ws.write_atomic(path, "x")
    for path in ("src/README.md", "secrets.txt", "a/ggen.lock", ".gitignore", ".github/workflows/ci.yml", "x.git"):
        assert ws.write_atomic(path, "ok").read_text() == "ok", path
    assert ws.protection("docs/x") is None and "setting protected_paths" in (ws.protection("README.md") or "")


@pytest.mark.parametrize("bad", ["/abs", "../up", "a/../../b", "", "."])
def test_operator_paths_are_validated(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        Workspace(tmp_path, protected_paths=[bad])


def test_state_is_written_only_through_the_state_facility(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ProtectedPath):
        ws.write_atomic(".ggen/plans/p.json", "{}")
    path = ws.write_state("plans/p.json", "{}", mode=0o600)
    assert path == ws.root / ".ggen" / "plans" / "p.json" and path.read_text() == "{}"
    assert ws.state_path("tmp", "template") == ws.root / ".ggen" / "tmp" / "template"
    for bad in (("..", "x"), ("/etc/passwd",), ("a/../../x",)):
        with pytest.raises(PathOutsideWorkspace):
            ws.state_path(*bad)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, ws.root / ".ggen" / "link")
    with pytest.raises(PathOutsideWorkspace, match=r"leads outside \.ggen/"):
        ws.write_state("link/x", "x")
    assert list(outside.iterdir()) == []


def test_state_dir_behind_a_link_is_refused(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "state-elsewhere"
    outside.mkdir()
    os.symlink(outside, ws.root / ".ggen")
    with pytest.raises(PathOutsideWorkspace, match="symbolic link"):
        ws.write_state("hooks.toml", "x")


def test_the_lockfile_capability_writes_ggen_lock_and_nothing_else(ws: Workspace) -> None:
    writer = ws.lockfile_writer()
    assert writer.write("version = 1\n") == ws.root / "ggen.lock"
    assert (ws.root / "ggen.lock").read_text() == "version = 1\n"
    (ws.root / "ggen.lock").unlink()
    os.symlink("src/a.txt", ws.root / "ggen.lock")
    with pytest.raises(ProtectedPath, match="symbolic link"):
        writer.write("hijack")
    assert (ws.root / "src" / "a.txt").read_text() == "a"


def test_the_git_hooks_capability_reaches_git_hooks_only(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / ".git").mkdir()
    writer = ws.git_hooks_writer()
    path = writer.write("pre-commit", "#!/bin/sh\n", mode=0o755)
    assert path == ws.root / ".git" / "hooks" / "pre-commit" and (path.stat().st_mode & 0o777) == 0o755
    for bad in ("../config", "hooks/x", "..", ".hidden", "Pre-Commit", ""):
        with pytest.raises(ProtectedPath, match="not a git hook name"):
            writer.write(bad, "x")
    os.symlink(ws.root / "src" / "a.txt", ws.root / ".git" / "hooks" / "post-merge")
    with pytest.raises(ProtectedPath, match="symbolic link"):
        writer.write("post-merge", "x")
    assert (ws.root / "src" / "a.txt").read_text() == "a"
    writer.remove("pre-commit")
    assert not path.exists()
    other = tmp_path / "hooks-elsewhere"
    other.mkdir()
    (ws.root / ".git" / "hooks" / "post-merge").unlink()
    (ws.root / ".git" / "hooks").rmdir()
    os.symlink(other, ws.root / ".git" / "hooks")
    with pytest.raises(ProtectedPath, match="not a plain directory"):
        writer.write("pre-commit", "x")
    assert list(other.iterdir()) == []


def _pack_sources() -> list[Path]:
    return [p for p in sorted((REPO / "plugins").glob("ggen-*/ggen_*/**/*.py")) if "/tests/" not in p.as_posix()]


@pytest.mark.parametrize(
    ("call", "allowed"),
    [
        ("lockfile_writer(", {"ggen-market/ggen_market/lockfile.py"}),
        ("git_hooks_writer(", {"ggen-hook/ggen_hook/githooks.py"}),
    ],
)
def test_each_capability_is_asked_for_by_one_module(call: str, allowed: set[str]) -> None:
    users = {p.relative_to(REPO / "plugins").as_posix() for p in _pack_sources() if call in p.read_text()}
    assert users == allowed


def test_no_pack_keeps_a_protected_list_or_writes_raw_into_the_workspace() -> None:
    raw_state_writers = {  # state under .ggen/ (paths from Workspace.state_dir) or CLI output outside a workspace
        "ggen-graph/ggen_graph/prefixes.py",
        "ggen-market/ggen_market/registry.py",
        "ggen-market/ggen_market/builder.py",
    }
    for path in _pack_sources():
        text = path.read_text()
        relative = path.relative_to(REPO / "plugins").as_posix()
        assert "PROTECTED" not in text and "check_protected" not in text, relative
        if "atomic_write(" in text:
            assert relative in raw_state_writers, f"{relative} writes without the workspace's policy"
