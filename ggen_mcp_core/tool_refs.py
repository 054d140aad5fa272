"""Tools registered by where their spec is (:class:`ToolRef`), their module imported on first use (issue 16).

A pack's ``ggen_register_tools`` may return, beside ready :class:`~ggen_mcp_core.tools.ToolSpec` objects,
``ToolRef("hook_run", "ggen_hook.tools.hook_run:spec")``: the tool's name and the ``module:attribute`` of its
spec, either a ``ToolSpec`` or a function of the pack's settings returning one. The first start imports the
module, builds the spec, checks it as any other (name, prefix, description, schemas against the metaschema,
``async def`` handler, aliases) and keeps what ``tools/list`` and the host's checks need (names, descriptions,
flags, timeout, scopes, aliases, the schemas) in ``<cache_dir>/tool-specs.json``
(:mod:`ggen_mcp_core.tool_spec_cache`). A later start with the same code and settings lists the tool from
there as a :class:`DeferredToolSpec` without importing its module; the module, its models and its handler
are imported on the tool's first call (or when anything reads ``input_model``, ``output_model`` or
``handler``), and the spec built then must be the one listed, else the call is refused with a message saying
the code changed after the server started.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ggen_mcp_core.errors import PluginRegistrationError, ToolError
from ggen_mcp_core.tool_schema_cache import packages_of
from ggen_mcp_core.tools import Handler, ToolSpec, check_tool

if TYPE_CHECKING:
    from ggen_mcp_core.schema_verdicts import SchemaVerdicts
    from ggen_mcp_core.tool_schema_cache import ToolSchemaCache
    from ggen_mcp_core.tool_spec_cache import ToolSpecCache

HOST_PACKAGE = "ggen_mcp_core"  # its code shapes what is listed (schema compaction, titles, annotations)


@dataclass(frozen=True)
class ToolRef:
    """A tool a pack registers by reference: imported on first use once its listing is kept.

    :param name: the tool's name (its spec must have the same).
    :param spec: ``"package.module:attribute"``, a ``ToolSpec`` or a function ``(settings) -> ToolSpec`` of
        the pack's own settings (its ``SETTINGS_SECTION`` model, or None). What the spec says may depend on
        those settings (they are part of the cache key; secret values are not) and on the pack's code, never
        on anything else (the environment, the time, a file of the workspace).
    """

    name: str
    spec: str

    def target(self) -> tuple[str, str]:
        """The module and attribute named by ``spec``. :raises PluginRegistrationError: not ``module:attribute``."""
        module, _, attribute = self.spec.partition(":")
        if not module or not attribute.isidentifier():
            raise PluginRegistrationError(
                f"ToolRef {self.name!r}: spec {self.spec!r} must be 'package.module:attribute'"
            )
        return module, attribute


def build(ref: ToolRef, settings: Any) -> ToolSpec:
    """Import the ref's module and make its spec. :raises PluginRegistrationError: not a ToolSpec, or one
    with another name (an import error propagates as it is)."""
    module_name, attribute = ref.target()
    value = getattr(importlib.import_module(module_name), attribute)
    spec = value if isinstance(value, ToolSpec) else value(settings) if callable(value) else value
    if not isinstance(spec, ToolSpec):
        raise PluginRegistrationError(f"ToolRef {ref.name!r}: {ref.spec} is {type(spec).__name__}, not a ToolSpec")
    if spec.name != ref.name:
        raise PluginRegistrationError(f"ToolRef {ref.name!r}: {ref.spec} makes a tool named {spec.name!r}")
    return spec


def settings_digest(settings: BaseModel | None) -> str:
    """What of a pack's settings a kept listing depends on (secret values are masked, so not part of it)."""
    text = "null" if settings is None else settings.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()


def listing(spec: ToolSpec, kept: ToolSchemaCache | None = None) -> dict[str, Any] | None:
    """The JSON form of everything the host reads of a checked spec without calling it; None when some of it
    would not come back the same from JSON (such a tool is built at every start)."""
    from ggen_mcp_core.tools import _generated_schema

    data: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "title": spec.title,
        "read_only": spec.read_only,
        "destructive": spec.destructive,
        "idempotent": spec.idempotent,
        "open_world": spec.open_world,
        "timeout": spec.timeout,
        "scopes": list(spec.scopes),
        "meta": dict(spec.meta) if spec.meta is not None else None,
        "aliases": {alias: dict(fixed) for alias, fixed in spec.aliases.items()},
        "input_fields": sorted(spec.input_model.model_fields),
        "input_schema": _generated_schema(spec.input_model, kept),
        "listed_input_schema": spec.input_schema(),
        "output_schema": _generated_schema(spec.output_model, kept) if spec.output_model is not None else None,
        "header": spec.mcp_param_schema() is not None,
    }
    try:
        same = json.loads(json.dumps(data)) == data and isinstance(spec.scopes, tuple)
    except (TypeError, ValueError):
        return None
    return data if same and well_formed(data) else None


def packages(spec: ToolSpec, ref: ToolRef) -> list[str]:
    """The top-level packages whose code a spec's listing comes from (their files are its fingerprint)."""
    found = {HOST_PACKAGE, ref.target()[0].partition(".")[0]}
    for model in (spec.input_model, spec.output_model):
        if model is not None:
            found |= packages_of(model)
    module = getattr(spec.handler, "__module__", None)
    if isinstance(module, str) and module:
        found.add(module.partition(".")[0])
    return sorted(found)


