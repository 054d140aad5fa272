"""``ggen-mcp pack new NAME``: a third-party pack in the one pack layout (docs/plugins.md, "Pack layout").

The pack is a template set (``ggen_template/scaffold/``) rendered by this pack's own engine (the
:class:`~ggen_template.engine.Renderer` and its sandbox), then written through the host's write policy
(:meth:`ggen_mcp_core.Workspace.write_atomic`, the folder the pack is created in being the workspace).
Nothing is overwritten: the pack's folder must not exist. A name the host would refuse at registration (a
first-party prefix, the section of the host or of an installed pack) is refused here, before anything is written.
"""

from __future__ import annotations

import keyword
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import click
import structlog

from ggen_mcp_core import ToolError, Workspace, __version__
from ggen_mcp_core.registration import RESERVED_PREFIXES
from ggen_template.settings import TemplateSettings

log = structlog.get_logger(__name__)
TEMPLATES = Path(__file__).parent / "scaffold"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME_LENGTH = 32
EXAMPLE_VERB = "hello"


class ScaffoldError(Exception):
    """The pack cannot be created; the message says why, and nothing was written."""


@dataclass(frozen=True)
class PackNames:
    """Every name a pack called ``name`` uses, derived in one place."""

    name: str

    @property
    def distribution(self) -> str:
        return "ggen-mcp-" + self.name.replace("_", "-")

    @property
    def package(self) -> str:
        return "ggen_mcp_" + self.name

    @property
    def prefix(self) -> str:
        return self.name + "_"

    @property
    def tool(self) -> str:
        return self.prefix + EXAMPLE_VERB

    @property
    def section(self) -> str:
        return self.name

    @property
    def env_prefix(self) -> str:
        return "GGEN_MCP_" + self.name.upper()

    def variables(self) -> dict[str, str]:
        """The template variables (``Name`` is added by the renderer: ``weather_radar`` -> ``WeatherRadar``)."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "package": self.package,
            "prefix": self.prefix,
            "tool": self.tool,
            "section": self.section,
            "env_prefix": self.env_prefix,
            "host_version": __version__,
        }


def pack_names(name: str) -> PackNames:
    """Check ``name`` and derive the pack's names; :class:`ScaffoldError` says what is wrong with it."""
    if not NAME_PATTERN.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a pack name: use lower-case letters, digits and single underscores, starting with a "
            "letter (it becomes the tool prefix, the settings section and part of a Python package name)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"pack name {name!r} is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}")
    if keyword.iskeyword(name):
        raise ScaffoldError(f"pack name {name!r} is a Python keyword; choose another")
    names = PackNames(name)
    for prefix, owner in RESERVED_PREFIXES.items():
        if names.tool.startswith(prefix):
            raise ScaffoldError(
                f"pack name {name!r} gives tools the prefix {names.prefix!r}, inside {prefix!r}, which is reserved "
                f"for the first-party distribution {owner}; the host would refuse every tool of the pack"
            )
    taken = taken_sections()
    if name in taken:
        raise ScaffoldError(f"pack name {name!r} is the settings section of {taken[name]}; choose another")
    return names


def taken_sections() -> dict[str, str]:
    """Settings sections in use: the host's own keys and the ``SETTINGS_SECTION`` of every installed pack."""
    import importlib

    import importlib_metadata

    from ggen_mcp_core.config import Settings

    taken = {key: "the host (ggen-mcp)" for key in Settings.model_fields}
    taken.update({"core": "the host (ggen-mcp)"})  # ggen_mcp_core is the host's package
    for entry_point in importlib_metadata.entry_points(group="ggen_mcp.plugins"):
        taken.setdefault(entry_point.name, f"the installed pack {entry_point.name!r}")
        try:
            module = importlib.import_module(str(entry_point.value).split(":")[0])
        except Exception:  # a broken installed pack does not stop a new one being created
            log.debug("pack not importable", plugin=entry_point.name, exc_info=True)
            continue
        section = getattr(module, "SETTINGS_SECTION", None)
        if isinstance(section, tuple) and section and isinstance(section[0], str):
            taken.setdefault(section[0], f"the installed pack {entry_point.name!r}")
    return taken


def render_pack(names: PackNames) -> list[tuple[str, str]]:
    """The pack's files as (path relative to the pack's folder, content), rendered from the template set."""
    from ggen_template.engine import Renderer, RenderOptions  # jinja2: imported when a pack is made, not at start
    from ggen_template.sources import locate

    settings = TemplateSettings()
    templates = Workspace(TEMPLATES)
    renderer = Renderer(templates, settings, RenderOptions(variables=names.variables(), seed="scaffold"))
    files = []
    for source in locate(".", templates, settings).sources:
        rendered = renderer.render(source)
        if rendered.output is None:
            raise ScaffoldError(f"scaffold template {source.name} rendered no output path")
        files.append((rendered.output, rendered.content))
    return files


def create_pack(name: str, directory: Path, *, protected_paths: tuple[str, ...] = ()) -> tuple[Path, list[str]]:
    """Create the pack ``name`` in ``directory`` (which must exist); its folder and the files written."""
    names = pack_names(name)
    if not directory.is_dir():
        raise ScaffoldError(f"{directory} is not an existing folder")
    files = render_pack(names)
    workspace = Workspace(directory, protected_paths=protected_paths)
    try:
        root = workspace.resolve_for_write(names.distribution)
    except ToolError as exc:
        raise ScaffoldError(str(exc)) from None
    written = workspace.root / names.distribution  # as named: a link there, even a dangling one, is in the way
    if root.exists() or written.exists() or written.is_symlink():
        raise ScaffoldError(f"{written} already exists; nothing was written (remove it or choose another name)")
    from ggen_template.actions import target_path

    try:
        for relative, content in files:
            workspace.write_atomic(target_path(workspace, root, relative, "scaffold"), content)
    except BaseException as exc:
        shutil.rmtree(root, ignore_errors=True)  # it did not exist before: all or nothing
        if isinstance(exc, ToolError):
            raise ScaffoldError(str(exc)) from None
        raise
    return root, sorted(relative for relative, _ in files)


@click.group(name="pack")
def pack_group() -> None:
    """Create packs (plugins) for ggen-mcp."""


@pack_group.command(name="new")
@click.argument("name")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create the pack's folder (ggen-mcp-NAME) in.",
)
def new_pack(name: str, directory: Path) -> None:
    """Create the pack NAME (its tools are NAME_*) in the one pack layout, with a passing test."""
    try:
        names = pack_names(name)
    except ScaffoldError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    try:
        root, files = create_pack(names.name, directory)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {root} ({names.distribution}, tool {names.tool}):")
    for relative in files:
        click.echo(f"  {relative}")
    click.echo(f"next: cd {root} && pip install -e '.[test]' && pytest")


def add_commands(cli: click.Group) -> None:
    """Add ``ggen-mcp pack new``."""
    cli.add_command(pack_group)
