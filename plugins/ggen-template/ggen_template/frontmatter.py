"""Front matter: splitting a template file, and the keys it may hold (the keys ggen templates use).

A template file is optional YAML between a first line ``---`` and the next ``---`` line, then a Jinja2
body. The YAML is rendered with the variables before it is parsed (so ``to: src/{{ name | snake }}.py``
works); :class:`FrontMatter` validates the parsed mapping, and an unknown key is an error with a
did-you-mean.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ggen_template.errors import RenderLimitError, TemplateError

if TYPE_CHECKING:
    from ggen_template.settings import TemplateSettings

_FENCE = re.compile(r"^---[ \t]*\r?$")
_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*\r?$")
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


@dataclass(frozen=True)
class SplitTemplate:
    """A template file cut in two. ``body_line`` is the file line (1-based) where the body starts."""

    front_matter: str | None
    body: str
    front_matter_line: int
    body_line: int

    def padded_body(self) -> str:
        """The body behind a Jinja comment spanning the front matter's lines, so Jinja's line numbers are
        the file's and the output is unchanged."""
        return pad_lines(self.body, self.body_line)


def pad_lines(text: str, first_line: int) -> str:
    """``text`` as if it started on line ``first_line``: a comment of ``first_line - 1`` newlines first."""
    return "{#" + "\n" * (first_line - 1) + "#}" + text if first_line > 1 else text


def split_template(text: str, *, name: str = "template") -> SplitTemplate:
    """Separate the front matter from the body; a file without a first ``---`` line is all body."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\n")):
        return SplitTemplate(None, text, 2, 1)
    for index in range(1, len(lines)):
        if _CLOSE.match(lines[index].rstrip("\n")):
            return SplitTemplate("".join(lines[1:index]), "".join(lines[index + 1 :]), 2, index + 2)
    raise TemplateError(
        "the front matter opened by `---` on line 1 is never closed by a `---` line", template=name, line=1
    )


class VariableSpec(BaseModel):
    """A variable a template documents: what clients are told to pass."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, max_length=100, description="Variable name.")
    description: str | None = Field(None, max_length=2000, description="What it is for.")
    required: bool = Field(False, description="The render fails when it is missing and has no default.")
    default: Any = Field(None, description="Value used when the caller gives none.")
    type: Literal["string", "integer", "number", "boolean", "array", "object"] | None = Field(
        None, description="The JSON type clients should pass (shown by template_list/template_show)."
    )


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class FrontMatter(BaseModel):
    """Every key a template's front matter may hold; see ``docs/templates.md`` for each one."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: str | None = None
    from_: str | None = Field(None, alias="from")
    force: bool = False
    unless_exists: bool = False
    inject: bool = False
    before: str | None = None
    after: str | None = None
    prepend: bool = False
    append: bool = False
    at_line: int | None = Field(None, ge=1)
    skip_if: str | None = None
    idempotent: bool = False
    backup: bool = False
    sh_before: list[str] | str | None = None
    sh_after: list[str] | str | None = None
    base: str | None = None
    prefixes: dict[str, str] = Field(default_factory=dict)
    rdf_inline: list[str] = Field(default_factory=list)
    rdf: list[str] = Field(default_factory=list)
    rdf_example: list[str] = Field(default_factory=list)
    sparql: dict[str, str] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    shape: list[str] = Field(default_factory=list)
    determinism: int | str | None = None
    graph: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    variables: list[VariableSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and "sh" in data:
            data = dict(data)
            if "sh_before" in data:
                raise ValueError("give `sh` or `sh_before`, not both")
            data["sh_before"] = data.pop("sh")
        return data

    @field_validator("rdf_inline", "rdf", "rdf_example", "shape", "tags", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("sparql", mode="before")
    @classmethod
    def _named_queries(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, str):
            return {"default": value}
        if isinstance(value, list):
            return {f"query_{i}": query for i, query in enumerate(value)}
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not re.match(NAME_PATTERN, key):
                    raise ValueError(f"query name {key!r} must be an identifier (letters, digits, _)")
        return value

    @field_validator("vars", mode="before")
    @classmethod
    def _var_names(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not re.match(NAME_PATTERN, key):
                    raise ValueError(f"variable name {key!r} must be an identifier (letters, digits, _)")
        return value

    @field_validator("variables", mode="before")
    @classmethod
    def _variable_shorthand(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("determinism", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> Any:
        if isinstance(value, dict):
            unknown = set(value) - {"seed", "sort", "sort_order"}
            if unknown or "seed" not in value:
                raise ValueError("determinism is a seed, or a mapping with `seed` (and optionally `sort_order`)")
            value = value["seed"]
        if isinstance(value, bool):
            raise ValueError("determinism is a seed (a number or a string), not a boolean")
        return value

    @field_validator("skip_if")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"skip_if is not a valid regular expression: {exc}") from None
        return value

    @property
    def seed(self) -> str | None:
        """The determinism seed as text, or None."""
        return None if self.determinism is None else str(self.determinism)

    def defaults(self) -> dict[str, Any]:
        """Default variables: ``variables[].default`` and then ``vars`` (``vars`` wins)."""
        found = {v.name: v.default for v in self.variables if v.default is not None}
        found.update(self.vars)
        return found

    def injection_mode(self) -> str:
        """How an injection places its text: ggen's precedence prepend > append > before > after > at_line."""
        if self.prepend:
            return "prepend"
        if self.append:
            return "append"
        if self.before is not None:
            return "before"
        if self.after is not None:
            return "after"
        if self.at_line is not None:
            return "at_line"
        return "append"


