"""Semantic versions (semver 2.0.0) and version ranges.

Ranges follow npm's grammar for the subset packs need: ``1.2.3`` / ``=1.2.3``, ``^1.2``, ``~1.2.3``,
``>=1.0 <2``, ``1.x``, ``*`` and ``a || b``; comparators separated by spaces or commas are all required.
A bare version means an exact match in tool arguments (npm), and a caret range in ``gpack.toml``
dependencies (Cargo, which ggen follows): :func:`parse_range` takes ``bare="exact"`` or ``"caret"``.
Pre-releases only satisfy a range that names a pre-release of the same ``major.minor.patch``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import total_ordering
from typing import Literal, cast

_NUM = r"0|[1-9]\d*"
_IDENT = r"[0-9A-Za-z-]+"
_VERSION = re.compile(
    rf"^(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?$"
)
_PARTIAL = re.compile(
    rf"^v?(?P<major>{_NUM}|[xX*])(?:\.(?P<minor>{_NUM}|[xX*]))?(?:\.(?P<patch>{_NUM}|[xX*]))?"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+{_IDENT}(?:\.{_IDENT})*)?$"
)
_COMPARATOR = re.compile(r"^(?P<op>\^|~|>=|<=|>|<|=)?\s*(?P<version>\S+)$")
MAX_LENGTH = 256


class VersionError(ValueError):
    """A version or range that does not parse; the message says which and why."""


@total_ordering
@dataclass(frozen=True)
class Version:
    """A semantic version; ordering follows semver 2.0.0 section 11 (build metadata is ignored)."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    build: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(self.pre)
        if self.build:
            text += "+" + self.build
        return text

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.pre)

    def _key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after every pre-release of the same core; numeric identifiers sort before
        # alphanumeric ones and compare as numbers.
        pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.core, 0 if self.pre else 1, pre_key)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def parse_version(text: str) -> Version:
    """Parse a full ``MAJOR.MINOR.PATCH[-pre][+build]`` version, or raise :class:`VersionError`."""
    if len(text) > MAX_LENGTH:
        raise VersionError(f"version is longer than {MAX_LENGTH} characters")
    match = _VERSION.match(text.strip())
    if match is None:
        raise VersionError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)")
    pre = tuple(match.group("pre").split(".")) if match.group("pre") else ()
    for ident in pre:
        if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
            raise VersionError(f"{text!r}: numeric pre-release identifiers have no leading zeros")
    return Version(int(match["major"]), int(match["minor"]), int(match["patch"]), pre, match["build"] or "")


Op = Literal[">=", ">", "<", "<=", "="]


@dataclass(frozen=True)
class Comparator:
    """One bound such as ``>=1.2.0``."""

    op: Op
    version: Version

    def test(self, version: Version) -> bool:
        if self.op == "=":
            return version == self.version
        if self.op == ">=":
            return version >= self.version
        if self.op == ">":
            return version > self.version
        if self.op == "<":
            return version < self.version
        return version <= self.version

    def __str__(self) -> str:
        return f"{self.op}{self.version}"


@dataclass(frozen=True)
class Range:
    """A version range: any one of ``alternatives`` (each a list of comparators that must all hold)."""

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    def matches(self, version: Version | str) -> bool:
        """True when ``version`` satisfies the range (pre-releases only when the range names one)."""
        if isinstance(version, str):
            try:
                version = parse_version(version)
            except VersionError:
                return False
        return any(self._set_matches(comparators, version) for comparators in self.alternatives)

    @staticmethod
    def _set_matches(comparators: tuple[Comparator, ...], version: Version) -> bool:
        if not all(c.test(version) for c in comparators):
            return False
        if not version.is_prerelease:
            return True
        return any(c.version.is_prerelease and c.version.core == version.core for c in comparators)

    def best(self, versions: Iterable[Version | str]) -> Version | None:
        """The highest version that satisfies the range, or None."""
        candidates = []
        for item in versions:
            try:
                parsed = parse_version(item) if isinstance(item, str) else item
            except VersionError:
                continue
            if self.matches(parsed):
                candidates.append(parsed)
        return max(candidates, default=None)

    @property
    def exact(self) -> Version | None:
        """The single version an ``=X.Y.Z`` range allows, else None."""
        if len(self.alternatives) == 1 and len(self.alternatives[0]) == 1:
            comparator = self.alternatives[0][0]
            if comparator.op == "=":
                return comparator.version
        return None

    def __str__(self) -> str:
        return self.text