_FIELDS: Mapping[str, Callable[[Any], bool]] = {
    "name": lambda v: isinstance(v, str),
    "description": lambda v: isinstance(v, str),
    "title": lambda v: v is None or isinstance(v, str),
    "read_only": lambda v: isinstance(v, bool),
    "destructive": lambda v: isinstance(v, bool),
    "idempotent": lambda v: isinstance(v, bool),
    "open_world": lambda v: isinstance(v, bool),
    "timeout": lambda v: v is None or (isinstance(v, int | float) and not isinstance(v, bool)),
    "scopes": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
    "meta": lambda v: v is None or isinstance(v, dict),
    "aliases": lambda v: isinstance(v, dict) and all(isinstance(f, dict) for f in v.values()),
    "input_fields": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
    "input_schema": lambda v: isinstance(v, dict),
    "listed_input_schema": lambda v: isinstance(v, dict),
    "output_schema": lambda v: v is None or isinstance(v, dict),
    "header": lambda v: isinstance(v, bool),
}


def well_formed(data: object) -> bool:
    """Whether kept data has exactly the listing's fields, each of its type (anything else is not trusted)."""
    return (
        isinstance(data, dict)
        and data.keys() == _FIELDS.keys()
        and all(check(data[name]) for name, check in _FIELDS.items())
    )


@dataclass
class Loader:
    """What a deferred tool needs to build and check its spec on first use: the ref, the pack's settings,
    its prefixes, the host's schema caches and the kept listings (to drop one its code no longer builds)."""

    ref: ToolRef
    settings: Any
    prefixes: Sequence[str]
    verdicts: SchemaVerdicts
    kept: ToolSchemaCache
    listings: ToolSpecCache
    lock: threading.Lock = field(default_factory=threading.Lock)


class DeferredToolSpec(ToolSpec):
    """A tool listed from its kept listing; ``input_model``, ``output_model`` and ``handler`` import its module
    (once) when first read. Everything else (name, description, flags, schemas, annotations) is the listing."""

    def __init__(self, data: Mapping[str, Any], loader: Loader, plugin: str = "") -> None:
        values = {
            "name": data["name"],
            "description": data["description"],
            "title": data["title"],
            "read_only": data["read_only"],
            "destructive": data["destructive"],
            "idempotent": data["idempotent"],
            "open_world": data["open_world"],
            "timeout": data["timeout"],
            "scopes": tuple(data["scopes"]),
            "plugin": plugin,
            "meta": data["meta"],
            "aliases": data["aliases"],
            "_data": data,
            "_loader": loader,
            "_loaded": None,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    _data: Mapping[str, Any]
    _loader: Loader
    _loaded: ToolSpec | None

    def __repr__(self) -> str:
        return f"DeferredToolSpec(name={self.name!r}, spec={self._loader.ref.spec!r}, plugin={self.plugin!r})"

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    @property
    def input_model(self) -> type[BaseModel]:
        return self.loaded().input_model

    @property
    def output_model(self) -> type[BaseModel] | None:
        return self.loaded().output_model

    @property
    def handler(self) -> Handler:
        return self.loaded().handler

    @property
    def deferred(self) -> bool:
        return True

    @property
    def is_loaded(self) -> bool:
        """Whether its module has been imported and its spec built (on first use)."""
        return self._loaded is not None

    def with_plugin(self, plugin: str) -> DeferredToolSpec:
        return DeferredToolSpec(self._data, self._loader, plugin)

    def input_schema(self) -> dict[str, Any]:
        return copy.deepcopy(self._data["listed_input_schema"])

    def mcp_param_schema(self) -> Mapping[str, Any] | None:
        return self._data["listed_input_schema"] if self._data["header"] else None

    def output_schema(self) -> dict[str, Any] | None:
        schema = self._data["output_schema"]
        return None if schema is None else copy.deepcopy(schema)

    def argument_names(self) -> set[str]:
        return set(self._data["input_fields"])

    def kept_schemas(self) -> tuple[tuple[str, dict[str, Any]], ...]:
        """The generated input and output schemas of the listing (for the metaschema check at registration)."""
        schemas = (("input", self._data["input_schema"]), ("output", self._data["output_schema"]))
        return tuple((label, schema) for label, schema in schemas if schema is not None)

    def loaded(self) -> ToolSpec:
        """The spec built from its module (imported on the first call). :raises ToolError: the module does not
        import, or its spec is not the one listed (its code changed after the server started)."""
        if self._loaded is not None:
            return self._loaded
        loader = self._loader
        with loader.lock:
            if self._loaded is None:
                object.__setattr__(self, "_loaded", self._load(loader))
        assert self._loaded is not None
        return self._loaded

    def _load(self, loader: Loader) -> ToolSpec:
        from ggen_mcp_core.registration import handler_problem

        ref = loader.ref
        try:
            spec = build(ref, loader.settings).with_plugin(self.plugin)
        except Exception as exc:
            loader.listings.forget(ref)  # the next start builds it again: its pack is then reported as failed
            raise ToolError(
                f"tool {self.name} could not be loaded from {ref.spec}: {type(exc).__name__}: {exc}"
            ) from exc
        problems = check_tool(spec, loader.prefixes, loader.verdicts, loader.kept)
        sync = handler_problem(spec.name, spec.handler)
        if problems or sync or listing(spec, loader.kept) != self._data:
            loader.listings.forget(ref)  # so the restart builds and checks it again
            raise ToolError(
                f"tool {self.name}: its code ({ref.spec}) changed after the server started and no longer "
                "matches what the server listed; restart the server"
            )
        return spec