KNOWN_KEYS: tuple[str, ...] = tuple(
    sorted({(f.alias or name) for name, f in FrontMatter.model_fields.items()} | {"sh"})
)


def unknown_keys(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Keys ``FrontMatter`` does not know, each with the closest known key (or None)."""
    found = []
    for key in data:
        if str(key) not in KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1, cutoff=0.6)
            found.append((str(key), close[0] if close else None))
    return found


def unknown_key_message(key: str, suggestion: str | None) -> str:
    """``unknown front-matter key 'too' (did you mean 'to'?)``."""
    hint = f" (did you mean {suggestion!r}?)" if suggestion else f"; known keys: {', '.join(KNOWN_KEYS)}"
    return f"unknown front-matter key {key!r}{hint}"


def safe_loader() -> Any:
    """PyYAML's safe loader, in C (libyaml) when the wheel has it: parsing front matter in pure Python was a
    fifth of template_render's server CPU in the load profile (docs/performance.md)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlBudget:
    """How far front matter may expand: ``template.max_yaml_expansion`` and ``template.max_nesting``."""

    max_expansion: int = 2 * 1024 * 1024
    max_depth: int = 32

    @classmethod
    def of(cls, settings: TemplateSettings) -> YamlBudget:
        """The budget the operator set."""
        return cls(max_expansion=settings.max_yaml_expansion, max_depth=settings.max_nesting)


def parse_yaml(text: str, *, name: str, first_line: int, budget: YamlBudget) -> dict[str, Any]:
    """Parse front-matter YAML (safe loader) into a mapping; errors name the file line and column.

    The document is composed first (libyaml's composer: an alias is one node shared, never a copy), its
    expansion counted on the node graph (:func:`check_expansion`), and only then made into Python values.
    """
    import yaml

    loader = safe_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        check_expansion(node, budget, name=name, first_line=first_line)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise TemplateError(
            f"front matter is not valid YAML: {problem}", template=name, line=line, column=column
        ) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"front matter is not valid YAML: {exc}", template=name) from None
    except RecursionError:  # pure-Python composer only (libyaml stops at 1,000 levels); its state is its own
        raise _too_deep(budget, name, first_line) from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TemplateError(
            f"front matter must be a mapping of keys, not {type(data).__name__}", template=name, line=first_line
        )
    return data


def check_expansion(root: Any, budget: YamlBudget, *, name: str, first_line: int) -> int:
    """The size of a composed YAML document once every alias is written out (characters of each scalar plus
    one per node), each anchored node counted once and its size reused: refused with
    :class:`RenderLimitError` as soon as it passes ``budget.max_expansion``, when collections nest deeper than
    ``budget.max_depth``, or when an alias refers to a node that contains it."""
    import yaml

    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if isinstance(node, yaml.ScalarNode):
            return 1 + len(node.value)
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                raise RenderLimitError(
                    "front matter has an alias inside the node it refers to (a recursive "
                    "anchor), which cannot be expanded",
                    template=name,
                    line=node.start_mark.line + first_line,
                )
            return known
        if depth > budget.max_depth:
            raise _too_deep(budget, name, node.start_mark.line + first_line)
        sizes[id(node)] = -1
        total = 1
        children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        for child in children:
            total += size(child, depth + 1)
            if total > budget.max_expansion:
                raise RenderLimitError(
                    f"front matter expands to more than {budget.max_expansion} characters once its aliases are "
                    "written out (template.max_yaml_expansion)",
                    template=name,
                    line=node.start_mark.line + first_line,
                )
        sizes[id(node)] = total
        return total

    return size(root, 1)


def _too_deep(budget: YamlBudget, name: str, line: int | None) -> RenderLimitError:
    return RenderLimitError(
        f"front matter nests deeper than {budget.max_depth} levels of lists and mappings (template.max_nesting)",
        template=name,
        line=line,
    )


def key_lines(text: str, first_line: int) -> dict[str, int]:
    """The file line of each top-level key of front-matter YAML (empty when it does not parse)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=safe_loader())
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + first_line for key, _ in node.value}


def build_front_matter(data: dict[str, Any], *, name: str, lines: dict[str, int] | None = None) -> FrontMatter:
    """Validate parsed front matter; the first problem raises :class:`TemplateError` naming its key."""
    lines = lines or {}
    for key, suggestion in unknown_keys(data):
        raise TemplateError(unknown_key_message(key, suggestion), template=name, line=lines.get(key))
    try:
        return FrontMatter.model_validate(data)
    except ValidationError as exc:
        problems = front_matter_problems(exc)
        key, message = problems[0]
        raise TemplateError(message, template=name, line=lines.get(key)) from None


def front_matter_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(top-level key, readable message) for each validation error."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        key = loc[0] if loc else ""
        where = ".".join(loc) or "front matter"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append((key, f"front-matter key {where!r}: {message}"))
    return problems
