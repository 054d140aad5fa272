"""Case conversion filters: split a string into words, then join them in the wanted style.

Words break at any character that is neither a letter nor a digit, at a lower-to-upper change
(``userProfile``), and before the last capital of an upper-case run followed by a lower-case letter
(``HTTPServer`` -> ``HTTP``, ``Server``). Digits stay with the word they follow (``version2``). Every
function takes any value and converts it with ``str()`` first, like ggen's filters.
"""

from __future__ import annotations

import functools
from typing import Any


def words(value: Any) -> list[str]:
    """The words of ``value``: ``"getHTTPResponse_code"`` -> ``["get", "HTTP", "Response", "code"]``."""
    return list(_words(str(value)))


@functools.lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    found: list[str] = []
    current: list[str] = []
    for index, char in enumerate(text):
        if not char.isalnum():
            _flush(current, found)
            continue
        if current and _breaks_before(text, index):
            _flush(current, found)
        current.append(char)
    _flush(current, found)
    return tuple(found)


def _flush(current: list[str], found: list[str]) -> None:
    if current:
        found.append("".join(current))
        current.clear()


def _breaks_before(text: str, index: int) -> bool:
    char, previous = text[index], text[index - 1]
    if not char.isupper():
        return False
    if previous.islower() or previous.isdigit():
        return True
    following = text[index + 1] if index + 1 < len(text) else ""
    return previous.isupper() and following.islower()


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def snake(value: Any) -> str:
    """``UserProfile`` -> ``user_profile``."""
    return "_".join(w.lower() for w in words(value))


def kebab(value: Any) -> str:
    """``UserProfile`` -> ``user-profile`` (also ``param``)."""
    return "-".join(w.lower() for w in words(value))


def camel(value: Any) -> str:
    """``user_profile`` -> ``userProfile``."""
    parts = words(value)
    if not parts:
        return ""
    return parts[0].lower() + "".join(_capitalize(w) for w in parts[1:])


def pascal(value: Any) -> str:
    """``user_profile`` -> ``UserProfile``."""
    return "".join(_capitalize(w) for w in words(value))


def title(value: Any) -> str:
    """``user_profile`` -> ``User Profile`` (also ``titlecase``)."""
    return " ".join(_capitalize(w) for w in words(value))


def sentence(value: Any) -> str:
    """``UserProfile`` -> ``User profile``."""
    parts = [w.lower() for w in words(value)]
    if parts:
        parts[0] = _capitalize(parts[0])
    return " ".join(parts)


def train(value: Any) -> str:
    """``user_profile`` -> ``User-Profile``."""
    return "-".join(_capitalize(w) for w in words(value))


def shouty_snake(value: Any) -> str:
    """``userProfile`` -> ``USER_PROFILE`` (also ``constant``)."""
    return "_".join(w.upper() for w in words(value))


def shouty_kebab(value: Any) -> str:
    """``userProfile`` -> ``USER-PROFILE``."""
    return "-".join(w.upper() for w in words(value))


def upper(value: Any) -> str:
    """``Foo`` -> ``FOO``."""
    return str(value).upper()


def lower(value: Any) -> str:
    """``Foo`` -> ``foo``."""
    return str(value).lower()


def lcfirst(value: Any) -> str:
    """``FooBar`` -> ``fooBar``."""
    text = str(value)
    return text[:1].lower() + text[1:]


def ucfirst(value: Any) -> str:
    """``fooBar`` -> ``FooBar``."""
    text = str(value)
    return text[:1].upper() + text[1:]
