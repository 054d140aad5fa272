"""Finding templates: a file, a directory (a template set) or a ``pack-id:path`` reference.

A reference is tried, in order, as a workspace path, as a name under the workspace's ``templates/``
folder (with or without ``.tmpl``/``.j2``), and, when it looks like ``pack-id:path``, through the
``ggen_resolve_template`` hook (the market pack implements it; without it local templates still work).
In a directory every ``*.tmpl`` and ``*.j2`` file below it is a template of the set, sorted by path,
except partials: files whose name starts with one ``_`` (``_macros.tmpl``, not ``__init__.py.tmpl``) are
only included or imported by the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ggen_mcp_core import PathOutsideWorkspace, ToolError
from ggen_template.errors import TemplateError

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_template.settings import TemplateSettings

TEMPLATE_SUFFIXES = (".tmpl", ".j2")
MAX_REF_LENGTH = 500


@dataclass(frozen=True)
class TemplateSource:
    """One template file: its real path, the name shown to clients, and the root of its set."""

    path: Path
    name: str
    root: Path
    relative: str
    pack: str | None = None

    @property
    def directory(self) -> Path:
        """The folder relative paths in the front matter (``rdf``, ``shape``, ``from``) start from."""
        return self.path.parent

    def default_output(self) -> str:
        """The output path when the front matter has no ``to``: the relative path without the suffix."""
        for suffix in TEMPLATE_SUFFIXES:
            if self.relative.endswith(suffix):
                return self.relative[: -len(suffix)]
        return self.relative + ".out"


@dataclass(frozen=True)
class TemplateSet:
    """What a reference resolved to: one template or several, with the root they share."""

    ref: str
    root: Path
    sources: tuple[TemplateSource, ...]
    is_directory: bool


def is_partial(name: str) -> bool:
    """``_macros.tmpl`` is a partial; ``__init__.py.tmpl`` is not (a double underscore is a real name)."""
    return name.startswith("_") and not name.startswith("__")


def is_template_file(path: Path) -> bool:
    """A ``*.tmpl`` or ``*.j2`` file that is not a partial."""
    return path.suffix in TEMPLATE_SUFFIXES and not is_partial(path.name)


def locate(ref: str, workspace: Workspace, settings: TemplateSettings, resolver: Any = None) -> TemplateSet:
    """Resolve ``ref`` to a template set; ``resolver(ref) -> Path | None`` is the host's hook."""
    _check_ref(ref)
    for candidate in _local_candidates(ref, settings):
        real = _try_resolve(workspace, candidate)
        if real is not None and (real.is_file() or real.is_dir()):
            return _as_set(ref, real, workspace, settings, pack=None)
    if ":" in ref and resolver is not None:
        found = resolver(ref)
        if found is not None:
            real = _inside(workspace, Path(found), ref)
            if real.exists():
                return _as_set(ref, real, workspace, settings, pack=ref.partition(":")[0])
    hint = " (pack references look like `pack-id:path` and need the pack installed)" if ":" in ref else ""
    looked = ", ".join(_local_candidates(ref, settings))
    raise TemplateError(f"template {ref!r} not found; looked for {looked}{hint}")


def _check_ref(ref: str) -> None:
    if not ref.strip():
        raise TemplateError("template reference is empty")
    if len(ref) > MAX_REF_LENGTH:
        raise TemplateError(f"template reference is longer than {MAX_REF_LENGTH} characters")
    if "\x00" in ref:
        raise TemplateError("template reference contains a NUL byte")


def _local_candidates(ref: str, settings: TemplateSettings) -> list[str]:
    folder = settings.templates_dir.rstrip("/")
    candidates = [ref, f"{folder}/{ref}"]
    if not ref.endswith(TEMPLATE_SUFFIXES):
        candidates += [f"{folder}/{ref}{suffix}" for suffix in TEMPLATE_SUFFIXES]
    return list(dict.fromkeys(candidates))


def _try_resolve(workspace: Workspace, candidate: str) -> Path | None:
    try:
        return workspace.resolve(candidate)
    except PathOutsideWorkspace:
        if ":" in candidate:
            return None
        raise


def _inside(workspace: Workspace, path: Path, ref: str) -> Path:
    try:
        return workspace.resolve(str(path))
    except PathOutsideWorkspace:
        raise ToolError(f"the resolver gave a path outside the workspace for {ref!r}") from None


def _as_set(ref: str, real: Path, workspace: Workspace, settings: TemplateSettings, *, pack: str | None) -> TemplateSet:
    if real.is_file():
        source = TemplateSource(real, _display(ref, real, workspace, pack), real.parent, real.name, pack)
        return TemplateSet(ref, real.parent, (source,), False)
    files = list(_walk(real, workspace, settings))
    if not files:
        raise TemplateError(f"template set {ref!r} holds no *.tmpl or *.j2 templates")
    sources = tuple(
        TemplateSource(path, _display(_joined(ref, rel), path, workspace, pack), real, rel, pack) for path, rel in files
    )
    return TemplateSet(ref, real, sources, True)


def _display(ref: str, real: Path, workspace: Workspace, pack: str | None) -> str:
    """Pack templates are shown by reference (``pack-id:path``), workspace ones by workspace path."""
    return ref if pack is not None else workspace.relative(real)


def _joined(ref: str, relative: str) -> str:
    return f"{ref}{relative}" if ref.endswith((":", "/")) else f"{ref}/{relative}"


def _walk(root: Path, workspace: Workspace, settings: TemplateSettings) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if not is_template_file(path):
                continue
            real = workspace.resolve(path)
            if root != real and root not in real.parents:
                raise PathOutsideWorkspace(f"{workspace.relative(path)} links outside the template set")
            found.append((real, path.relative_to(root).as_posix()))
            if len(found) > settings.max_templates:
                raise TemplateError(
                    f"template set has more than {settings.max_templates} templates (template.max_templates)"
                )
    return sorted(found, key=lambda item: item[1])
