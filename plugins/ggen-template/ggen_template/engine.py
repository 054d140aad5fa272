"""Rendering templates: front matter first, then the template's graph and queries, then the body.

The order follows ggen's own render pipeline, with the caller's variables winning over the
front matter's defaults:

1. the front matter is rendered with the caller's variables (and the defaults it declares) and parsed;
2. variables = ``variables[].default`` < ``vars`` < the caller's values; required ones must be there;
3. ``graph``/``rdf``/``rdf_inline`` are loaded (``rdf_example`` only when no graph is given), ``shape``
   is checked, ``sparql`` queries run;
4. the body (or the ``from`` file) is rendered in the sandbox with the variables, ``sparql_results``
   and the functions.

Every failure is a :class:`TemplateError` naming the template and, when known, the line.
"""

from __future__ import annotations

import random
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.exceptions import SecurityError

from ggen_mcp_core import ToolError
from ggen_template import casing
from ggen_template.errors import RenderLimitError, TemplateError
from ggen_template.frontmatter import (
    FrontMatter,
    VariableSpec,
    YamlBudget,
    build_front_matter,
    key_lines,
    pad_lines,
    parse_yaml,
    split_template,
)
from ggen_template.frontmatter_outline import declared_defaults
from ggen_template.loader import WorkspaceLoader
from ggen_template.rdfdata import QueryResult, TemplateGraph, body_functions
from ggen_template.sandbox import CODE_CACHE, RenderGuard, TemplateSandbox

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_template.settings import TemplateSettings
    from ggen_template.sources import TemplateSet, TemplateSource

StoreReader = Callable[[str], str]
ShapeChecker = Callable[[TemplateGraph, list[Path], str], None]


@dataclass
class RenderedFile:
    """One template's result: where it goes (relative to the output folder) and what it holds."""

    source: TemplateSource
    front_matter: FrontMatter
    output: str | None
    content: str
    variables: dict[str, Any] = field(default_factory=dict)
    skip_reason: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RenderOptions:
    """What one call renders with."""

    variables: Mapping[str, Any]
    seed: str | None = None
    graph: str | None = None
    store_reader: StoreReader | None = None
    shape_checker: ShapeChecker | None = None


