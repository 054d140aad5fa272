"""Front matter that holds Jinja, read without rendering it: what it declares, for listing and validation.

Front matter is Jinja rendered into YAML (``{% if example %}rdf: [graphs/example.ttl]{% endif %}``). What
a template *declares* (its description, tags, variables and their defaults) must be readable before any
variable is known. :func:`outline` walks Jinja's own token stream (the lexer the renderer uses, not a
pattern over the text) and keeps the YAML a render could produce, structurally:

- text outside tags is kept as written; ``{{ expression }}`` is kept as written (a quoted YAML value such as
  ``to: "{{ module }}.sql"`` stays a string showing the expression);
- ``{% if %}`` keeps its first branch (``elif``/``else`` branches are left out: one consistent reading, no
  duplicate keys); a ``{% for %}`` body is kept once, its ``{% else %}`` left out;
- ``{% set %}``, ``{% macro %}`` and ``{% call %}`` bodies, comments and other statements are left out;
- lines stay where they were, so a YAML error or a key points at its line in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from ggen_template.errors import TemplateError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ggen_template.frontmatter import VariableSpec, YamlBudget

# tags that open a block closed by `end<tag>`, and whether the block's body is text the render outputs
_BODY_KEPT = {"if": True, "for": True, "filter": True, "with": True, "block": True, "autoescape": True}
_BODY_LEFT_OUT = {"macro", "call", "set", "trans"}
_BRANCHES = {"elif", "else"}
_LEXER_ENV = jinja2.Environment(keep_trailing_newline=True, autoescape=False)  # noqa: S701  # nosec B701 -- only its lexer is used


@dataclass
class _Frame:
    tag: str
    keeps: bool


class _Outline:
    def __init__(self, first_line: int) -> None:
        self.parts: list[str] = []
        self.line = first_line
        self.frames: list[_Frame] = []

    @property
    def emitting(self) -> bool:
        return all(frame.keeps for frame in self.frames)

    def emit(self, lineno: int, text: str) -> None:
        if not self.emitting or not text:
            return
        if lineno > self.line:  # whitespace control or left-out parts removed newlines: put them back
            self.parts.append("\n" * (lineno - self.line))
            self.line = lineno
        self.parts.append(text)
        self.line += text.count("\n")

    def statement(self, lineno: int, words: list[str]) -> None:
        tag = words[0] if words else ""
        if tag in _BODY_KEPT or (tag in _BODY_LEFT_OUT and not (tag == "set" and "=" in words)):
            self.frames.append(_Frame(tag, _BODY_KEPT.get(tag, False)))
        elif tag in _BRANCHES and self.frames and self.frames[-1].tag in ("if", "for"):
            self.frames[-1].keeps = False
        elif tag.startswith("end") and tag[3:] in (*_BODY_KEPT, *_BODY_LEFT_OUT):
            if not self.frames or self.frames[-1].tag != tag[3:]:
                raise TemplateError(f"front matter: `{{% {tag} %}}` closes no `{{% {tag[3:]} %}}`", line=lineno)
            self.frames.pop()


def outline(text: str, *, first_line: int = 2) -> str:
    """The YAML of front matter ``text`` with its Jinja tags resolved structurally (see the module)."""
    state = _Outline(first_line)
    tokens = _tokens(text, first_line)
    for lineno, kind, value in tokens:
        if kind == "data":
            state.emit(lineno, value)
        elif kind == "variable_begin":
            state.emit(lineno, value + "".join(v for _, _, v in _until(tokens, "variable_end")))
        elif kind == "block_begin":
            words = [v for _, k, v in _until(tokens, "block_end") if k in ("name", "operator")]
            state.statement(lineno, words)
        elif kind == "comment_begin":
            for _ in _until(tokens, "comment_end"):
                pass
    if state.frames:
        raise TemplateError(f"front matter: `{{% {state.frames[-1].tag} %}}` is never closed", line=None)
    return "".join(state.parts)


def _tokens(text: str, first_line: int) -> Iterator[tuple[int, str, str]]:
    try:
        for lineno, kind, value in list(_LEXER_ENV.lex(text)):
            yield lineno + first_line - 1, kind, value
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"front matter: Jinja syntax error: {exc.message}", line=exc.lineno + first_line - 1
        ) from None


def _until(tokens: Iterator[tuple[int, str, str]], end: str) -> Iterator[tuple[int, str, str]]:
    for token in tokens:
        yield token
        if token[1] == end:
            return


def parse_outline(text: str, *, name: str, budget: YamlBudget, first_line: int = 2) -> dict[str, Any]:
    """The front matter as written, parsed: :func:`outline` read as YAML (errors name the file line)."""
    from ggen_template.frontmatter import parse_yaml

    try:
        shape = outline(text, first_line=first_line)
    except TemplateError as exc:
        raise TemplateError(exc.detail, template=name, line=exc.line) from None
    padded = "\n" * (first_line - 1) + shape  # the outline's lines are file lines
    return parse_yaml(padded, name=name, first_line=1, budget=budget)


def top_level_keys(text: str) -> set[str]:
    """The top-level keys front matter ``text`` may hold (empty when it does not read as YAML)."""
    from ggen_template.frontmatter import key_lines

    try:
        shape = outline(text)
    except TemplateError:
        return set()
    return set(key_lines(shape, 2))


def declared_defaults(
    text: str, *, name: str, budget: YamlBudget, fallback: Callable[[str], str] | None = None
) -> tuple[dict[str, Any], list[VariableSpec]]:
    """The defaults front matter ``text`` declares (``variables[].default``, then ``vars``) and its required
    variables, read before anything is rendered: what the renderer renders the front matter with, and what
    the validator checks it with.

    Front matter whose Jinja YAML cannot hold unrendered (``to: {{ x }}.py``, unquoted) is read from
    ``fallback(text)`` (a lenient render) instead; when that does not parse either, the outline's error
    (with the file's lines) is raised."""
    from ggen_template.errors import RenderLimitError
    from ggen_template.frontmatter import VariableSpec, parse_yaml

    try:
        data = parse_outline(text, name=name, budget=budget)
    except RenderLimitError:
        raise
    except TemplateError as first:
        if fallback is None:
            raise
        try:
            data = parse_yaml(fallback(text), name=name, first_line=2, budget=budget)
        except RenderLimitError:
            raise
        except TemplateError:
            raise first from None
    specs = []
    for item in data.get("variables") or []:
        if isinstance(item, dict):
            try:
                specs.append(VariableSpec.model_validate(item))
            except ValueError:
                continue
    found: dict[str, Any] = {v.name: v.default for v in specs if v.default is not None}
    if isinstance(data.get("vars"), dict):
        found.update({str(k): v for k, v in data["vars"].items()})
    return found, [v for v in specs if v.required]