def parse_range(text: str, *, bare: Literal["exact", "caret"] = "exact") -> Range:
    """Parse a range such as ``^1.2``, ``>=1.0, <2.0`` or ``1.x || 2.1.0``; raise :class:`VersionError`."""
    if len(text) > MAX_LENGTH:
        raise VersionError(f"version range is longer than {MAX_LENGTH} characters")
    stripped = text.strip()
    alternatives: list[tuple[Comparator, ...]] = []
    for part in stripped.split("||") if stripped else [""]:
        tokens = _tokens(part)
        if not tokens:
            alternatives.append(())
            continue
        comparators: list[Comparator] = []
        for token in tokens:
            comparators.extend(_expand(token, bare, text))
        alternatives.append(tuple(comparators))
    return Range(stripped or "*", tuple(alternatives))


def _tokens(part: str) -> list[str]:
    # "> = 1.2" and ">=1.2" are the same comparator: glue operators to the version that follows.
    raw = [t for t in re.split(r"[\s,]+", part.strip()) if t]
    tokens: list[str] = []
    for token in raw:
        if tokens and tokens[-1] in {"^", "~", ">=", "<=", ">", "<", "="}:
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def _partial(text: str, whole: str) -> tuple[int | None, int | None, int | None, tuple[str, ...]]:
    match = _PARTIAL.match(text)
    if match is None:
        raise VersionError(f"{whole!r} is not a version range (examples: 1.2.0, ^1.2, ~1.2.3, >=1.0 <2)")
    parts: list[int | None] = []
    for name in ("major", "minor", "patch"):
        value = match.group(name)
        parts.append(None if value is None or value in {"x", "X", "*"} else int(value))
    # Once a part is a wildcard (or missing) the rest must be too: "1.x.3" and "x.1" make no sense.
    if (parts[0] is None and (parts[1] is not None or parts[2] is not None)) or (
        parts[1] is None and parts[2] is not None
    ):
        raise VersionError(f"{whole!r}: a number cannot follow a wildcard")
    pre = tuple(match.group("pre").split(".")) if match.group("pre") else ()
    if pre and None in parts:
        raise VersionError(f"{whole!r}: a pre-release needs a full version (e.g. 1.2.0-rc.1)")
    return parts[0], parts[1], parts[2], pre


def _expand(token: str, bare: str, whole: str) -> list[Comparator]:
    match = _COMPARATOR.match(token)
    if match is None:
        raise VersionError(f"{whole!r} is not a version range")
    op = match.group("op") or ""
    major, minor, patch, pre = _partial(match.group("version"), whole)
    if op == "" and bare == "caret" and major is not None:
        op = "^"
    if major is None:
        return [] if op in {"", "=", ">=", "<=", "^", "~"} else [Comparator("<", Version(0, 0, 0, ("0",)))]
    if op == "^":
        return _caret(major, minor, patch, pre)
    if op == "~":
        return _tilde(major, minor, patch, pre)
    if op in {"", "="}:
        return _x_range(major, minor, patch, pre)
    return _bound(op, major, minor, patch, pre)


def _lower(major: int, minor: int | None, patch: int | None, pre: tuple[str, ...]) -> Comparator:
    return Comparator(">=", Version(major, minor or 0, patch or 0, pre))


def _upper(major: int, minor: int, patch: int) -> Comparator:
    # "<2.0.0-0" excludes 2.0.0's pre-releases too.
    return Comparator("<", Version(major, minor, patch, ("0",)))


def _caret(major: int, minor: int | None, patch: int | None, pre: tuple[str, ...]) -> list[Comparator]:
    low = _lower(major, minor, patch, pre)
    if major > 0 or minor is None:
        return [low, _upper(major + 1, 0, 0)]
    if minor > 0 or patch is None:
        return [low, _upper(0, minor + 1, 0)]
    return [low, _upper(0, 0, patch + 1)]


def _tilde(major: int, minor: int | None, patch: int | None, pre: tuple[str, ...]) -> list[Comparator]:
    low = _lower(major, minor, patch, pre)
    if minor is None:
        return [low, _upper(major + 1, 0, 0)]
    return [low, _upper(major, minor + 1, 0)]


def _x_range(major: int, minor: int | None, patch: int | None, pre: tuple[str, ...]) -> list[Comparator]:
    if minor is None:
        return [_lower(major, 0, 0, ()), _upper(major + 1, 0, 0)]
    if patch is None:
        return [_lower(major, minor, 0, ()), _upper(major, minor + 1, 0)]
    return [Comparator("=", Version(major, minor, patch, pre))]


def _bound(op: str, major: int, minor: int | None, patch: int | None, pre: tuple[str, ...]) -> list[Comparator]:
    full = minor is not None and patch is not None
    if full or op in {">=", "<"}:
        return [Comparator(cast(Op, op), Version(major, minor or 0, patch or 0, pre))]
    # Partial upper/lower bounds: ">1.2" is ">=1.3.0", "<=1.2" is "<1.3.0".
    nxt = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
    if op == ">":
        return [Comparator(">=", nxt)]
    return [Comparator("<", Version(nxt.major, nxt.minor, nxt.patch, ("0",)))]
