"""Property test of the write policy: every writer x every form of every protected path, over one MCP session.

Hypothesis builds the forms: the path as written, ``./x``, a detour ``a/../x``, a symbolic link to the
protected folder or file, a case variant (for case-insensitive file systems), a trailing dot, a path nested
under a protected folder, and the operator's ``protected_paths``. Every writer must refuse every form with a
clear error naming the protection, and no file (or link, or mode) in the workspace may change: nothing lost,
nothing created. One server and one client serve all examples (a blocking portal runs the event loop), so
the run stays well under its 30 s budget.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ggen_mcp_core.testing import make_host, open_client, tool_text

OPERATOR_PATHS = ["README.md", "docs/"]
# protected target -> (link in links/ that reaches its first components, how many components it replaces)
TARGETS: dict[str, tuple[str, int] | None] = {
    ".git": ("links/git", 1),
    ".git/config": ("links/git", 1),
    ".git/hooks/pre-commit": ("links/hooks", 2),
    ".git/hooks/post-merge": ("links/hooks", 2),
    ".ggen/hooks.toml": ("links/state", 1),
    ".ggen/new/export.ttl": ("links/state", 1),
    "ggen.lock": ("links/lock", 1),
    "README.md": ("links/readme", 1),
    "docs/guide.md": ("links/docs", 1),
    "docs/new/page.md": ("links/docs", 1),
    "sub/.git/hooks/pre-commit": None,
    "vendor/lib/.ggen/state.json": None,
}
PROTECTED_DIRS = (".git", ".ggen", "docs")
EXCLUDED = (".ggen/store", ".ggen/tmp", ".ggen/plans", ".ggen/prefixes.json", "templates", "forged.json")


@dataclass(frozen=True)
class Form:
    target: str
    path: str
    how: str


@st.composite
def forms(draw: st.DrawFn) -> Form:
    target = draw(st.sampled_from(sorted(TARGETS)))
    parts = target.split("/")
    link = TARGETS[target]
    how = []
    if link is not None and draw(st.booleans()):
        prefix, replaced = link
        head, parts = prefix.split("/"), parts[replaced:]
        how.append("link")
    else:
        head = []
    if draw(st.booleans()):  # a case variant of the protected part (the link names stay as they are)
        flips = draw(st.lists(st.booleans(), min_size=sum(map(len, parts)), max_size=sum(map(len, parts))))
        text, index = [], 0
        for part in parts:
            text.append("".join(c.swapcase() if flips[index + i] else c for i, c in enumerate(part)))
            index += len(part)
        parts = text
        how.append("case")
    if parts and draw(st.booleans()):
        parts = [*parts[:-1], parts[-1] + "."]
        how.append("trailing-dot")
    components = head + parts
    if draw(st.booleans()):
        at = draw(st.integers(0, max(0, len(components) - 1)))
        components = [*components[:at], draw(st.sampled_from(["a", "sub", "links"])), "..", *components[at:]]
        how.append("detour")
    path = "/".join(components) or "."
    if draw(st.booleans()):
        path = "./" + path
        how.append("dot")
    return Form(target, path, "+".join(how) or "direct")


def explicit_forms() -> list[Form]:
    """Each target as written, and through the link that reaches it."""
    found = [Form(target, target, "direct") for target in TARGETS]
    for target, link in TARGETS.items():
        if link is not None:
            prefix, replaced = link
            found.append(Form(target, "/".join([prefix, *target.split("/")[replaced:]]), "link"))
    return found


def make_workspace(root: Path) -> None:
    files = {
        ".git/hooks/pre-commit": "#!/bin/sh\necho user hook\n",
        ".git/config": "[core]\n\tbare = false\n",
        ".ggen/hooks.toml": "version = 1\n",
        "ggen.lock": '# lock\nversion = "1.0"\n',
        "README.md": "# readme\n",
        "docs/guide.md": "guide\n",
        "sub/.git/hooks/pre-commit": "#!/bin/sh\n",
        "vendor/lib/.ggen/state.json": "{}\n",
        "a/keep.txt": "a\n",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / ".git/hooks/pre-commit").chmod(0o755)
    (root / "links").mkdir()
    for name, target in {
        "git": "../.git",
        "hooks": "../.git/hooks",
        "state": "../.ggen",
        "lock": "../ggen.lock",
        "readme": "../README.md",
        "docs": "../docs",
    }.items():
        os.symlink(target, root / "links" / name)
    (root / "templates").mkdir()


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file, folder and link outside the server's scratch state: content digest (or link text) and mode."""
    seen: dict[str, tuple[str, int]] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if relative.startswith(EXCLUDED):
                continue
            info = path.lstat()
            if path.is_symlink():
                seen[relative] = ("link:" + os.readlink(path), 0)
            elif path.is_dir():
                seen[relative] = ("dir", info.st_mode & 0o7777)
            else:
                seen[relative] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode & 0o7777)
    return seen