class Renderer:
    """Renders the templates of one call, sharing one sandbox, one deadline and one output budget."""

    def __init__(self, workspace: Workspace, settings: TemplateSettings, options: RenderOptions) -> None:
        self.workspace = workspace
        self.settings = settings
        self.options = options
        self.guard = RenderGuard(
            timeout=settings.render_timeout,
            max_bytes=settings.max_output_bytes,
            max_iterations=settings.max_loop_iterations,
            max_nesting=settings.max_nesting,
        )
        self.yaml_budget = YamlBudget.of(settings)
        self.rng = random.Random()
        self.total_bytes = 0
        self._envs: dict[tuple[Path, Path], TemplateSandbox] = {}

    # -- environments ------------------------------------------------------------------------------

    def env_for(self, source: TemplateSource) -> TemplateSandbox:
        """The sandbox for ``source``: includes resolve from its folder, its set's root, then ``templates/``."""
        key = (source.root, source.directory)
        env = self._envs.get(key)
        if env is None:
            templates_dir = self.workspace.root / self.settings.templates_dir
            roots = [source.directory, source.root, templates_dir]
            loader = WorkspaceLoader(self.workspace, roots, max_bytes=self.settings.max_template_bytes)
            env = TemplateSandbox(self.guard, loader=loader)
            env.globals.update(self._random_functions())
            # pass_context: a seeded choice must run at render time, never folded into cached code
            env.filters["random"] = jinja2.pass_context(lambda _ctx, seq: self.rng.choice(list(seq)) if seq else "")
            self._envs[key] = env
        return env

    def _random_functions(self) -> dict[str, Callable[..., Any]]:
        """``random()``, ``randint()``, ``choice()``, ``shuffle()``, ``uuid()`` on the current template's generator."""

        def random_() -> float:
            return self.rng.random()

        def randint(low: Any, high: Any) -> int:
            return self.rng.randint(int(low), int(high))

        def choice(seq: Any) -> Any:
            return self.rng.choice(list(seq))

        def shuffle(seq: Any) -> list[Any]:
            items = list(seq)
            self.rng.shuffle(items)
            return items

        def uuid_() -> str:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

        return {"random": random_, "randint": randint, "choice": choice, "shuffle": shuffle, "uuid": uuid_}

    # -- rendering ---------------------------------------------------------------------------------

    def render_set(self, template_set: TemplateSet) -> list[RenderedFile]:
        """Render every template of a set, in order."""
        return [self.render(source) for source in template_set.sources]

    def render(self, source: TemplateSource) -> RenderedFile:
        """Render one template file."""
        text = self._read_template(source.path, source.name)
        split = split_template(text, name=source.name)
        env = self.env_for(source)
        fm = self._front_matter(env, split.front_matter, source.name)
        variables = self._variables(fm, source.name)
        self._seed(fm, source)
        output = self._output(fm, source)
        if output == "":
            return RenderedFile(source, fm, None, "", variables, skip_reason="`to` rendered empty")
        results, functions = self._graph_data(fm, source)
        body_name, body = self._body(fm, source, split.padded_body())
        context = {**functions, "sparql_results": results, **variables}
        content = self._render_body(env, body, body_name, context)
        notes = []
        if fm.rdf_example and not (self.options.graph or fm.graph):
            notes.append(
                f"{source.name}: no `graph` given, so it rendered from its example ontology "
                f"({', '.join(fm.rdf_example)}); pass `graph` to generate from yours"
            )
        self.total_bytes += len(content.encode("utf-8"))
        if self.total_bytes > self.settings.max_total_bytes:
            raise RenderLimitError(
                f"the rendered files exceed {self.settings.max_total_bytes} bytes together (template.max_total_bytes)",
                template=source.name,
            )
        return RenderedFile(source, fm, output, content, variables, notes=notes)

    def _read_template(self, path: Path, name: str) -> str:
        try:
            return self.workspace.read_text(path, max_bytes=self.settings.max_template_bytes)
        except UnicodeDecodeError:
            raise TemplateError("is not UTF-8 text", template=name) from None

    def _front_matter(self, env: TemplateSandbox, raw: str | None, name: str) -> FrontMatter:
        if raw is None:
            return FrontMatter()
        defaults, required = self._early_defaults(raw, name)
        self._require(required, {**defaults, **self.options.variables}, name)
        context = {**defaults, **self.options.variables}
        rendered = self._render_text(env, pad_lines(raw, 2), name, context)
        data = parse_yaml(rendered, name=name, first_line=2, budget=self.yaml_budget)
        return build_front_matter(data, name=name, lines=key_lines(rendered, 2))

    def _early_defaults(self, raw: str, name: str) -> tuple[dict[str, Any], list[VariableSpec]]:
        """``vars`` and ``variables`` defaults, and required variables, read before the front matter is rendered."""
        lenient = TemplateSandbox(self.guard, undefined=jinja2.ChainableUndefined)

        def rendered(text: str) -> str:  # Jinja where YAML cannot hold it unrendered (`to: {{ x }}.py`)
            return self._render_text(lenient, text, name, dict(self.options.variables))

        return declared_defaults(raw, name=name, budget=self.yaml_budget, fallback=rendered)

    def _require(self, required: list[VariableSpec], variables: Mapping[str, Any], name: str) -> None:
        missing = [v for v in required if v.name not in variables]
        if missing:
            described = ", ".join(f"{v.name!r}" + (f" ({v.description})" if v.description else "") for v in missing)
            raise TemplateError(f"missing required variable {described}; pass it in `vars`", template=name)

    def _variables(self, fm: FrontMatter, name: str) -> dict[str, Any]:
        variables = {**fm.defaults(), **self.options.variables}
        self._require([v for v in fm.variables if v.required], variables, name)
        if isinstance(variables.get("name"), str) and "Name" not in variables:
            variables["Name"] = casing.pascal(variables["name"])
        return variables

    def _seed(self, fm: FrontMatter, source: TemplateSource) -> None:
        seed = self.options.seed if self.options.seed is not None else fm.seed
        self.rng = random.Random(f"{seed}\x00{source.relative}") if seed is not None else random.Random()

    def _output(self, fm: FrontMatter, source: TemplateSource) -> str:
        if fm.to is None:
            return source.default_output()
        return fm.to.strip()

    def _graph_data(self, fm: FrontMatter, source: TemplateSource) -> tuple[dict[str, QueryResult], dict[str, Any]]:
        graph = TemplateGraph(fm, self.settings, name=source.name)
        named = self.options.graph or None
        if named and self.options.store_reader is not None:
            graph.load_store_graph(self._store_triples(named, source.name), f"workspace graph {named!r}")
        graph.load_front_matter(
            source.directory,
            lambda p: self._read_rdf(p, source.name),
            self._store_reader_for(source.name),
            graph_given=bool(named),
        )
        graph.ensure_loaded()
        if fm.shape:
            self._check_shapes(graph, fm, source)
        results = graph.run_front_matter_queries()
        return results, body_functions(graph, results)

    def _store_reader_for(self, name: str) -> StoreReader | None:
        if self.options.store_reader is None:
            return None
        return lambda graph_name: self._store_triples(graph_name, name)

    def _store_triples(self, graph_name: str, template: str) -> str:
        reader = self.options.store_reader
        if reader is None:
            raise TemplateError("reading a workspace graph needs the graph pack's store", template=template)
        try:
            return reader(graph_name)
        except ToolError as exc:
            raise TemplateError(str(exc), template=template) from None

    def _check_shapes(self, graph: TemplateGraph, fm: FrontMatter, source: TemplateSource) -> None:
        checker = self.options.shape_checker
        if checker is None:
            raise TemplateError("`shape` needs SHACL validation, which is not available", template=source.name)
        paths = [self._inside(source.directory / shape, source.name, "shape file") for shape in fm.shape]
        checker(graph, paths, source.name)

    def _read_rdf(self, path: Path, name: str) -> str:
        real = self._inside(path, name, "rdf file")
        try:
            return self.workspace.read_text(real, max_bytes=self.settings.max_rdf_bytes)
        except ToolError as exc:
            raise TemplateError(str(exc), template=name) from None

    def _inside(self, path: Path, name: str, what: str) -> Path:
        try:
            real = self.workspace.resolve(path)
        except ToolError as exc:
            raise TemplateError(f"{what}: {exc}", template=name) from None
        if not real.is_file():
            raise TemplateError(f"{what} {self._shown(path)} does not exist", template=name)
        return real

    def _shown(self, path: Path) -> str:
        try:
            return self.workspace.relative(Path(path))
        except ValueError:
            return str(path)

    def _body(self, fm: FrontMatter, source: TemplateSource, padded: str) -> tuple[str, str]:
        if fm.from_ is None:
            return source.name, padded
        real = self._inside(source.directory / fm.from_, source.name, "`from` file")
        name = self.workspace.relative(real)
        return name, split_template(self._read_template(real, name), name=name).padded_body()

    def _render_body(self, env: TemplateSandbox, body: str, name: str, context: dict[str, Any]) -> str:
        return self._render_text(env, body, name, context)

    def _render_text(self, env: TemplateSandbox, source: str, name: str, context: Mapping[str, Any]) -> str:
        try:
            code = CODE_CACHE.compile(env, source, name)
            template = env.template_class.from_code(env, code, env.make_globals(None))
            return env.render_chunks(template.generate(context), name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"Jinja syntax error: {exc.message}", template=exc.filename or name, line=exc.lineno
            ) from None
        except TemplateError as exc:
            if exc.line is not None:
                raise
            raise type(exc)(exc.detail, *_at(exc, exc.template or name)) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{exc.message}", *_at(exc, name)) from None
        except SecurityError as exc:
            raise TemplateError(f"refused by the sandbox: {exc}", *_at(exc, name)) from None
        except RecursionError:
            raise TemplateError("recursion too deep (a macro or include that calls itself?)", template=name) from None
        except ToolError as exc:
            raise TemplateError(str(exc), *_at(exc, name)) from None
        except (
            TypeError,
            ValueError,
            ArithmeticError,
            LookupError,
            AttributeError,
            OverflowError,
            jinja2.TemplateError,
        ) as exc:
            raise TemplateError(f"{type(exc).__name__}: {exc}", *_at(exc, name)) from None


def _at(exc: BaseException, name: str) -> tuple[str, int | None]:
    return _where(exc, name)


def _where(exc: BaseException, name: str) -> tuple[str, int | None]:
    """The template file and line where ``exc`` happened: the innermost frame of a template."""
    found: tuple[str, int | None] = (name, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<"):
            found = (frame.filename, frame.lineno)
    return found
