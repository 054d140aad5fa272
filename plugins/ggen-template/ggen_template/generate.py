"""One generation job from template reference to planned actions: locate, render, plan (no writes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ggen_template.actions import Planned, Planner, output_root
from ggen_template.engine import Renderer, RenderOptions, ShapeChecker, StoreReader
from ggen_template.errors import TemplateError
from ggen_template.sources import TemplateSet, locate

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_template.engine import RenderedFile
    from ggen_template.settings import TemplateSettings

Resolver = Callable[[str], "Path | None"]


@dataclass
class Job:
    """What a caller asked to generate."""

    template: str
    variables: dict[str, Any] = field(default_factory=dict)
    output: str = "."
    seed: str | None = None
    graph: str | None = None
    force: bool = False


@dataclass
class Prepared:
    """A rendered and planned job."""

    job: Job
    template_set: TemplateSet
    rendered: list[RenderedFile]
    planned: Planned
    root: Path

    def variables_used(self) -> dict[str, Any]:
        """The variables the templates rendered with (caller values and defaults)."""
        return variables_used(self.rendered)


def variables_used(rendered: list[RenderedFile]) -> dict[str, Any]:
    """Every variable of every rendered template, first value wins."""
    found: dict[str, Any] = {}
    for item in rendered:
        for key, value in item.variables.items():
            found.setdefault(key, value)
    return found


class Generator:
    """Renders and plans jobs in one workspace with one set of settings."""

    def __init__(
        self,
        workspace: Workspace,
        settings: TemplateSettings,
        *,
        resolver: Resolver | None = None,
        store_reader: StoreReader | None = None,
        shape_checker: ShapeChecker | None = None,
    ) -> None:
        self.workspace = workspace
        self.settings = settings
        self.resolver = resolver
        self.store_reader = store_reader
        self.shape_checker = shape_checker

    def render(self, job: Job) -> tuple[TemplateSet, list[RenderedFile]]:
        """Locate and render every template of the job."""
        template_set = locate(job.template, self.workspace, self.settings, self.resolver)
        options = RenderOptions(
            job.variables,
            seed=job.seed,
            graph=job.graph,
            store_reader=self.store_reader,
            shape_checker=self.shape_checker,
        )
        renderer = Renderer(self.workspace, self.settings, options)
        rendered = renderer.render_set(template_set)
        if template_set.is_directory:
            refuse_set_wide_variables(job, rendered, self.workspace, self.settings)
        return template_set, rendered

    def prepare(self, job: Job) -> Prepared:
        """Render the job and plan its actions against the files on disk."""
        root = output_root(self.workspace, job.output)
        template_set, rendered = self.render(job)
        planner = Planner(self.workspace, root, force=job.force, max_bytes=self.settings.max_total_bytes)
        return Prepared(job, template_set, rendered, planner.plan(rendered), root)


def refuse_set_wide_variables(
    job: Job, rendered: list[RenderedFile], workspace: Workspace, settings: TemplateSettings
) -> None:
    """Refuse a caller variable that cannot apply to a whole set: one that names the output file of two
    templates of the set, which would then write the same file (``module`` on a pack of two templates)."""
    by_output: dict[str, list[RenderedFile]] = {}
    for item in rendered:
        if item.output is not None and not item.front_matter.inject:
            by_output.setdefault(PurePosixPath(item.output).as_posix(), []).append(item)
    for output, items in by_output.items():
        if len(items) < 2:
            continue
        culprits = set(job.variables)
        for item in items:
            culprits &= _to_variables(item, workspace, settings)
        if culprits:
            names = " and ".join(item.source.name for item in items[:2])
            shown = ", ".join(f"`{name}`" for name in sorted(culprits))
            raise TemplateError(
                f"{shown} cannot apply to the whole set {job.template!r}: it names the output file of "
                f"{names}, which would both write {output}; generate one template of the set "
                f"(e.g. {items[0].source.name!r}) to pass it"
            )


def _to_variables(item: RenderedFile, workspace: Workspace, settings: TemplateSettings) -> set[str]:
    """The variables the template's ``to`` (as written) reads."""
    from jinja2 import Environment, TemplateSyntaxError, meta

    from ggen_template.frontmatter import YamlBudget, split_template
    from ggen_template.frontmatter_outline import parse_outline

    try:
        text = workspace.read_text(item.source.path, max_bytes=settings.max_template_bytes)
        front_matter = split_template(text, name=item.source.name).front_matter or ""
        to = parse_outline(front_matter, name=item.source.name, budget=YamlBudget.of(settings)).get("to")
        tree = Environment(autoescape=False).parse(str(to or ""))  # noqa: S701  # nosec B701 -- parsed, never rendered
    except (TemplateError, TemplateSyntaxError, UnicodeDecodeError, RecursionError):
        return set()
    return set(meta.find_undeclared_variables(tree))
