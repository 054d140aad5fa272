"""Bounding a tool result while it is encoded (``limits.max_result_bytes``).

A handler's value can hold the same list or string many times over (a YAML alias, a repeated reference):
small in memory, enormous once written out as JSON. :func:`json_floor` walks the value once, counting a
lower bound of the bytes its JSON text will take (compact, as the host writes it), with every shared container
counted once and its size reused (so a nine-level alias bomb costs nine steps), and stops as soon as the count
passes the cap. Only a value under the cap is then dumped, once; the dump's exact size is checked on the bytes
it produced. A list of strings (and nulls), the shape of result rows, is counted in C (``map``/``sum``), not
item by item.

The same walk checks that the value is JSON data (``strict``): outside a pydantic model only dicts with
string keys, lists, tuples, strings, numbers, booleans and None; inside a model (or as the input of a
tool's output model) also the types pydantic writes as JSON (datetimes, UUIDs, paths, enums, sets, ...).
Anything else (``object()``, a set in a plain dict, bytes) is refused with :class:`UnencodableValue`
naming its type and JSON path, never written out as its ``str()``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import ipaddress
import pathlib
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ggen_mcp_core.errors import ToolError

MAX_RESULT_DEPTH = 200
"""Deepest nesting of lists and objects a result may have (pydantic's serializer stops at about 250)."""

_IN_PROGRESS = -1
_SCALARS = {bool: 4, type(None): 4, float: 3}  # the shortest text of each: true/None, 0.0
_TEXT_OR_NULL = frozenset({str, type(None)})
PYDANTIC_SCALARS: tuple[type, ...] = (
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    decimal.Decimal,
    enum.Enum,
    pathlib.PurePath,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
)
"""Types pydantic writes as JSON strings: allowed inside a model (or a model's input), not in plain data."""


class ResultRefused(ToolError):
    """A result that cannot be sent: over the byte cap (``size``: its bytes, or a lower bound of them unless
    ``exact``), nested too deep, or referring to itself."""

    def __init__(self, reason: str, *, size: int | None = None, exact: bool = False) -> None:
        self.reason = reason
        self.size = size
        self.exact = exact
        super().__init__(reason)


class UnencodableValue(ResultRefused):
    """A result holding a value that is not JSON data: ``type_name`` at ``path`` (keys and indexes)."""

    def __init__(self, type_name: str, why: str) -> None:
        self.type_name = type_name
        self.why = why
        self.path: list[str | int] = []
        super().__init__(why)

    @property
    def where(self) -> str:
        """The JSON path of the value, e.g. ``$.items[2].tags``."""
        return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.path)

    def __str__(self) -> str:
        return f"holds {self.type_name} at {self.where}, which is not JSON data ({self.why})"


def json_floor(
    value: Any, budget: int, *, unknown_as_str: bool = False, strict: bool = False, model_input: bool = False
) -> int:
    """A lower bound of the UTF-8 bytes of ``value`` written as JSON (as pydantic dumps it by alias, compact or
    indented, or as ``json.dumps`` writes it), and of the length of its ``str()`` (a string inside counts its
    quotes).

    Raises :class:`ResultRefused` as soon as the bound passes ``budget``, when the value nests deeper than
    :data:`MAX_RESULT_DEPTH` or refers to itself. ``unknown_as_str`` counts objects of other types as their
    ``str()`` (the encoder's fallback); otherwise they count one byte. ``strict`` refuses a value that is not
    JSON data with :class:`UnencodableValue` (``model_input``: the value is validated into a pydantic model
    next, so the types pydantic writes are allowed in it as they are inside a model).
    """
    return _Floor(budget, unknown_as_str, strict).size(value, 0, model_input)