class Session:
    """One MCP client on one server, driven from synchronous code through a blocking portal."""

    def __init__(self, portal: BlockingPortal, client: Any, root: Path) -> None:
        self.portal, self.client, self.root = portal, client, root

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
        result = self.portal.call(self.client.call_tool, tool, arguments)
        return bool(result.is_error), tool_text(result)


@pytest.fixture
def session(ggen_workspace: Path) -> Iterator[Session]:
    make_workspace(ggen_workspace)
    host = make_host(ggen_workspace, ["graph", "template"], protected_paths=OPERATOR_PATHS)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(open_client(host, "legacy")) as client:
        live = Session(portal, client, ggen_workspace)
        is_error, text = live.call("graph_load", {"content": "<urn:a> <urn:b> <urn:c> .\n", "format": "ntriples"})
        assert not is_error, text
        yield live


def writers(live: Session, form: Form) -> Iterator[tuple[str, bool, str]]:
    """Each writer aimed at ``form.path``: (writer, is_error, message)."""
    root = live.root
    yield ("graph_export", *live.call("graph_export", {"output": form.path, "format": "ntriples"}))
    to = json.dumps(form.path)
    (root / "templates" / "whole.tmpl").write_text(f"---\nto: {to}\nforce: true\n---\nwhole\n")
    yield ("project_gen to:", *live.call("project_gen", {"template": "whole", "force": True}))
    (root / "templates" / "inject.tmpl").write_text(f"---\nto: {to}\ninject: true\nappend: true\n---\nadded\n")
    yield ("project_gen inject", *live.call("project_gen", {"template": "inject"}))
    content = "forged\n"
    action = {
        "type": "overwrite",
        "path": form.path,
        "template": "x",
        "content": content,
        "backup": True,
        "sha256": hashlib.sha256(content.encode()).hexdigest(),
        "before_sha256": None,
    }
    plan = {
        "format": 1,
        "plan_id": "forged",
        "created_at": "2026-01-01T00:00:00Z",
        "template": "x",
        "output": ".",
        "actions": [action],
    }
    (root / "forged.json").write_text(json.dumps(plan))
    yield ("project_apply forged plan", *live.call("project_apply", {"plan": "forged.json", "force": True}))
    top = form.target.split("/")[0]
    if top in PROTECTED_DIRS and "/" in form.target:
        # template_create writes templates/<name>.tmpl: a link there into a protected folder is its way in
        link = root / "templates" / "into"
        link.unlink(missing_ok=True)
        os.symlink(os.path.relpath(root / Path(form.target).parent, root / "templates"), link)
        name = "into/" + Path(form.target).stem.swapcase() if "case" in form.how else "into/" + Path(form.target).stem
        yield ("template_create", *live.call("template_create", {"name": name, "content": "x\n", "force": True}))
        link.unlink()


def test_every_writer_refuses_every_protected_form(session: Session) -> None:
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(form=forms())
    def check(form: Form) -> None:
        seen.add((form.target, form.how))
        before = snapshot(session.root)
        for writer, is_error, message in writers(session, form):
            assert is_error, f"{writer} wrote {form.path!r} ({form.how})"
            assert "is protected" in message and "refusing to write" in message, (writer, form, message)
        assert snapshot(session.root) == before, f"a refused write changed the workspace: {form}"

    for explicit in explicit_forms():  # every target at least written directly and through its link
        check = example(form=explicit)(check)
    check()
    assert {target for target, how in seen if how == "direct"} == set(TARGETS)
    assert len(seen) >= 40, f"too few forms were tried: {sorted(seen)}"
