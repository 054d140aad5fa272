"""Rails-style inflection filters, as ggen's (Rust ``Inflector`` crate, itself a port of Rails).

Plurals and singulars come from the ``inflection`` library, a port of Rails' ActiveSupport inflector, so
they follow the same rules as ggen's: the last word of a compound changes (``user_profile`` ->
``user_profiles``) and an already plural word stays plural.
"""

from __future__ import annotations

import re
from typing import Any

import inflection

from ggen_template import casing

_ORDINAL = re.compile(r"^\s*([+-]?\d+)\s*(st|nd|rd|th)\s*$", re.IGNORECASE)
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def pluralize(value: Any) -> str:
    """``user_profile`` -> ``user_profiles``; ``person`` -> ``people``; ``users`` -> ``users``."""
    return str(inflection.pluralize(str(value)))


def singularize(value: Any) -> str:
    """``user_profiles`` -> ``user_profile``; ``people`` -> ``person``."""
    return str(inflection.singularize(str(value)))


def ordinalize(value: Any) -> str:
    """``1`` -> ``1st``, ``22`` -> ``22nd``; a value that is not an integer comes back unchanged."""
    text = str(value)
    if not _INTEGER.match(text):
        return text
    number = int(text)
    return f"{number}{inflection.ordinal(number)}"


def deordinalize(value: Any) -> str:
    """``1st`` -> ``1``; anything else comes back unchanged."""
    text = str(value)
    matched = _ORDINAL.match(text)
    return matched.group(1) if matched else text


def demodulize(value: Any) -> str:
    """``ActiveRecord::Base`` -> ``Base``."""
    return str(value).rpartition("::")[2]


def deconstantize(value: Any) -> str:
    """``Net::HTTP::Get`` -> ``Net::HTTP``; ``Base`` -> ``""``."""
    return str(value).rpartition("::")[0]


def foreign_key(value: Any) -> str:
    """``Message`` -> ``message_id``; ``Admin::Post`` -> ``post_id``."""
    return f"{casing.snake(demodulize(value))}_id"


def classify(value: Any) -> str:
    """The ``class`` filter: ``user_profiles`` -> ``UserProfile`` (PascalCase, last word singular)."""
    parts = casing.words(value)
    if not parts:
        return ""
    parts[-1] = singularize(parts[-1])
    return casing.pascal("_".join(parts))