class _Floor:
    """One walk: the budget and the size of every container already counted, by identity."""

    __slots__ = ("budget", "memo", "strict", "unknown_as_str")

    def __init__(self, budget: int, unknown_as_str: bool, strict: bool = False) -> None:
        self.budget = budget
        self.unknown_as_str = unknown_as_str
        self.strict = strict
        self.memo: dict[int, int] = {}

    def size(self, value: Any, depth: int, in_model: bool = False) -> int:
        kind = type(value)
        if kind is str:
            return len(value) + 2
        if kind is int:
            return _digits(value)
        if kind in _SCALARS:
            return _SCALARS[kind]
        if depth < MAX_RESULT_DEPTH and (kind is dict or kind is list):
            flat = _flat_dict_floor(value) if kind is dict else _flat_list_floor(value)
            if flat is not None:
                if flat > self.budget:
                    raise ResultRefused("over the cap", size=flat)
                return flat
        key = id(value)
        known = self.memo.get(key)
        if known is not None:
            if known == _IN_PROGRESS:
                raise ResultRefused("refers to itself (a reference cycle), so it cannot be written as JSON")
            return known
        if depth >= MAX_RESULT_DEPTH:
            raise ResultRefused(f"nests deeper than {MAX_RESULT_DEPTH} levels of lists and objects")
        self.memo[key] = _IN_PROGRESS
        total = self._container(value, depth + 1, in_model)
        self.memo[key] = total
        return total

    def _container(self, value: Any, depth: int, in_model: bool) -> int:
        kind = type(value)
        if kind is dict:
            return self._items(value.items(), depth, in_model)
        if kind is list or kind is tuple:
            return self._sequence(value, depth, in_model)
        if isinstance(value, BaseModel):
            return self._items(_model_items(value), depth, True)
        if self.strict and not in_model:
            raise UnencodableValue(
                _type_name(value),
                "plain results hold dicts with string keys, lists, strings, numbers, "
                "booleans and None; return a pydantic model, or convert the value yourself",
            )
        if isinstance(value, Mapping):
            return self._items(value.items(), depth, in_model)
        if isinstance(value, list | tuple | set | frozenset):
            return self._sequence(value, depth, in_model)
        if isinstance(value, str | bytes | bytearray):
            return len(value) + 2
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
            return self._items(fields, depth, in_model)
        if self.strict and not isinstance(value, PYDANTIC_SCALARS):
            raise UnencodableValue(_type_name(value), "pydantic cannot write it as JSON either; convert it yourself")
        return len(str(value)) + 2 if self.unknown_as_str else 1

    def _sequence(self, items: Any, depth: int, in_model: bool) -> int:
        total = 1  # the brackets, less the separator the first item does not have
        for index, item in enumerate(items):
            try:
                total += 1 + (len(item) + 2 if type(item) is str else self.size(item, depth, in_model))
            except UnencodableValue as exc:
                exc.path.insert(0, index)
                raise
            if total > self.budget:
                raise ResultRefused("over the cap", size=total)
        return total

    def _items(self, items: Any, depth: int, in_model: bool) -> int:
        total = 1
        for name, item in items:
            if type(name) is str:
                total += 1 + len(name) + 3  # `"name":`
            elif self.strict and not in_model:
                raise UnencodableValue(f"a key of type {_type_name(name)} ({name!r:.40})", "JSON keys are strings")
            else:
                total += 1 + 2  # `1:` for other keys
            try:
                total += len(item) + 2 if type(item) is str else self.size(item, depth, in_model)
            except UnencodableValue as exc:
                exc.path.insert(0, name if type(name) is str else str(name))
                raise
            if total > self.budget:
                raise ResultRefused("over the cap", size=total)
        return total


def _flat_dict_floor(value: dict[Any, Any]) -> int | None:
    """The floor of a dict of string keys to strings, numbers, booleans and None (a result row, say), counted
    in one loop; None for any other dict, which the general walk counts. Such a dict needs no memo: it holds
    no container (so no cycle and no shared child), and counting it costs steps in proportion to the bytes
    it adds, so every repetition of it brings the walk nearer to the budget."""
    total = 1
    for name, item in value.items():
        if type(name) is not str:
            return None
        kind = type(item)
        if kind is str:
            total += len(name) + len(item) + 6  # `"name":"item"` and a separator
        elif kind is int:
            total += len(name) + 4 + _digits(item)
        elif kind in _SCALARS:
            total += len(name) + 4 + _SCALARS[kind]
        else:
            return None
    return total


def _flat_list_floor(items: list[Any]) -> int | None:
    """The floor of a list of strings and nulls (a result row as an array), counted in C; None for any other
    list, which the general walk counts. Like a flat dict it needs no memo, and counting it costs steps in
    proportion to the bytes it adds."""
    if not _TEXT_OR_NULL.issuperset(map(type, items)):
        return None
    nulls = items.count(None)
    return 1 + 3 * len(items) + sum(map(len, filter(None, items))) + 2 * nulls  # `"text",` or `null,`


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _digits(number: int) -> int:
    """At least as many characters as ``number`` has digits (from its bit length: no conversion to text)."""
    return max(1, number.bit_length() * 30103 // 100000)


def _model_items(model: BaseModel) -> list[tuple[str, Any]]:
    values = model.__dict__
    found = [(key, values[name]) for name, key in _dumped_fields(type(model)) if name in values]
    extra = model.__pydantic_extra__
    if extra:
        found.extend(extra.items())
    return found


@functools.cache
def _dumped_fields(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(attribute, key in the dump) of each field ``model_dump(by_alias=True)`` writes."""
    return tuple(
        (name, info.serialization_alias or info.alias or name)
        for name, info in model.model_fields.items()
        if not info.exclude
    )
