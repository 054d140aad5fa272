"""From rendered files to actions on disk: create, overwrite, inject or skip, decided before any write.

Every target resolves inside the output folder and the workspace (``to: ../../x``, absolute paths and
symbolic links out are refused), and the host's write policy refuses protected targets (``.git/``,
``.ggen/``, ``ggen.lock`` and the operator's ``protected_paths``; see ``Workspace.resolve_for_write``).
An existing file is replaced only with ``force`` (the call's or the template's); its MANUAL regions keep
the user's lines; a file whose new content equals the old is skipped as unchanged. Several templates may
inject into one file; two templates writing the same file whole is an error. Problems are collected and
raised together, before anything is written.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from ggen_mcp_core import PathOutsideWorkspace, PathTooLong, ProtectedPath, ToolError
from ggen_template.errors import TemplateError
from ggen_template.inject import inject
from ggen_template.regions import merge_regions

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_template.engine import RenderedFile

ActionType = Literal["create", "overwrite", "inject", "skip"]
PREVIEW_LINES = 20
PREVIEW_CHARS = 2000


def sha256_text(text: str | None) -> str | None:
    """sha256 hex of UTF-8 text, or None for a file that does not exist."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes | None) -> str | None:
    """sha256 hex of bytes, or None."""
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass
class Action:
    """One planned change. ``content`` is the file's full new text; ``snippet`` what an injection adds."""

    type: ActionType
    path: str
    template: str
    content: str | None = None
    before_sha256: str | None = None
    reason: str | None = None
    snippet: str | None = None
    backup: bool = False
    sh_before: list[str] | None = None
    sh_after: list[str] | None = None

    @property
    def sha256(self) -> str | None:
        """sha256 of ``content``."""
        return sha256_text(self.content)

    def preview(self) -> str:
        """The first lines of what the action writes (the snippet for an injection)."""
        text = self.snippet if self.type == "inject" else self.content
        if not text:
            return ""
        lines = text.splitlines(keepends=True)
        shown = "".join(lines[:PREVIEW_LINES])[:PREVIEW_CHARS]
        return shown + ("…" if len(shown) < len(text) else "")


@dataclass
class Planned:
    """The actions of one call, in template order, and warnings for the caller."""

    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def paths(self, *types: ActionType) -> list[str]:
        """Paths of the actions of these types, in order, without repeats."""
        return list(dict.fromkeys(a.path for a in self.actions if a.type in types))


def command_argv(command: list[str] | str | None) -> list[str] | None:
    """A front-matter command as argv: a string is split like a shell would, without running one."""
    if command is None:
        return None
    argv = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    return argv or None


def output_root(workspace: Workspace, output: str) -> Path:
    """The real output folder: inside the workspace, a directory if it exists."""
    real = workspace.resolve_for_write(output or ".")
    if real.exists() and not real.is_dir():
        raise ToolError(f"output {output!r} is a file, not a folder")
    return real


def target_path(workspace: Workspace, root: Path, relative: str, template: str) -> Path:
    """The real path a template's ``to`` names; refused when it leaves ``root`` or the workspace."""
    if "\x00" in relative:
        raise TemplateError("`to` contains a NUL byte", template=template)
    if PurePosixPath(relative).is_absolute() or re.match(r"^[A-Za-z]:[\\/]", relative):
        raise TemplateError(
            f"`to` {relative!r} is absolute; give a path relative to the output folder", template=template
        )
    try:
        real = workspace.resolve(root / relative)
    except (PathOutsideWorkspace, PathTooLong) as exc:
        raise TemplateError(f"`to` {relative!r}: {exc}", template=template) from None
    if real != root and root not in real.parents:
        raise TemplateError(
            f"`to` {relative!r} leaves the output folder {workspace.relative(root)!r}", template=template
        )
    try:
        workspace.resolve_for_write(root / relative)
    except ProtectedPath as exc:
        raise TemplateError(f"`to` {relative!r}: {exc}", template=template) from None
    if real == root or real.is_dir():
        raise TemplateError(f"`to` {relative!r} is a folder, not a file", template=template)
    return real


def read_existing(path: Path, max_bytes: int) -> str | None:
    """The current text of a target (None when it does not exist)."""
    if not path.exists():
        return None
    size = path.stat().st_size
    if size > max_bytes:
        raise ToolError(f"{path.name} is {size} bytes; files over {max_bytes} bytes are not regenerated")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path.name} exists and is not UTF-8 text; move it away to generate it") from None


class Planner:
    """Decides the actions of a rendered set against the files on disk."""

    def __init__(self, workspace: Workspace, root: Path, *, force: bool, max_bytes: int) -> None:
        self.workspace = workspace
        self.root = root
        self.force = force
        self.max_bytes = max_bytes
        self.result = Planned()
        self._current: dict[Path, str | None] = {}
        self._written_by: dict[Path, str] = {}
        self._problems: list[str] = []

    def plan(self, rendered: list[RenderedFile]) -> Planned:
        """Plan every rendered file; raise one :class:`ToolError` listing every problem."""
        for item in rendered:
            try:
                self._plan_one(item)
            except ToolError as exc:
                self._problems.append(str(exc))
        if self._problems:
            raise ToolError("nothing was written: " + "; ".join(self._problems))
        return self.result

    def _plan_one(self, item: RenderedFile) -> None:
        name = item.source.name
        self.result.warnings.extend(item.notes)
        if item.output is None:
            self.result.warnings.append(f"{name} skipped: {item.skip_reason}")
            return
        real = target_path(self.workspace, self.root, item.output, name)
        if real not in self._current:
            self._current[real] = read_existing(real, self.max_bytes)
        old = self._current[real]
        action = self._inject(item, real, old) if item.front_matter.inject else self._write(item, real, old)
        fm = item.front_matter
        action.sh_before, action.sh_after = command_argv(fm.sh_before), command_argv(fm.sh_after)
        if action.type != "skip":
            self._current[real] = action.content
        self.result.actions.append(action)

    def _write(self, item: RenderedFile, real: Path, old: str | None) -> Action:
        name, rel, fm = item.source.name, self.workspace.relative(real), item.front_matter
        if real in self._written_by:
            raise TemplateError(f"writes {rel}, which {self._written_by[real]} also writes", template=name)
        self._written_by[real] = name
        before = sha256_text(old)
        if old is None:
            return Action("create", rel, name, item.content, before)
        if fm.unless_exists:
            return Action("skip", rel, name, before_sha256=before, reason="exists (unless_exists)")
        content, warnings = merge_regions(item.content, old, new_where=name, old_where=rel)
        self.result.warnings.extend(warnings)
        if content == old:
            return Action("skip", rel, name, before_sha256=before, reason="unchanged")
        if not (self.force or fm.force):
            raise TemplateError(
                f"{rel} exists; pass force=true to overwrite it (its MANUAL regions are kept)", template=name
            )
        return Action("overwrite", rel, name, content, before, backup=fm.backup)

    def _inject(self, item: RenderedFile, real: Path, old: str | None) -> Action:
        name, rel, fm = item.source.name, self.workspace.relative(real), item.front_matter
        before = sha256_text(old)
        if old is None:
            return Action("create", rel, name, item.content, before, snippet=item.content)
        result = inject(old, item.content, fm, path=rel)
        self.result.warnings.extend(result.warnings)
        if result.content is None:
            return Action("skip", rel, name, before_sha256=before, reason=result.skip_reason)
        return Action("inject", rel, name, result.content, before, snippet=item.content, backup=fm.backup)
