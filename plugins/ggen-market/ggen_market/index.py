"""The registry index ``index.json`` (ggen's format, extended) and its validation.

``{"updated": RFC 3339, "packs": {"<id>": PackEntry}}``. A version entry carries either ``url`` (a
``.tar.gz``, absolute or relative to ``index.json``) with ``size``, or ggen's ``git_url`` + ``git_rev``
(40 hex); both carry ``sha256``, the pack hash (:mod:`ggen_market.packhash`). ggen-mcp adds the optional
``dependencies`` (``{id: requirement}``, Cargo semantics), ``templates`` (paths of the template files),
``yanked`` and ``published`` to version entries. A pack whose entry is invalid is left out of the index
and listed in :attr:`RegistryIndex.invalid` with the reason, so one bad entry does not hide the rest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ggen_market.errors import MarketError
from ggen_market.names import check_pack_id
from ggen_market.semver import Version, parse_range, parse_version

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class VersionEntry(BaseModel):
    """One published version of a pack."""

    model_config = ConfigDict(extra="ignore")

    version: str
    sha256: str
    url: str | None = Field(None, max_length=2048)
    size: int | None = Field(None, ge=0)
    git_url: str | None = Field(None, max_length=2048)
    git_rev: str | None = None
    manifest_url: str | None = None
    dependencies: dict[str, str] = Field(default_factory=dict)
    templates: list[str] = Field(default_factory=list, max_length=10_000)
    yanked: bool = False
    published: str | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        return str(parse_version(value))

    @field_validator("sha256")
    @classmethod
    def _sha(cls, value: str) -> str:
        if not _HEX64.match(value.lower()):
            raise ValueError("sha256 must be 64 hex characters")
        return value.lower()

    @field_validator("git_rev")
    @classmethod
    def _rev(cls, value: str | None) -> str | None:
        if value is not None and not _HEX40.match(value.lower()):
            raise ValueError("git_rev must be a full 40-hex commit id")
        return None if value is None else value.lower()

    @field_validator("dependencies")
    @classmethod
    def _deps(cls, value: dict[str, str]) -> dict[str, str]:
        for pack_id, requirement in value.items():
            check_pack_id(pack_id)
            parse_range(requirement, bare="caret")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> VersionEntry:
        if (self.url is None) == (self.git_url is None):
            raise ValueError("a version needs exactly one of url (with size) or git_url (with git_rev)")
        if self.url is not None and self.size is None:
            raise ValueError("a url version needs its archive size in bytes")
        if self.git_url is not None and self.git_rev is None:
            raise ValueError("a git_url version needs git_rev")
        return self

    @property
    def parsed(self) -> Version:
        return parse_version(self.version)

    @property
    def kind(self) -> str:
        return "archive" if self.url is not None else "git"

    def dependency_list(self) -> list[str]:
        return sorted(f"{pack_id}@{req}" for pack_id, req in self.dependencies.items())


class PackEntry(BaseModel):
    """A pack and its versions."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=64)
    keywords: list[str] = Field(default_factory=list, max_length=64)
    category: str | None = Field(None, max_length=100)
    author: str | None = Field(None, max_length=200)
    latest_version: str
    versions: dict[str, VersionEntry]
    downloads: int | None = Field(None, ge=0)
    updated: str | None = None
    license: str | None = Field(None, max_length=100)
    homepage: str | None = None
    repository: str | None = None
    documentation: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_pack_id(value)

    @model_validator(mode="after")
    def _consistent(self) -> PackEntry:
        if not self.versions:
            raise ValueError("a pack needs at least one version")
        for key, entry in self.versions.items():
            if str(parse_version(key)) != entry.version:
                raise ValueError(f"version key {key!r} differs from its entry's version {entry.version!r}")
        if str(parse_version(self.latest_version)) not in self.versions:
            raise ValueError(f"latest_version {self.latest_version!r} is not among the versions")
        return self

    def sorted_versions(self) -> list[Version]:
        """Every version, newest first."""
        return sorted((parse_version(v) for v in self.versions), reverse=True)


@dataclass
class RegistryIndex:
    """A validated index: the good packs, and the reason each bad one was left out."""

    updated: str | None
    packs: dict[str, PackEntry]
    invalid: dict[str, str] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # caches built from it (search)

    def get(self, pack_id: str) -> PackEntry | None:
        return self.packs.get(pack_id)

    def categories(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pack in self.packs.values():
            if pack.category:
                counts[pack.category] = counts.get(pack.category, 0) + 1
        return counts


def parse_index(raw: bytes) -> RegistryIndex:
    """Parse ``index.json`` bytes; raise ``MarketError`` when the document as a whole is unusable."""
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MarketError(f"the registry index is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("packs"), dict):
        raise MarketError('the registry index must be an object with a "packs" object (ggen\'s index.json)')
    updated = data.get("updated") if isinstance(data.get("updated"), str) else None
    packs: dict[str, PackEntry] = {}
    invalid: dict[str, str] = {}
    for key, value in data["packs"].items():
        try:
            entry = PackEntry.model_validate(value)
        except ValidationError as exc:
            invalid[str(key)[:200]] = _describe(exc)
            continue
        if entry.id != key:
            invalid[str(key)[:200]] = f"the pack is listed under {key!r} but its id is {entry.id!r}"
            continue
        packs[key] = entry
    return RegistryIndex(updated=updated, packs=packs, invalid=invalid)


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[:3]
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(entry)'}: {e['msg']}" for e in first)
