"""What templates exist and what they need: ``template_list`` and ``template_show``.

Front matter is read as written, without rendering (:mod:`ggen_template.frontmatter_outline`), so a
template whose front matter holds ``{% if %}`` still shows its description and variables.

Workspace templates are the ``*.tmpl``/``*.j2`` files under ``templates/`` (partials, ``_name.tmpl``,
are left out). Installed packs are read from ``ggen.lock`` (``[[packs]]`` id and version) and their
folder ``.ggen/packs/<id>/<version>/``; a pack template is listed as ``<id>:<path>`` only when the
``ggen_resolve_template`` hook resolves that reference to the same file, so what is listed can be used.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ggen_mcp_core import ToolError
from ggen_template.errors import RenderLimitError, TemplateError
from ggen_template.frontmatter import YamlBudget, split_template
from ggen_template.frontmatter_outline import parse_outline
from ggen_template.models import TemplateDetails, TemplateInfo, VariableInfo, json_type
from ggen_template.sources import TemplateSource, is_template_file

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_template.checks import TemplateChecker
    from ggen_template.settings import TemplateSettings

Resolver = Callable[[str], "Path | None"]
LOCKFILE = "ggen.lock"


def describe(
    text: str, name: str, checker: TemplateChecker, directory: Path
) -> tuple[dict[str, Any] | None, list[VariableInfo]]:
    """The raw front matter and the variables (declared first, then the ones only used)."""
    split = split_template(text, name=name)
    raw = _raw_front_matter(split.front_matter, name, YamlBudget.of(checker.settings))
    declared = _declared(raw or {})
    report = checker.check(text, name, directory, raise_limits=True)
    known = {v.name for v in declared}
    used = [VariableInfo(name=v, declared=False) for v in report.variables_detected if v not in known]
    return raw, [*declared, *used]


def _raw_front_matter(text: str | None, name: str, budget: YamlBudget) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        return parse_outline(text, name=name, first_line=2, budget=budget)
    except RenderLimitError:
        raise
    except TemplateError:
        return None


def _declared(raw: dict[str, Any]) -> list[VariableInfo]:
    found: dict[str, VariableInfo] = {}
    for item in raw.get("variables") or []:
        spec = {"name": item} if isinstance(item, str) else item
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            declared_type = spec.get("type")
            found[spec["name"]] = VariableInfo(
                name=spec["name"],
                type=declared_type if isinstance(declared_type, str) else json_type(spec.get("default")),
                description=spec.get("description") if isinstance(spec.get("description"), str) else None,
                required=bool(spec.get("required", False)),
                default=spec.get("default"),
            )
    defaults = raw.get("vars")
    if isinstance(defaults, dict):
        for key, value in defaults.items():
            info = found.setdefault(str(key), VariableInfo(name=str(key)))
            info.default = value
            info.type = info.type or json_type(value)
    return list(found.values())


def template_info(
    source_name: str,
    path: Path,
    origin: str,
    workspace: Workspace,
    settings: TemplateSettings,
    checker: TemplateChecker,
) -> TemplateInfo:
    """A listing entry; a template whose front matter does not parse is listed with its error."""
    info = TemplateInfo(name=source_name, path=workspace.relative(path), source=origin)
    try:
        text = _read(path, workspace, settings)
        raw, variables = describe(text, source_name, checker, path.parent)
    except (ToolError, UnicodeDecodeError, OSError) as exc:
        info.error = str(exc)
        return info
    raw = raw or {}
    info.description = raw.get("description") if isinstance(raw.get("description"), str) else None
    tags = raw.get("tags")
    info.tags = [str(t) for t in tags] if isinstance(tags, list) else [str(tags)] if isinstance(tags, str) else []
    info.variables = variables
    return info


def _read(path: Path, workspace: Workspace, settings: TemplateSettings) -> str:
    """A template file's text, refused past ``template.max_template_bytes`` before it is read."""
    size = path.stat().st_size
    if size > settings.max_template_bytes:
        raise TemplateError(
            f"is {size} bytes; the limit is {settings.max_template_bytes} (template.max_template_bytes)",
            template=workspace.relative(path),
        )
    try:
        return workspace.read_text(path, max_bytes=settings.max_template_bytes)
    except UnicodeDecodeError:
        raise TemplateError("is not UTF-8 text", template=workspace.relative(path)) from None


def workspace_templates(workspace: Workspace, settings: TemplateSettings) -> Iterator[tuple[str, Path]]:
    """(name, real path) of each template under the workspace ``templates/`` folder."""
    folder = workspace.resolve(settings.templates_dir)
    if not folder.is_dir():
        return
    yield from _walk(folder, workspace, lambda rel: _strip_suffix(rel))


def pack_templates(workspace: Workspace, resolver: Resolver | None) -> Iterator[tuple[str, str, Path]]:
    """(pack id, reference, real path) of each template of each pack in ``ggen.lock`` the resolver confirms."""
    if resolver is None:
        return
    for pack_id, version in _locked_packs(workspace):
        try:
            folder = workspace.resolve(f".ggen/packs/{pack_id}/{version}")
        except ToolError:
            continue
        if not folder.is_dir():
            continue
        prefix = f"{pack_id}:"
        for ref, path in _walk(folder, workspace, prefix.__add__):
            found = resolver(ref)
            if found is not None and Path(found).resolve() == path:
                yield pack_id, ref, path


def _locked_packs(workspace: Workspace) -> list[tuple[str, str]]:
    lock = workspace.root / LOCKFILE
    if not lock.is_file():
        return []
    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return []
    packs = data.get("packs")
    if not isinstance(packs, list):
        return []
    return [
        (str(p["id"]), str(p["version"]))
        for p in packs
        if isinstance(p, dict)
        and isinstance(p.get("id"), str)
        and isinstance(p.get("version"), str)
        and "/" not in p["id"]
        and ".." not in p["id"]
        and "/" not in p["version"]
        and ".." not in p["version"]
    ]


def _walk(folder: Path, workspace: Workspace, name_of: Callable[[str], str]) -> Iterator[tuple[str, Path]]:
    for directory, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if not is_template_file(path):
                continue
            try:
                real = workspace.resolve(path)
            except ToolError:
                continue
            yield name_of(path.relative_to(folder).as_posix()), real


def _strip_suffix(relative: str) -> str:
    for suffix in (".tmpl", ".j2"):
        if relative.endswith(suffix):
            return relative[: -len(suffix)]
    return relative


def details(
    source: TemplateSource, workspace: Workspace, settings: TemplateSettings, checker: TemplateChecker
) -> TemplateDetails:
    """Front matter, body and variables of one template."""
    text = _read(source.path, workspace, settings)
    split = split_template(text, name=source.name)
    raw, variables = describe(text, source.name, checker, source.directory)
    raw = raw or {}
    tags = raw.get("tags")
    return TemplateDetails(
        front_matter=raw or None,
        front_matter_text=split.front_matter,
        body=split.body,
        description=raw.get("description") if isinstance(raw.get("description"), str) else None,
        tags=[str(t) for t in tags] if isinstance(tags, list) else [],
        variables=variables,
    )
