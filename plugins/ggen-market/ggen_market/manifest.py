"""The pack manifest ``gpack.toml`` (ggen's format) and the template discovery it drives.

``[gpack]`` holds ``id``, ``name``, ``version``, ``description``, ``license`` and ``ggen_compat`` as in
ggen; ggen-mcp also reads ``author``, ``category``, ``tags``, ``keywords``, ``homepage``, ``repository``,
``documentation`` and ``updated`` there, which ``build-registry`` copies into ``index.json``.
``[dependencies]`` maps pack ids to version requirements (Cargo semantics: ``"1.2"`` means ``^1.2``).
``[templates]``, ``[macros]``, ``[rdf]``, ``[queries]``, ``[shapes]`` and ``[preset]`` are ggen's.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ggen_market.errors import ArchiveRejected
from ggen_market.names import InvalidName, check_pack_id, check_relative_path
from ggen_market.semver import VersionError, parse_range, parse_version

MANIFEST = "gpack.toml"
MAX_MANIFEST_BYTES = 256 * 1024
DEFAULT_TEMPLATE_PATTERNS = ("templates/**/*.tmpl", "templates/**/*.tera", "templates/**/*.j2")


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow")


class GpackSection(_Section):
    id: str
    name: str
    version: str
    description: str = ""
    license: str | None = None
    ggen_compat: str | None = None
    author: str | None = None
    category: str | None = None
    tags: list[str] = Field(default_factory=list, max_length=64)
    keywords: list[str] = Field(default_factory=list, max_length=64)
    homepage: str | None = None
    repository: str | None = None
    documentation: str | None = None
    updated: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_pack_id(value)

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        return str(parse_version(value))


class PatternSection(_Section):
    patterns: list[str] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list)


class RdfSection(_Section):
    base: str | None = None
    prefixes: dict[str, str] = Field(default_factory=dict)
    patterns: list[str] = Field(default_factory=list)
    inline: list[str] = Field(default_factory=list)


class QueriesSection(_Section):
    patterns: list[str] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict)


class Manifest(BaseModel):
    """A parsed ``gpack.toml``."""

    model_config = ConfigDict(extra="allow")

    gpack: GpackSection
    dependencies: dict[str, str] = Field(default_factory=dict)
    templates: PatternSection = Field(default_factory=PatternSection)
    rdf: RdfSection = Field(default_factory=RdfSection)
    queries: QueriesSection = Field(default_factory=QueriesSection)
    shapes: PatternSection = Field(default_factory=PatternSection)

    @field_validator("dependencies")
    @classmethod
    def _dependencies(cls, value: dict[str, str]) -> dict[str, str]:
        for pack_id, requirement in value.items():
            check_pack_id(pack_id)
            parse_range(requirement, bare="caret")
        return value

    @property
    def id(self) -> str:
        return self.gpack.id

    @property
    def version(self) -> str:
        return self.gpack.version

    def dependency_list(self) -> list[str]:
        """ggen.lock's form: sorted ``id@requirement`` strings."""
        return sorted(f"{pack_id}@{req}" for pack_id, req in self.dependencies.items())


def parse_manifest(text: str, origin: str = MANIFEST) -> Manifest:
    """Parse and validate manifest text; raise ``ArchiveRejected`` naming the problem."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return Manifest.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ArchiveRejected(f"{origin} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ArchiveRejected(f"{origin} is not a valid pack manifest: {problems}") from None
    except (InvalidName, VersionError) as exc:
        raise ArchiveRejected(f"{origin}: {exc}") from None


def read_manifest(pack_dir: Path) -> Manifest:
    """Read ``<pack_dir>/gpack.toml``."""
    path = pack_dir / MANIFEST
    if not path.is_file() or path.is_symlink():
        raise ArchiveRejected(f"{pack_dir} has no {MANIFEST}")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ArchiveRejected(f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
    return parse_manifest(path.read_text(encoding="utf-8"), origin=str(path))


def discover(pack_dir: Path, patterns: list[str], defaults: tuple[str, ...]) -> list[str]:
    """Files under ``pack_dir`` matching the glob patterns (ggen's defaults when empty), sorted, POSIX.

    Patterns that are absolute or climb out with ``..`` are ignored; symbolic links never match.
    """
    found: set[str] = set()
    root = pack_dir.resolve()
    for pattern in patterns or list(defaults):
        try:
            check_relative_path(pattern)
        except InvalidName:
            continue
        for match in root.glob(pattern):
            if match.is_symlink() or not match.is_file():
                continue
            found.add(match.relative_to(root).as_posix())
    return sorted(found)


def template_files(pack_dir: Path, manifest: Manifest) -> list[str]:
    """The template files of a pack, relative to its root."""
    return discover(pack_dir, manifest.templates.patterns, DEFAULT_TEMPLATE_PATTERNS)


def template_refs(pack_id: str, files: list[str]) -> list[str]:
    """``<id>:<path>`` references: paths under ``templates/`` drop that prefix, as ggen's resolver expects."""
    refs = []
    for path in files:
        inner = path[len("templates/") :] if path.startswith("templates/") else path
        refs.append(f"{pack_id}:{inner}")
    return refs
