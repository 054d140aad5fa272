"""How deeply a template may nest (``template.max_nesting``), decided before anything recurses on it.

Jinja's parser, its code generator and Python's compiler all recurse on nesting: 5,000 nested parentheses
were a ``RecursionError`` in ``template_validate``, 21 nested ``{% for %}`` loops a ``SyntaxError`` from
Python ("too many statically nested blocks"), 100 nested ``{% if %}`` an ``IndentationError``. Two checks
keep every template inside what they handle:

- :class:`NestingGuard` wraps Jinja's own token stream: while the parser pulls tokens it counts open
  brackets, open blocks (``{% if %}``, ``{% for %}``, ``{% macro %}``...), runs of prefix operators
  (``not``, ``-``) and ``else`` chains of conditional expressions, the things the parser recurses on, and
  stops the parse at the first token past the limit, so the parser never recurses further than that;
- :func:`check_tree` walks the parsed tree (without recursion) before code is generated: no branch may
  nest deeper than the limit (``a + b + c ...``, ``x|f|g ...`` and ``x.a.b ...`` are nested nodes too) and
  loops may nest at most :data:`MAX_LOOP_NESTING` deep.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2 import nodes
from jinja2.lexer import Token, TokenStream

from ggen_template.errors import RenderLimitError

MAX_LOOP_NESTING = 16
"""Loops inside loops: Python's compiler refuses more than 20 nested blocks in one function."""

_OPEN = frozenset({"lparen", "lbracket", "lbrace"})
_CLOSE = frozenset({"rparen", "rbracket", "rbrace"})
_OPERAND_END = frozenset({"name", "string", "integer", "float", *_CLOSE})
_KEYWORDS = frozenset({"not", "and", "or", "in", "is", "if", "else"})
_BLOCK_TAGS = frozenset({"for", "if", "macro", "call", "filter", "block", "with", "autoescape", "trans"})
_PREFIX = frozenset({"add", "sub"})
_FLAT = (nodes.Template, nodes.Output)


def nesting_error(depth: int, limit: int, name: str | None, line: int | None, what: str = "") -> RenderLimitError:
    """``templates/x.tmpl line 3: nests 41 levels deep; the limit is 32 (template.max_nesting)``."""
    return RenderLimitError(
        f"{what or 'the template'} nests {depth} levels deep (brackets, blocks and operators inside each "
        f"other); the limit is {limit} (template.max_nesting)",
        template=name,
        line=line,
    )


class NestingGuard:
    """Counts nesting as Jinja's parser reads the tokens of one template."""

    def __init__(self, limit: int, name: str | None) -> None:
        self.limit = limit
        self.name = name
        self.blocks = 0
        self._reset_expression()
        self._tag: str | None = None
        self._assigned = False
        self._previous = "data"

    def _reset_expression(self) -> None:
        self.brackets: list[int] = []  # the prefix-operator run open outside each bracket
        self.saved_runs = 0
        self.run = 0
        self.elses = 0

    @property
    def depth(self) -> int:
        return self.blocks + len(self.brackets) + self.saved_runs + self.run + self.elses

    def wrap(self, stream: TokenStream) -> TokenStream:
        """The same tokens, counted as the parser reads them."""
        return TokenStream(self._counted(stream), stream.name, stream.filename)

    def _counted(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            self.feed(token)
            if self.depth > self.limit:
                raise nesting_error(self.depth, self.limit, self.name, token.lineno)
            yield token

    def feed(self, token: Token) -> None:
        kind, value = token.type, token.value
        if kind in ("block_begin", "variable_begin"):
            self._reset_expression()
            self._tag = "" if kind == "block_begin" else None
            self._assigned = False
            self._previous = kind
            return
        if kind in ("block_end", "variable_end"):
            if self._tag == "set" and not self._assigned:
                self.blocks += 1
            self._reset_expression()
            self._tag = None
            self._previous = kind
            return
        if self._tag == "" and kind == "name":
            self._block_tag(str(value))
            self._previous = "block_begin"  # what follows a tag name starts an expression
            return
        self._expression(kind, value)
        self._previous = f"name:{value}" if kind == "name" and value in _KEYWORDS else kind

    def _block_tag(self, tag: str) -> None:
        self._tag = tag
        if tag in _BLOCK_TAGS:
            self.blocks += 1
        elif tag.startswith("end") and self.blocks:
            self.blocks -= 1

    def _expression(self, kind: str, value: object) -> None:
        prefix_position = self._previous not in _OPERAND_END
        if kind == "assign" and not self.brackets:
            self._assigned = True
        if kind in _OPEN:
            self.brackets.append(self.run)
            self.saved_runs += self.run
            self.run = 0
        elif kind in _CLOSE:
            self.run = 0
            if self.brackets:
                self.saved_runs -= self.brackets.pop()
        elif prefix_position and (kind in _PREFIX or (kind == "name" and value == "not")):
            self.run += 1
        elif kind == "name" and value == "else":
            self.elses += 1
        elif kind in _OPERAND_END:
            self.run = 0


def check_tree(tree: nodes.Template, limit: int, name: str | None) -> None:
    """Refuse a parsed template whose tree nests deeper than ``limit``, or whose loops nest deeper than
    :data:`MAX_LOOP_NESTING`, before code is generated from it (walked with a list, not recursion)."""
    stack: list[tuple[nodes.Node, int, int]] = [(tree, 0, 0)]
    while stack:
        node, depth, loops = stack.pop()
        children = list(node.iter_child_nodes())
        if children and not isinstance(node, _FLAT):
            depth += 1
            if depth > limit:
                raise nesting_error(depth, limit, name, getattr(node, "lineno", None))
        if isinstance(node, nodes.For):
            loops += 1
            if loops > MAX_LOOP_NESTING:
                raise RenderLimitError(
                    f"{{% for %}} loops nest {loops} deep; the limit is {MAX_LOOP_NESTING} (Python's compiler "
                    "refuses more than 20 nested blocks)",
                    template=name,
                    line=node.lineno,
                )
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            loops = 0  # a macro body is a function of its own
        stack.extend((child, depth, loops) for child in children)
