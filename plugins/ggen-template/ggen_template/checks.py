"""Checking a template without rendering it for real: what ``template_validate`` and ``template_create`` report.

Errors (the template would fail): an unclosed front matter, Jinja syntax errors in the front matter or the
body, YAML errors, unknown keys (with a did-you-mean), keys of the wrong type, SPARQL syntax errors and
refused query forms, inline Turtle syntax errors, missing ``rdf``/``shape``/``from`` files, and variables
the template reads that are neither declared (``variables``), defaulted (``vars``) nor bound in the
template itself (``{% set %}``, loops, macros). Warnings: keys that have no effect, commands that need
``template.allow_shell``, and checks that cannot be made before the variables are known (a path or a
query built with ``{{ }}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta, nodes
from pydantic import ValidationError

from ggen_mcp_core import ToolError
from ggen_template.errors import RenderLimitError, TemplateError, undefined_variable
from ggen_template.frontmatter import (
    FrontMatter,
    YamlBudget,
    front_matter_problems,
    key_lines,
    pad_lines,
    parse_yaml,
    split_template,
    unknown_key_message,
    unknown_keys,
)
from ggen_template.frontmatter_outline import declared_defaults, parse_outline
from ggen_template.models import Problem, TemplateReport
from ggen_template.rdfdata import FUNCTION_NAMES, TemplateGraph
from ggen_template.sandbox import RANDOM_FUNCTIONS, RenderGuard, TemplateSandbox

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace
    from ggen_template.settings import TemplateSettings

INJECTION_KEYS = ("before", "after", "prepend", "append", "at_line", "skip_if", "idempotent")
CONTEXT_NAMES = frozenset({"sparql_results", *FUNCTION_NAMES, *RANDOM_FUNCTIONS})
_TEMPLATED = re.compile(r"\{\{|\{%")


@dataclass
class Findings:
    """Errors and warnings as they are found."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    limit: RenderLimitError | None = None

    def error(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.errors.append(Problem(message=message, line=line, column=column))

    def warn(self, message: str, line: int | None = None) -> None:
        self.warnings.append(Problem(message=message, line=line))

    def add(self, exc: TemplateError) -> None:
        self.error(exc.detail, exc.line, exc.column)
        if isinstance(exc, RenderLimitError) and self.limit is None:
            self.limit = exc


class TemplateChecker:
    """Validates template text; ``directory`` is where its relative paths start."""

    def __init__(self, workspace: Workspace, settings: TemplateSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.guard = guard = RenderGuard(
            timeout=settings.render_timeout,
            max_bytes=settings.max_output_bytes,
            max_iterations=settings.max_loop_iterations,
            max_nesting=settings.max_nesting,
        )
        self.yaml_budget = YamlBudget.of(settings)
        self.env = TemplateSandbox(guard)
        self.lenient = TemplateSandbox(guard, undefined=jinja2.ChainableUndefined)

    def check(self, text: str, name: str, directory: Path, *, raise_limits: bool = False) -> TemplateReport:
        """Every finding for one template; with ``raise_limits`` a template past a limit (its front matter's
        expansion, its nesting) raises that :class:`RenderLimitError` instead (what a listing shows). Each
        check has its own deadline and loop budget (template.render_timeout, template.max_loop_iterations)."""
        self.guard.restart()
        found = Findings()
        try:
            split = split_template(text, name=name)
        except TemplateError as exc:
            found.add(exc)
            return _report(name, found, [], None)
        used: dict[str, int] = {}
        raw_data, fm = self._front_matter(split.front_matter, name, directory, found, used)
        body = split.padded_body()
        if fm is not None and fm.from_ is not None and not _TEMPLATED.search(fm.from_):
            body = self._from_body(directory / fm.from_, name, found) or body
        self._jinja(body, name, found, used)
        self._variables(fm, raw_data, used, found)
        if raise_limits and found.limit is not None:
            raise found.limit
        return _report(name, found, sorted(used), raw_data)

    # -- front matter ------------------------------------------------------------------------------

    def _front_matter(
        self, raw: str | None, name: str, directory: Path, found: Findings, used: dict[str, int]
    ) -> tuple[dict[str, Any] | None, FrontMatter | None]:
        if raw is None:
            return None, FrontMatter()
        if not self._jinja(pad_lines(raw, 2), name, found, used):
            return None, None
        raw_data = _raw_yaml(raw, name, self.yaml_budget)
        try:
            # rendered with the defaults it declares, as the renderer does when the caller passes no vars
            defaults = self._defaults(raw, name)
            rendered = self.lenient.from_string(raw).render(defaults)
            data = parse_yaml(rendered, name=name, first_line=2, budget=self.yaml_budget)
        except TemplateError as exc:
            found.add(exc)
            return raw_data, None
        except Exception as exc:
            found.error(f"front matter cannot be rendered: {exc}")
            return raw_data, None
        lines = key_lines(rendered, 2)
        for key, suggestion in unknown_keys(data):
            found.error(unknown_key_message(key, suggestion), lines.get(key))
        try:
            fm = FrontMatter.model_validate({k: v for k, v in data.items() if k not in dict(unknown_keys(data))})
        except ValidationError as exc:
            for key, message in front_matter_problems(exc):
                found.error(message, lines.get(key))
            return raw_data, None
        self._front_matter_content(fm, raw_data or {}, directory, found, lines)
        return raw_data, fm

    def _defaults(self, raw: str, name: str) -> dict[str, Any]:
        """The defaults the front matter declares (what the renderer uses): read as written, or else from a
        lenient render without variables."""
        lenient = self.lenient
        return declared_defaults(
            raw, name=name, budget=self.yaml_budget, fallback=lambda text: lenient.from_string(text).render()
        )[0]

    def _front_matter_content(
        self, fm: FrontMatter, raw: dict[str, Any], directory: Path, found: Findings, lines: dict[str, int]
    ) -> None:
        for key, paths in (
            ("rdf", fm.rdf),
            ("rdf_example", fm.rdf_example),
            ("shape", fm.shape),
            ("from", [fm.from_] if fm.from_ else []),
        ):
            for index, path in enumerate(paths):
                if _TEMPLATED.search(str(_raw_item(raw, key, index))):
                    found.warn(f"`{key}` path {path!r} depends on variables; checked at render time", lines.get(key))
                else:
                    self._exists(directory / path, key, found, lines.get(key))
        self._rdf_inline(fm, raw, found, lines.get("rdf_inline"))
        self._queries(fm, raw, found, lines.get("sparql"))
        for key in ("sh_before", "sh_after"):
            if getattr(fm, key):
                found.warn(f"`{key}` runs only when the operator sets template.allow_shell = true", lines.get(key))
        if not fm.inject:
            for key in INJECTION_KEYS:
                if key in raw:
                    found.warn(f"`{key}` has no effect without `inject: true`", lines.get(key))
        if fm.graph:
            found.warn(f"`graph` {fm.graph!r} is read from the workspace store at render time", lines.get("graph"))

    def _exists(self, path: Path, key: str, found: Findings, line: int | None) -> None:
        try:
            real = self.workspace.resolve(path)
        except ToolError as exc:
            found.error(f"`{key}`: {exc}", line)
            return
        if not real.is_file():
            found.error(f"`{key}` file {self._shown(path)} does not exist", line)

    def _shown(self, path: Path) -> str:
        try:
            return self.workspace.relative(Path(path).resolve())
        except ValueError:
            return str(path)

    def _rdf_inline(self, fm: FrontMatter, raw: dict[str, Any], found: Findings, line: int | None) -> None:
        for index, snippet in enumerate(fm.rdf_inline):
            graph = TemplateGraph(fm, self.settings, name="", cache=None)
            try:
                graph.load_turtle(snippet, f"rdf_inline[{index}]")
                graph.ensure_loaded()
            except TemplateError as exc:
                self._templated_or_error(_raw_item(raw, "rdf_inline", index), exc.detail, found, line)

    def _queries(self, fm: FrontMatter, raw: dict[str, Any], found: Findings, line: int | None) -> None:
        graph = TemplateGraph(fm, self.settings, name="", cache=None)
        raw_queries = raw.get("sparql")
        for index, (query_name, query) in enumerate(fm.sparql.items()):
            try:
                graph.run(query, label=f"sparql query {query_name!r}")
            except TemplateError as exc:
                raw_text = _raw_query(raw_queries, query_name, index)
                self._templated_or_error(raw_text, exc.detail, found, line)

    def _templated_or_error(self, raw_text: Any, message: str, found: Findings, line: int | None) -> None:
        if _TEMPLATED.search(str(raw_text)):
            found.warn(f"{message} (it depends on variables; checked again at render time)", line)
        else:
            found.error(message, line)

    def _from_body(self, path: Path, name: str, found: Findings) -> str | None:
        try:
            real = self.workspace.resolve(path)
            if real.is_file():
                text = self.workspace.read_text(real, max_bytes=self.settings.max_template_bytes)
                return split_template(text, name=name).padded_body()
        except (ToolError, UnicodeDecodeError) as exc:
            found.error(f"`from` file cannot be read: {exc}")
        return None

    # -- Jinja and variables -----------------------------------------------------------------------

    def _jinja(self, source: str, name: str, found: Findings, used: dict[str, int]) -> bool:
        try:
            tree = self.env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            found.error(f"Jinja syntax error: {exc.message}", exc.lineno)
            return False
        except TemplateError as exc:  # a limit: nesting deeper than template.max_nesting
            found.add(exc)
            return False
        undeclared = meta.find_undeclared_variables(tree)
        # a name the template binds anywhere ({% set %} in an {% if %} branch, a macro argument) is its own
        bound = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
        provided = CONTEXT_NAMES | set(self.env.globals) | bound
        for node in tree.find_all(nodes.Name):
            if node.name in undeclared and node.name not in used and node.name not in provided:
                used[node.name] = node.lineno
        return True

    def _variables(
        self, fm: FrontMatter | None, raw: dict[str, Any] | None, used: dict[str, int], found: Findings
    ) -> None:
        if fm is not None:
            declared = {v.name for v in fm.variables} | set(fm.vars)
        elif raw is not None:  # the front matter has other errors: what it declares, as written
            declared = _declared_names(raw)
        else:
            return
        if "name" in declared:
            declared.add("Name")
        for name in sorted(used, key=lambda n: used[n]):
            if name in declared:
                continue
            found.error(undefined_variable(name), used[name])


def _report(name: str, found: Findings, used: list[str], raw: dict[str, Any] | None) -> TemplateReport:
    return TemplateReport(
        template=name,
        valid=not found.errors,
        errors=found.errors,
        warnings=found.warnings,
        variables_detected=used,
        front_matter=raw,
    )


def _raw_yaml(raw: str, name: str, budget: YamlBudget) -> dict[str, Any] | None:
    try:
        return parse_outline(raw, name=name, first_line=2, budget=budget)
    except TemplateError:
        return None


def _raw_item(raw: dict[str, Any], key: str, index: int) -> Any:
    value = raw.get(key)
    if isinstance(value, list):
        return value[index] if index < len(value) else ""
    return value if value is not None else ""


def _raw_query(raw: Any, name: str, index: int) -> Any:
    if isinstance(raw, dict):
        return raw.get(name, "")
    if isinstance(raw, list):
        return raw[index] if index < len(raw) else ""
    return raw or ""


def _declared_names(raw: dict[str, Any]) -> set[str]:
    names = {str(key) for key in raw.get("vars") or {}} if isinstance(raw.get("vars"), dict) else set()
    listed = raw.get("variables")
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            names.add(item["name"])
    return names
