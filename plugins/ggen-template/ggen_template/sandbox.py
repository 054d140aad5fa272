"""The Jinja2 sandbox every template renders in, with a deadline and size limits.

:class:`TemplateSandbox` is an ``ImmutableSandboxedEnvironment`` (Jinja2 >= 3.1.6: no ``__class__`` walks,
no ``str.format`` or ``|attr`` escapes, no mutation of lists and dicts) with ``StrictUndefined``, plus
what the sandbox alone does not give against a hostile template:

- a **deadline**: every loop iteration, every call and every output chunk checks the clock, so a
  ``{% for %}`` nest that emits nothing still stops (:class:`RenderGuard`);
- an **iteration budget** across all loops of a render;
- **size limits** on what can amplify memory: ``*``, ``**``, ``+``, ``%``, ``~``, ``join``, padding
  and replacement methods and filters; the rendered output is capped too;
- **bounded text**: every conversion of a value to text (``{{ }}`` through ``finalize``, ``~``, ``%``,
  ``format``, ``join``, ``string``, ``pprint``, ``tojson``, the filters that call ``str()``) first counts
  a lower bound of the text on the value, each shared part once (:func:`ggen_mcp_core.result_budget.json_floor`),
  against ``template.max_output_bytes``: ``[[0]*100000]*1000`` is 0.8 MB in memory and 300 MB as text;
- **bounded nesting**: the parser's tokens and the parsed tree are counted against ``template.max_nesting``
  before anything recurses on them (:mod:`ggen_template.nesting`);
- no ``lipsum``, a ``range`` that honours the deadline, and a ``random`` filter that follows the seed.

The loop and concatenation guards are inserted into the parsed template (:meth:`TemplateSandbox._parse`),
so compiled code carries them; compiled code is cached by name and source digest across renders.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from types import BuiltinMethodType, CodeType
from typing import Any, cast

from jinja2 import StrictUndefined, nodes, pass_context, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.lexer import TokenStream
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, Macro, markup_join, str_join
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, missing

from ggen_mcp_core.result_budget import ResultRefused, json_floor
from ggen_template.errors import RenderLimitError
from ggen_template.nesting import NestingGuard, check_tree

_WIDTH = re.compile(r"%[-#0 +]*(\d+)|\{[^{}]*?:[^{}]*?(\d+)[^{}]*\}")
_DICT_ATTRIBUTES = frozenset(dir(dict))
_ROW_TYPES: set[type] = set()
_PUBLIC_API_TYPES = frozenset({TemplateModule, LoopContext})  # attributes without `_` are their public API
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_CODE_CACHE_SIZE = 512
RANDOM_FUNCTIONS = ("random", "randint", "choice", "shuffle", "uuid")
GUARD_FILTER = "ggen_loop_guard"
CONCAT_FILTER = "ggen_concat_guard"
TEXT_FILTERS = frozenset(
    {
        "capitalize",
        "center",
        "e",
        "escape",
        "forceescape",
        "indent",
        "lower",
        "replace",
        "safe",
        "string",
        "striptags",
        "title",
        "trim",
        "truncate",
        "upper",
        "urlencode",
        "urlize",
        "wordcount",
        "wordwrap",
        "xmlattr",
    }
)
"""Built-in filters that turn their input into text with ``str()`` (ggen's own filters all do too)."""
_TEXT_RESULTS = frozenset(
    {CONCAT_FILTER, "join", "string", "pprint", "tojson", "format"} | (TEXT_FILTERS - {"wordcount"})
)
"""Filters that return text already bounded: ``{{ x | upper }}`` needs no second count before it is written."""


class _OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, leaving ``finalize`` (the count of a value's text) out where the value is the
    text a bounded filter returned: one call less per ``{{ name | snake }}``."""

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> None:
        super()._output_child_pre(node, frame, _UNFINALIZED if _is_text(node) else finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> None:
        super()._output_child_post(node, frame, _UNFINALIZED if _is_text(node) else finalize)


_UNFINALIZED = CodeGenerator._FinalizeInfo(None, None)


def _is_text(node: nodes.Expr) -> bool:
    from ggen_template.filters import GGEN_FILTERS

    return isinstance(node, nodes.Filter) and (node.name in _TEXT_RESULTS or node.name in GGEN_FILTERS)


class RenderGuard:
    """The budget of one render: a deadline, a loop-iteration budget and a size cap."""

    def __init__(self, *, timeout: float, max_bytes: int, max_iterations: int, max_nesting: int = 32) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.max_bytes = max_bytes
        self.max_iterations = max_iterations
        self.max_nesting = max_nesting
        self.iterations = 0

    def restart(self) -> None:
        """A fresh deadline and loop budget (each template a listing checks gets its own)."""
        self.deadline = time.monotonic() + self.timeout
        self.iterations = 0

    def check(self) -> None:
        """Raise :class:`RenderLimitError` when the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering exceeded {self.timeout:g} s (template.render_timeout)")

    def tick(self) -> None:
        """Count one loop iteration and check the budget and (every 256 iterations) the clock."""
        self.iterations += 1
        if self.iterations > self.max_iterations:
            raise RenderLimitError(
                f"rendering exceeded {self.max_iterations} loop iterations (template.max_loop_iterations)"
            )
        if not self.iterations & 0xFF:
            self.check()

    def size(self, length: int, what: str = "a value") -> None:
        """Refuse ``what`` when it would be longer than the output cap."""
        if length > self.max_bytes:
            raise RenderLimitError(
                f"{what} would be {length} characters; the limit is {self.max_bytes} (template.max_output_bytes)"
            )

    def text(self, value: Any, what: str) -> None:
        """Refuse turning ``value`` into text (``str()``, ``repr()``, JSON) when its text would pass the output
        cap: a list holding the same big list a thousand times is small in memory, huge as text. Counted on
        the value, each shared part once, before any text is made."""
        if not isinstance(value, str):
            self.text_size(value, what, self.max_bytes)

    def texts(self, values: Iterable[Any], what: str) -> None:
        """Refuse formatting ``values`` into one text (``%``, ``format()``) when their texts together would pass
        the output cap."""
        total = 0
        for value in values:
            total += len(value) if isinstance(value, str) else self.text_size(value, what, self.max_bytes - total)
            if total > self.max_bytes:
                raise RenderLimitError(
                    f"{what} would be more than {self.max_bytes} characters (template.max_output_bytes)"
                )

    def text_size(self, value: Any, what: str, budget: int) -> int:
        """A lower bound of the length of ``value``'s text, or :class:`RenderLimitError` once it passes ``budget``."""
        try:
            return json_floor(_namespace_attributes(value) if isinstance(value, Namespace) else value, budget)
        except ResultRefused as exc:
            if exc.size is None:
                raise RenderLimitError(f"{what}: the value {exc.reason}") from None
            raise RenderLimitError(
                f"{what} would be more than {self.max_bytes} characters (template.max_output_bytes)"
            ) from None


def _namespace_attributes(namespace: Namespace) -> dict[str, Any]:
    """A ``namespace()``'s attributes (its text is theirs), read past ``Namespace.__getattribute__``."""
    return cast(dict[str, Any], object.__getattribute__(namespace, "_Namespace__attrs"))


class VariableUndefined(StrictUndefined):
    """StrictUndefined whose message for a missing variable is :func:`~ggen_template.errors.undefined_variable`."""

    @property
    def _undefined_message(self) -> str:
        if not self._undefined_hint and self._undefined_obj is missing and isinstance(self._undefined_name, str):
            from ggen_template.errors import undefined_variable

            return undefined_variable(self._undefined_name)
        return str(StrictUndefined._undefined_message.fget(self))  # type: ignore[attr-defined]


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """The sandboxed environment of one render (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _OutputCodeGenerator

    def __init__(self, guard: RenderGuard, **options: Any) -> None:
        options.setdefault("undefined", VariableUndefined)
        options.setdefault("autoescape", False)
        options.setdefault("keep_trailing_newline", True)
        super().__init__(**options)
        self.guard = guard
        self.globals.pop("lipsum", None)
        self.globals["range"] = self._range
        self.globals["fail"] = _fail
        self.finalize = self._finalize
        self.filters.update(_guarded_filters(self))
        self.filters.update(_text_checked_filters(self))
        # pass_context keeps Jinja's optimizer from running the guard at compile time on constant lists
        self.filters[GUARD_FILTER] = pass_context(lambda _context, iterable: self._loop_guard(iterable))
        self.filters[CONCAT_FILTER] = pass_eval_context(lambda eval_ctx, operands: self._concat(eval_ctx, operands))

    # -- parsing: insert the guards ------------------------------------------------------------------

    def _tokenize(
        self, source: str, name: str | None, filename: str | None = None, state: str | None = None
    ) -> TokenStream:
        """Jinja's tokens, counted for nesting as the parser reads them (:mod:`ggen_template.nesting`)."""
        return NestingGuard(self.guard.max_nesting, name).wrap(super()._tokenize(source, name, filename, state))

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        try:
            tree = super()._parse(source, name, filename)
        except RecursionError:  # a backstop: the parser builds new nodes only, nothing shared is left half-done
            raise _too_deep(self.guard.max_nesting, name, "Jinja's parser") from None
        check_tree(tree, self.guard.max_nesting, name)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = _filter(cast(nodes.Expr, loop.iter), GUARD_FILTER)
        _wrap_concats(tree)
        return tree

    def _generate(
        self, source: nodes.Template, name: str | None, filename: str | None, defer_init: bool = False
    ) -> str:
        try:
            return super()._generate(source, name, filename, defer_init)
        except RecursionError:
            raise _too_deep(self.guard.max_nesting, name, "Jinja's code generator") from None

    def _compile(self, source: str, filename: str) -> CodeType:
        try:
            return super()._compile(source, filename)
        except (RecursionError, SyntaxError, MemoryError):  # Python's compiler: nesting it cannot take
            raise _too_deep(self.guard.max_nesting, filename, "Python's compiler") from None

    def _finalize(self, value: Any) -> Any:
        """Every ``{{ value }}`` before it is written: its text counted first."""
        if type(value) is not str:
            self.guard.text(value, "an output value")
        return value

    def _loop_guard(self, iterable: Iterable[Any]) -> Iterator[Any]:
        guard = self.guard
        for item in iterable:
            guard.tick()
            yield item

    def _concat(self, eval_ctx: EvalContext, operands: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``: each operand's text counted before it is made, then joined as Jinja joins them."""
        guard = self.guard
        for operand in operands:
            if type(operand) is not str:
                guard.texts(operands, "a `~` concatenation")
                break
        text: str = (markup_join if eval_ctx.autoescape else str_join)(operands)
        guard.size(len(text), "a `~` concatenation")
        return text

    def _range(self, *args: int) -> Iterator[int]:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise RenderLimitError(f"range() of {len(numbers)} numbers; the limit is {MAX_RANGE}")
        return self._loop_guard(numbers)

    # -- operators and calls -------------------------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``row.name`` on plain data: a dict's item comes straight back (items are data, never unsafe).

        A SPARQL row's variable wins over a dict method of the same name (``row.values`` is ``?values``);
        on other dicts the item is returned only when no dict attribute has that name, as Jinja would.
        """
        kind = type(obj)
        if (kind is dict and attribute not in _DICT_ATTRIBUTES) or kind in _ROW_TYPES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        elif kind in _PUBLIC_API_TYPES and not attribute.startswith("_"):
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.guard.check()
        if operator == "*":
            _check_repeat(self.guard, left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            self.guard.size(len(left) + len(right), "a `+` result")
        elif operator == "%" and isinstance(left, str):
            _check_widths(self.guard, left)
            self.guard.texts(_format_arguments(right), "a `%` result")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.guard.check()
        kind = type(__obj)
        if kind is Macro:  # a template's own macro: safe by construction, skip the attribute probes
            return __context.call(__obj, *args, **kwargs)
        if kind is BuiltinMethodType and isinstance(__obj.__self__, str):
            _check_str_method(__self.guard, __obj.__self__, __obj.__name__, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        guard, template = self.guard, value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_widths(guard, template)
            guard.texts([*args, *kwargs.values()], "a str.format() result")
            return wrapped(*args, **kwargs)

        return checked

    def render_chunks(self, chunks: Iterable[str], label: str) -> str:
        """Join a template's output chunks, checking the deadline and the output cap as they come."""
        out: list[str] = []
        total = 0
        for chunk in chunks:
            total += len(chunk)
            if total > self.guard.max_bytes:
                raise RenderLimitError(
                    f"{label} rendered more than {self.guard.max_bytes} characters (template.max_output_bytes)"
                )
            out.append(chunk)
            self.guard.check()
        return "".join(out)


def _fail(message: Any = "") -> None:
    """``{{ fail("dialect must be sqlite or postgres") }}``: stop the render with this message."""
    from ggen_template.errors import TemplateError

    raise TemplateError(f"the template stopped: {message}" if message else "the template stopped")


def _filter(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _wrap_concats(tree: nodes.Node) -> None:
    found: list[tuple[nodes.Node, str, int | None]] = []
    for parent in tree.find_all(nodes.Node):
        for name in parent.fields:
            value = getattr(parent, name, None)
            if isinstance(value, nodes.Concat):
                found.append((parent, name, None))
            elif isinstance(value, list):
                found.extend((parent, name, i) for i, item in enumerate(value) if isinstance(item, nodes.Concat))
    for parent, name, index in found:  # outer ones first: their operand lists stay the ones inner ones are in
        concat = getattr(parent, name) if index is None else getattr(parent, name)[index]
        guarded = _filter(nodes.Tuple(concat.nodes, "load", lineno=concat.lineno), CONCAT_FILTER)
        if index is None:
            setattr(parent, name, guarded)
        else:
            getattr(parent, name)[index] = guarded


def _too_deep(limit: int, name: str | None, what: str) -> RenderLimitError:
    return RenderLimitError(
        f"the template nests too deeply for {what}; keep its nesting within {limit} levels (template.max_nesting)",
        template=name,
    )


def _format_arguments(right: Any) -> Iterable[Any]:
    """The values ``text % right`` formats: a tuple's items, a mapping's values (``%(name)s``), or ``right``."""
    if isinstance(right, tuple):
        return right
    if isinstance(right, dict):
        return right.values()
    return (right,)


def _check_repeat(guard: RenderGuard, left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            length = len(seq) * count
            if isinstance(seq, str):
                guard.size(length, "a `*` repetition")
            elif length > MAX_RANGE:
                raise RenderLimitError(f"a `*` repetition would hold {length} items; the limit is {MAX_RANGE}")


def _check_power(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 1:
        digits = right * max(abs(left).bit_length(), 1) * 0.30103
        if digits > 4300:
            raise RenderLimitError(f"`{left} ** {right}` would have about {int(digits)} digits; the limit is 4300")


def _check_widths(guard: RenderGuard, template: str) -> None:
    for found in _WIDTH.finditer(template):
        width = int(found.group(1) or found.group(2))
        guard.size(width, "a formatting width")


def _check_str_method(guard: RenderGuard, owner: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    values = [*args, *kwargs.values()]
    if name in _PADDING_METHODS:
        width = next((v for v in values if isinstance(v, int)), 0)
        factor = len(owner) if name == "expandtabs" else 1
        guard.size(width * factor, f"str.{name}()")
    elif name == "replace" and len(args) >= 2:
        _check_replace(guard, owner, args[0], args[1])
    elif name == "join" and args:
        _check_join(guard, args[0], owner)


def _check_replace(guard: RenderGuard, text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        guard.size(len(text) + count * max(len(new) - len(old), 0), "a replace() result")


def _check_join(guard: RenderGuard, items: Any, separator: str = "") -> None:
    if isinstance(items, list | tuple):
        texts = [item for item in items if type(item) is str]
        total = len(separator) * max(len(items) - 1, 0) + sum(map(len, texts))
        guard.size(total, "a join() result")
        if len(texts) == len(items):
            return
        for item in items:
            if type(item) is not str:
                total += guard.text_size(item, "a join() result", guard.max_bytes - total)
                guard.size(total, "a join() result")


def _guarded_filters(env: TemplateSandbox) -> dict[str, Callable[..., Any]]:
    """Jinja's built-in filters that can amplify size, wrapped with checks; ggen's case filters."""
    from ggen_template.filters import GGEN_FILTERS
    from ggen_template.rdfdata import local

    builtin = dict(env.filters)
    guard = env.guard

    def center(value: Any, width: int = 80) -> str:
        guard.size(int(width), "center()")
        return str(builtin["center"](value, width))

    def indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        text = str(value)
        pad = width if isinstance(width, str) else " " * min(int(width), guard.max_bytes + 1)
        guard.size(len(text) + len(pad) * (text.count("\n") + 1), "indent()")
        return str(builtin["indent"](text, width, first, blank))

    def replace(context: Any, value: Any, old: str, new: str, count: int | None = None) -> Any:
        _check_replace(guard, str(value), str(old), str(new))
        return builtin["replace"](context, value, old, new, count)

    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        guard.text(value, "format()")
        _check_widths(guard, str(value))
        guard.texts([*args, *kwargs.values()], "a format() result")
        return str(builtin["format"](value, *args, **kwargs))

    def join(context: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value) if not isinstance(value, list | tuple) else value
        if attribute is not None:
            items = list(map(make_attrgetter(context.environment, attribute), items))
        _check_join(guard, items, str(d))
        return builtin["join"](context, items, d)

    def pprint(value: Any) -> str:
        guard.text(value, "pprint()")
        text = str(builtin["pprint"](value))
        guard.size(len(text), "pprint()")
        return text

    def tojson(eval_ctx: Any, value: Any, indent: int | None = None) -> Any:
        guard.text(value, "tojson()")
        return builtin["tojson"](eval_ctx, value, indent)

    def sum_(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        items = list(iterable) if attribute is None else list(map(make_attrgetter(environment, attribute), iterable))
        if isinstance(start, list | tuple):
            length = len(start) + sum(len(i) for i in items if isinstance(i, list | tuple))
            if length > MAX_RANGE:
                raise RenderLimitError(f"a sum() of lists would hold {length} items; the limit is {MAX_RANGE}")
        return builtin["sum"](environment, items, start=start)

    def slice_(value: Any, slices: int, fill_with: Any = None) -> Any:
        if int(slices) > MAX_RANGE:
            raise RenderLimitError(f"slice() into {slices} parts; the limit is {MAX_RANGE}")
        return builtin["slice"](value, slices, fill_with)

    def wordcount(value: Any) -> int:
        return int(builtin["wordcount"](value))

    replace.jinja_pass_arg = builtin["replace"].jinja_pass_arg  # type: ignore[attr-defined]
    join.jinja_pass_arg = builtin["join"].jinja_pass_arg  # type: ignore[attr-defined]
    tojson.jinja_pass_arg = builtin["tojson"].jinja_pass_arg  # type: ignore[attr-defined]
    sum_.jinja_pass_arg = builtin["sum"].jinja_pass_arg  # type: ignore[attr-defined]
    return {
        **GGEN_FILTERS,
        "local": local,
        "center": center,
        "indent": indent,
        "replace": replace,
        "format": format_,
        "join": join,
        "slice": slice_,
        "wordcount": wordcount,
        "pprint": pprint,
        "tojson": tojson,
        "sum": sum_,
    }


def _text_checked_filters(env: TemplateSandbox) -> dict[str, Callable[..., Any]]:
    """The filters that call ``str()`` on their input, each counting the input's text first."""
    from ggen_template.filters import GGEN_FILTERS

    names = (TEXT_FILTERS | set(GGEN_FILTERS)) & set(env.filters)
    return {name: _text_checked(env.guard, name, env.filters[name]) for name in names}


def _text_checked(guard: RenderGuard, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    pass_arg = getattr(func, "jinja_pass_arg", None)
    position = 0 if pass_arg is None else 1
    what = f"the |{name} filter's input"

    def checked(*args: Any, **kwargs: Any) -> Any:
        if len(args) > position and type(args[position]) is not str:
            guard.text(args[position], what)
        return func(*args, **kwargs)

    if pass_arg is not None:
        checked.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return checked


class CodeCache:
    """Compiled template code by (name, sha256 of source, nesting limit): a bounded, thread-safe LRU."""

    def __init__(self, size: int = _CODE_CACHE_SIZE) -> None:
        self._size = size
        self._codes: OrderedDict[tuple[str, str, int], CodeType] = OrderedDict()
        self._lock = threading.Lock()

    def compile(self, env: TemplateSandbox, source: str, name: str) -> CodeType:
        """The compiled code of ``source`` (compiled once, then reused)."""
        key = (name, hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest(), env.guard.max_nesting)
        with self._lock:
            code = self._codes.get(key)
            if code is not None:
                self._codes.move_to_end(key)
                return code
        code = env.compile(source, name, name)
        with self._lock:
            self._codes[key] = code
            while len(self._codes) > self._size:
                self._codes.popitem(last=False)
        return code


CODE_CACHE = CodeCache()


def register_row_type(kind: type) -> type:
    """Make ``row.name`` read the item ``name`` first for mappings of this type (SPARQL rows)."""
    _ROW_TYPES.add(kind)
    return kind


__all__ = ["CODE_CACHE", "RenderGuard", "SecurityError", "TemplateSandbox", "register_row_type"]
