"""The JSON Schemas generated from tool models, kept in the cache directory between starts (issue 16).

Registration generates every tool's input and output schema (76 with all packs) to check it, and
``tools/list`` serves them; generating them is about 0.3 G instructions of every start of a stdio server, for
the same schemas every time. So ``<cache_dir>/tool-schemas.json`` keeps each generated schema under a key
naming the model (module and qualified name) and a fingerprint of the code it was generated from: the Python,
pydantic and pydantic-core versions, and the size and modification time of every ``.py`` file of each
package whose classes the model is built from (its own and its bases', and those of every type its fields
name, nested models included). An edit to any of those files, an upgrade or a reinstall changes the key, and
the schema is generated again (the rule Python's own bytecode cache follows) and replaces the older entry of
that model (one entry per model, so the file does not grow with every edit). Not kept: models defined inside
a function (one qualified name can be many classes), models without a source file, and models whose author
wrote ``model_json_schema`` (their schema is the author's code). A missing, unreadable or malformed file is an
empty one; a file that cannot be written is left alone. The schema is checked against the metaschema as before
(``schema_verdicts``); only its generation is skipped.
"""

from __future__ import annotations

import hashlib
import os
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ggen_mcp_core.cache_file import read_json, write_json

FILE_NAME = "tool-schemas.json"
FORMAT = 1


class ToolSchemaCache:
    """Generated model schemas by model and code fingerprint, in memory and (with ``path``) on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._schemas: dict[str, dict[str, Any]] | None = None if path is not None else {}
        self._packages: dict[str, str | None] = {}
        self._dirty = False

    @property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """The kept schemas by key, read from the file on first use (a start listing every tool from its kept
        listing never needs them)."""
        if self._schemas is None:
            self._schemas = _read(self.path) if self.path is not None else {}
        return self._schemas

    def get(self, model: type[BaseModel]) -> dict[str, Any] | None:
        """The schema kept for this model and this code, or None (then generate it and :meth:`put` it)."""
        key = self.key(model)
        return None if key is None else self.schemas.get(key)

    def put(self, model: type[BaseModel], schema: dict[str, Any]) -> None:
        """Keep a schema just generated from ``model`` (nothing when the model cannot be fingerprinted)."""
        key = self.key(model)
        if key is not None and self.schemas.get(key) != schema:
            model_prefix = key.rpartition(":")[0] + ":"
            for stale in [k for k in self.schemas if k.startswith(model_prefix)]:
                del self.schemas[stale]  # the same model from older code: one entry per model, never a pile
            self.schemas[key] = schema
            self._dirty = True

    def key(self, model: type[BaseModel]) -> str | None:
        """``module:qualname:fingerprint``, or None for a model whose schema is never kept."""
        if "<locals>" in model.__qualname__ or _writes_its_own_schema(model):
            return None
        parts = [versions()]
        for package in sorted(packages_of(model)):
            fingerprint = self._package_fingerprint(package)
            if fingerprint is None:
                return None
            parts.append(f"{package}={fingerprint}")
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        return f"{model.__module__}:{model.__qualname__}:{digest}"

    def save(self) -> None:
        """Write the file when something was added (atomically: a concurrent start reads the old or the new)."""
        if self.path is None or not self._dirty:
            return
        if write_json(self.path, {"format": FORMAT, "schemas": self.schemas}, "tool schemas"):
            self._dirty = False

    def _package_fingerprint(self, package: str) -> str | None:
        if package not in self._packages:
            self._packages[package] = source_fingerprint(package)
        return self._packages[package]


def _writes_its_own_schema(model: type[BaseModel]) -> bool:
    own = getattr(model.model_json_schema, "__func__", None)
    return own is not None and own is not getattr(BaseModel.model_json_schema, "__func__", None)


def versions() -> str:
    """The Python, pydantic and pydantic-core versions a generated schema depends on."""
    import pydantic
    import pydantic_core

    return f"python {sys.version}; pydantic {pydantic.VERSION}; pydantic-core {pydantic_core.__version__}"


def packages_of(model: type[BaseModel]) -> set[str]:
    """The top-level packages (not the standard library's) of every class the model's schema is built from."""
    packages: set[str] = set()
    seen: set[int] = set()
    pending: list[Any] = [model]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, type):
            for base in item.__mro__:
                _add_module(packages, getattr(base, "__module__", None))
            if issubclass(item, BaseModel):
                for field in item.model_fields.values():
                    pending.append(field.annotation)
                    pending.extend(field.metadata)
        else:
            _add_module(packages, getattr(type(item), "__module__", None))
            _add_module(packages, getattr(item, "__module__", None))
        pending.extend(typing.get_args(item))
        origin = typing.get_origin(item)
        if origin is not None:
            pending.append(origin)
    return packages


def _add_module(packages: set[str], module: object) -> None:
    if isinstance(module, str) and module:
        top = module.partition(".")[0]
        if top not in sys.stdlib_module_names and top != "builtins":
            packages.add(top)


def source_fingerprint(package: str) -> str | None:
    """Size and modification time of every ``.py`` file of the package (None: no source files to stat). The
    package is found where it is imported from, or where an import would find it (without importing it)."""
    location = package_location(package)
    if not location:
        return None
    path = Path(location)
    if path.name != "__init__.py":
        return _digest_of_files(path.parent, [path.name])
    names = []  # os.walk, not Path.rglob: a start fingerprints a few hundred files (pydantic's among them)
    for folder, subfolders, files in os.walk(path.parent):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        relative = os.path.relpath(folder, path.parent)
        names += [name if relative == "." else f"{relative}/{name}" for name in files if name.endswith(".py")]
    return _digest_of_files(path.parent, sorted(names, key=lambda name: name.split("/")))


def _digest_of_files(folder: Path, names: list[str]) -> str | None:
    entries = []
    for name in names:
        try:
            stat = os.stat(os.path.join(folder, name))
        except OSError:
            return None
        entries.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def package_location(package: str) -> str | None:
    """The file a top-level package or module is (or would be) imported from, without importing it."""
    module = sys.modules.get(package)
    if module is not None:
        return getattr(module, "__file__", None)
    import importlib.util

    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    return found.origin if found is not None and found.has_location else None


def _read(path: Path) -> dict[str, dict[str, Any]]:
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("schemas"), dict):
        return {}
    return {key: schema for key, schema in data["schemas"].items() if isinstance(schema, dict)}
