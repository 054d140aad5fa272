"""The filters ggen adds to the template language (``ggen-core/src/register.rs``), by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ggen_template import casing, inflections

GGEN_FILTERS: dict[str, Callable[[Any], str]] = {
    "camel": casing.camel,
    "pascal": casing.pascal,
    "snake": casing.snake,
    "kebab": casing.kebab,
    "class": inflections.classify,
    "title": casing.title,
    "sentence": casing.sentence,
    "train": casing.train,
    "shouty_snake": casing.shouty_snake,
    "shouty_kebab": casing.shouty_kebab,
    "titlecase": casing.title,
    "param": casing.kebab,
    "constant": casing.shouty_snake,
    "upper": casing.upper,
    "lower": casing.lower,
    "lcfirst": casing.lcfirst,
    "ucfirst": casing.ucfirst,
    "pluralize": inflections.pluralize,
    "singularize": inflections.singularize,
    "ordinalize": inflections.ordinalize,
    "deordinalize": inflections.deordinalize,
    "deconstantize": inflections.deconstantize,
    "demodulize": inflections.demodulize,
    "foreign_key": inflections.foreign_key,
}
"""Every ggen filter; each takes any value, converts it with ``str()`` and returns a string."""
