"""Entry-point discovery, isolated loading, and the PluginRecord of every plugin.

Each plugin loads completely or not at all, alone: a plugin that fails to import, to register, or whose
tools are invalid is unregistered and reported (stderr, ``ggen-mcp plugins``, ``ggen://plugins``,
``/readyz``); the others load. ``GGEN_MCP_STRICT_PLUGINS=1`` and ``required_plugins`` make failures fatal.
"""

from __future__ import annotations

import inspect
import traceback
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.to_thread
import pluggy
import structlog
from pydantic import BaseModel

from ggen_mcp_core import hookspecs
from ggen_mcp_core.config import ConfigError, Settings
from ggen_mcp_core.errors import PluginRegistrationError, PluginUnavailable, ToolError
from ggen_mcp_core.events import LifecycleEvent, RequestInfo, ToolCallEvent
from ggen_mcp_core.principal import Principal
from ggen_mcp_core.ratelimit import RateLimiter
from ggen_mcp_core.registration import (
    collision_problem,
    command_problem,
    handler_problem,
    is_first_party,
    normalized_distribution,
    owner,
    reserved_prefix_problem,
    reserved_uri_problem,
)
from ggen_mcp_core.resources import PromptSpec, ResourceSpec, ResourceTemplateSpec, maybe_await
from ggen_mcp_core.schema_verdicts import FILE_NAME as SCHEMA_VERDICTS_FILE
from ggen_mcp_core.schema_verdicts import SchemaVerdicts
from ggen_mcp_core.tool_refs import DeferredToolSpec, Loader, ToolRef, build, listing, packages, settings_digest
from ggen_mcp_core.tool_schema_cache import FILE_NAME as TOOL_SCHEMAS_FILE
from ggen_mcp_core.tool_schema_cache import ToolSchemaCache
from ggen_mcp_core.tool_spec_cache import FILE_NAME as TOOL_SPECS_FILE
from ggen_mcp_core.tool_spec_cache import ToolSpecCache
from ggen_mcp_core.tools import ToolSpec, check_tool
from ggen_mcp_core.toolsets import DISCOVERY_PLUGIN, dormant_reason
from ggen_mcp_core.workspace import Workspace

if TYPE_CHECKING:
    import click
    from importlib_metadata import EntryPoint

    from ggen_mcp_core.client_events import ClientEvents
    from ggen_mcp_core.tools import ToolContext

ENTRY_POINT_GROUP = "ggen_mcp.plugins"
REGISTRATION_HOOKS = ("ggen_register_tools", "ggen_register_resources", "ggen_register_prompts")
Status = Literal["loaded", "disabled", "unavailable", "failed_import", "failed_register"]
Phase = Literal["discover", "import", "register", "ready"]
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

log = structlog.get_logger("ggen_mcp.plugins")


class PluginLoadError(Exception):
    """Plugins failed while strict loading or a required plugin is missing."""


@dataclass
class PluginRecord:
    """What the host knows about one plugin: where it came from and how loading went."""

    name: str
    distribution: str | None = None
    version: str | None = None
    module: str | None = None
    status: Status = "loaded"
    phase: Phase = "discover"
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    builtin: bool = False
    commands: list[str] | None = None  # None until ``register_commands`` ran (``ggen-mcp plugins`` runs it)
    command_errors: list[str] | None = None
    traceback: str | None = field(default=None, repr=False)

    def to_dict(self, *, verbose: bool = False) -> dict[str, Any]:
        """The JSON form shown by ``ggen-mcp plugins --json``, ``ggen://plugins`` and ``/readyz``.

        :param verbose: include ``traceback``, the captured traceback of a failure (``plugins --json --verbose``).
        """
        data = asdict(self)
        if not verbose:
            data.pop("traceback")
        for key in ("commands", "command_errors"):
            if data[key] is None:
                data.pop(key)
        return data

    @property
    def failed(self) -> bool:
        return self.status in ("failed_import", "failed_register", "unavailable")


@dataclass
class _Registration:
    tools: list[ToolSpec] = field(default_factory=list)
    resources: list[ResourceSpec] = field(default_factory=list)
    templates: list[ResourceTemplateSpec] = field(default_factory=list)
    prompts: list[PromptSpec] = field(default_factory=list)
    built: list[tuple[ToolRef, str, ToolSpec]] = field(default_factory=list)  # refs built now: kept once checked


def _connection_of(session: Any) -> object:
    """The per-connection object behind an SDK session (one ServerSession is made per request)."""
    return getattr(session, "_connection", session)


def builtin_plugins(settings: Settings) -> list[tuple[str, object]]:
    """The core's own behaviours, registered as ordinary plugins; auth misconfiguration is fatal."""
    from ggen_mcp_core.builtins import (
        audit,
        authentication,
        authorization,
        introspection,
        metrics,
        workflow_prompts,
    )
    from ggen_mcp_core.config import ConfigError

    plugins: list[tuple[str, object]] = [
        ("core-authorization", authorization),
        ("core-metrics", metrics),
        ("core-introspection", introspection),
        ("core-prompts", workflow_prompts),
    ]
    if settings.discovery == "dynamic":
        from ggen_mcp_core.builtins import discovery

        plugins.append(("core-discovery", discovery))
    if settings.audit.enabled:
        plugins.append(("core-audit", audit.AuditPlugin(settings.audit)))
    if settings.auth.mode != "none":
        try:
            plugins.append(("core-authentication", authentication.AuthenticationPlugin(settings.auth)))
        except (ValueError, OSError) as exc:
            raise ConfigError(f"invalid setting auth: {exc}") from None
    return plugins


def _distribution(entry_point: EntryPoint) -> str | None:
    return normalized_distribution(entry_point.dist.name if entry_point.dist else None)


class PluginHost:
    """The plugin manager, the registries built from it, and the hook calls the server makes."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        entry_points: Iterable[EntryPoint] | None = None,
        builtins: bool = True,
    ) -> None:
        self.settings = settings or Settings.load()
        self.workspace = Workspace(self.settings.resolved_workspace(), protected_paths=self.settings.protected_paths)
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.records: list[PluginRecord] = []
        self.tools: dict[str, ToolSpec] = {}
        self.hidden_tools: dict[str, str] = {}
        self.dormant_tools: dict[str, ToolSpec] = {}  # discovery = dynamic: toolsets not enabled yet
        self.aliases: dict[str, tuple[str, Mapping[str, Any]]] = {}  # old name -> (tool, fixed arguments)
        self.resources: dict[str, ResourceSpec] = {}
        self.resource_templates: list[ResourceTemplateSpec] = []
        self.prompts: dict[str, PromptSpec] = {}
        self._owners: dict[tuple[str, str], str] = {}  # (kind, name) -> the plugin that registered it
        self.ready = False
        self.client_log_level = "info"
        self.client_events: ClientEvents | None = None  # made by the first server built on this host
        self.draining = False
        self._client_log_levels: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
        self._entry_points = entry_points
        self._builtins = builtins
        self._modules: dict[str, object] = {}
        self._sections: dict[str, tuple[str, type[BaseModel]]] = {}  # plugin -> its declared section and model
        self._pack_settings: dict[str, BaseModel] = {}  # plugin -> its validated section
        self.settings_errors: dict[str, str] = {}  # plugin -> why its section is invalid
        self.call_limiter = anyio.CapacityLimiter(self.settings.max_concurrent_calls)
        self.schema_verdicts = SchemaVerdicts(self.settings.resolved_cache_dir() / SCHEMA_VERDICTS_FILE)
        self.tool_schemas = ToolSchemaCache(self.settings.resolved_cache_dir() / TOOL_SCHEMAS_FILE)
        self.tool_listings = ToolSpecCache(self.settings.resolved_cache_dir() / TOOL_SPECS_FILE)
        self.rate_limiter: RateLimiter | None = (
            RateLimiter(self.settings.rate_limit) if self.settings.rate_limit.enabled else None
        )

    # -- loading -------------------------------------------------------------------------------------

    def load(self, *, report: bool = True) -> list[PluginRecord]:
        """Load built-ins and every discovered plugin, each in isolation; return the records.

        :param report: log one stderr line per plugin that did not load.
        """
        if self._builtins:
            for name, plugin in builtin_plugins(self.settings):
                self.add_module(plugin, name=name, builtin=True, distribution="ggen-mcp")
        discovered, refused = self._discover()
        for entry_point in discovered:
            self._load_entry_point(entry_point)
        for entry_point, kept in refused:
            self._refuse_entry_point(entry_point, kept)
        self.schema_verdicts.save()
        self.tool_schemas.save()
        self.tool_listings.save()
        self._apply_visibility()
        if report:
            self._report()
        self._enforce()
        self.ready = True
        return self.records

    def _discover(self) -> tuple[list[EntryPoint], list[tuple[EntryPoint, EntryPoint]]]:
        """The entry points to load, by name; and those refused because another distribution has the name
        (each with the one kept: a first-party pack keeps its name, otherwise the first found does)."""
        found = self._entry_points
        if found is None:
            from ggen_mcp_core.entry_point_cache import entry_points  # kept between starts in the cache directory

            found = entry_points(ENTRY_POINT_GROUP, self.settings.resolved_cache_dir())
        unique: dict[str, EntryPoint] = {}
        refused: list[tuple[EntryPoint, EntryPoint]] = []
        for entry_point in found:
            kept = unique.setdefault(entry_point.name, entry_point)
            if kept is entry_point or _distribution(kept) == _distribution(entry_point):
                continue  # the same distribution seen twice on sys.path
            if is_first_party(_distribution(entry_point)) and not is_first_party(_distribution(kept)):
                unique[entry_point.name], entry_point, kept = entry_point, kept, entry_point
            refused.append((entry_point, kept))
        return [unique[name] for name in sorted(unique)], refused

    def _refuse_entry_point(self, entry_point: EntryPoint, kept: EntryPoint) -> None:
        """Report an entry point whose name another distribution's plugin has (after every plugin loaded, so
        ``record(name)`` finds the one that loaded)."""
        record = PluginRecord(
            name=entry_point.name,
            distribution=entry_point.dist.name if entry_point.dist else None,
            version=entry_point.dist.version if entry_point.dist else None,
            module=entry_point.value,
        )
        self.records.append(record)
        reason = self._selected(record)
        if reason:
            record.status, record.error = "disabled", reason
            return
        holder = owner(kept.name, kept.dist.name if kept.dist else None)
        self._fail(
            record,
            "failed_register",
            f"{owner(record.name, record.distribution)} is refused: {holder} has the same entry-point name "
            f"(group {ENTRY_POINT_GROUP}), which stays; rename the entry point",
        )

    def _selected(self, record: PluginRecord) -> str | None:
        """Why this plugin is disabled, or None when it should load."""
        names = {record.name, record.distribution or ""}
        disabled = set(self.settings.disable_plugins)
        if "*" in disabled or names & disabled:
            return "disabled by GGEN_MCP_DISABLE_PLUGINS"
        if self.settings.load_plugins is not None and not names & set(self.settings.load_plugins):
            return "not listed in GGEN_MCP_LOAD_PLUGINS"
        return None

    def _load_entry_point(self, entry_point: EntryPoint) -> None:
        dist = entry_point.dist
        record = PluginRecord(
            name=entry_point.name,
            distribution=dist.name if dist else None,
            version=dist.version if dist else None,
            module=entry_point.value,
        )
        self.records.append(record)
        reason = self._selected(record)
        if reason:
            record.status, record.error = "disabled", reason
            return
        record.phase = "import"
        try:
            module = entry_point.load()
        except (PluginUnavailable, ModuleNotFoundError) as exc:
            self._fail(record, "unavailable", exc)
            return
        except Exception as exc:
            self._fail(record, "failed_import", exc)
            return
        self._register(record, module)

    def add_module(
        self, module: object, *, name: str, builtin: bool = False, distribution: str | None = None
    ) -> PluginRecord:
        """Register an already-imported plugin module (built-ins, tests); isolated like entry points."""
        from ggen_mcp_core import __version__

        record = PluginRecord(
            name=name,
            module=getattr(module, "__name__", type(module).__module__),
            builtin=builtin,
            distribution=distribution,
            phase="import",
            version=__version__ if distribution == "ggen-mcp" else None,
        )
        self.records.append(record)
        self._register(record, module)
        if self.ready:  # added after loading (tests, in-process packs): keep its tools' listings now
            self.tool_listings.save()
        return record

    def _fail(self, record: PluginRecord, status: Status, exc: BaseException | str) -> None:
        record.status = status
        if isinstance(exc, BaseException):
            record.error = f"{type(exc).__name__}: {exc}"
            record.traceback = "".join(traceback.format_exception(exc))
        else:
            record.error = exc

    def _register(self, record: PluginRecord, module: object) -> None:
        record.phase = "register"
        try:
            self.pm.register(module, name=record.name)
            self._check_hookimpls(record.name, module)
            pack_settings = self._validated_settings(record.name, module)
            registration = self._collect(record.name, module, pack_settings)
            self._validate(record, module, registration)
        except Exception as exc:
            self._unregister(record.name)
            self._fail(record, "failed_register", exc)
            return
        if pack_settings is not None:
            self._pack_settings[record.name] = pack_settings
        self._keep_listings(registration)
        self._commit(record, module, registration)

    def _validated_settings(self, name: str, module: object) -> BaseModel | None:
        """The plugin's section, validated against the model it declares as ``SETTINGS_SECTION``.

        :raises ConfigError: naming the bad key and its environment variable (the plugin is not loaded).
        """
        declared = getattr(module, "SETTINGS_SECTION", None)
        if declared is None:
            return None
        if not (
            isinstance(declared, tuple)
            and len(declared) == 2
            and isinstance(declared[0], str)
            and declared[0]
            and isinstance(declared[1], type)
            and issubclass(declared[1], BaseModel)
        ):
            raise ToolError("SETTINGS_SECTION must be (section name, pydantic model class)")
        section: str = declared[0]
        model: type[BaseModel] = declared[1]
        owner = next((p for p, (s, _) in self._sections.items() if s == section and p in self._pack_settings), None)
        if owner is not None:
            raise ToolError(f"settings section {section!r} is already declared by plugin {owner!r}")
        self._sections[name] = (section, model)
        try:
            return self.settings.section(section, model)
        except ConfigError as exc:
            self.settings_errors[name] = str(exc)
            raise

    def _unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin=plugin, name=name)
        elif name in self.pm._name2plugin:  # pluggy keeps a name after a failed register
            del self.pm._name2plugin[name]

    def _check_hookimpls(self, name: str, module: object) -> None:
        plugin = self.pm.get_plugin(name)
        for impl_caller in self.pm.get_hookcallers(plugin) or []:
            for impl in impl_caller.get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                if impl.hookwrapper or impl.wrapper:
                    raise PluginRegistrationError(f"hook wrapper {impl.function.__name__} is not supported")
                if impl_caller.spec is None and not impl.optionalhook:
                    raise PluginRegistrationError(
                        f"hookimpl {impl_caller.name} has no hookspec (misspelled hook name?)"
                    )

    def _impl_for(self, hook_name: str, module: object) -> Any:
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin is module:
                return impl
        return None

    def _collect(self, name: str, module: object, pack_settings: BaseModel | None) -> _Registration:
        registration = _Registration()
        arguments = {"config": self.settings, "settings": pack_settings}
        for hook_name in REGISTRATION_HOOKS:
            impl = self._impl_for(hook_name, module)
            if impl is None:
                continue
            items = impl.function(**{arg: arguments[arg] for arg in impl.argnames}) or []
            for item in items:
                if isinstance(item, ToolSpec) and hook_name == "ggen_register_tools":
                    registration.tools.append(item.with_plugin(name))
                elif isinstance(item, ToolRef) and hook_name == "ggen_register_tools":
                    registration.tools.append(self._referenced_tool(name, module, item, pack_settings, registration))
                elif isinstance(item, ResourceSpec) and hook_name == "ggen_register_resources":
                    registration.resources.append(item.with_plugin(name))
                elif isinstance(item, ResourceTemplateSpec) and hook_name == "ggen_register_resources":
                    registration.templates.append(item.with_plugin(name))
                elif isinstance(item, PromptSpec) and hook_name == "ggen_register_prompts":
                    registration.prompts.append(item.with_plugin(name))
                else:
                    raise PluginRegistrationError(f"{hook_name} returned {type(item).__name__}, which it may not")
        return registration

    def _referenced_tool(
        self, name: str, module: object, ref: ToolRef, pack_settings: BaseModel | None, registration: _Registration
    ) -> ToolSpec:
        """A tool registered by reference: listed from its kept listing when its code and settings are those it
        was kept from (its module imported on first use), else built now (and kept once checked)."""
        digest = settings_digest(pack_settings)
        data = self.tool_listings.get(ref, digest)
        if data is not None:
            prefixes = getattr(module, "TOOL_PREFIXES", (f"{name}_",))
            loader = Loader(ref, pack_settings, prefixes, self.schema_verdicts, self.tool_schemas, self.tool_listings)
            return DeferredToolSpec(data, loader, name)
        spec = build(ref, pack_settings).with_plugin(name)
        registration.built.append((ref, digest, spec))
        return spec

    def _keep_listings(self, registration: _Registration) -> None:
        """Keep the listings of the refs built and checked now, for the next start (a listing that cannot be
        kept only means the tool is built again next time: never a failure of the pack)."""
        for ref, digest, spec in registration.built:
            try:
                data = listing(spec, self.tool_schemas)
                if data is not None:
                    self.tool_listings.put(ref, digest, packages(spec, ref), data)
            except Exception as exc:
                log.debug("tool listing not kept", tool=spec.name, error=f"{type(exc).__name__}: {exc}")

    def _validate(self, record: PluginRecord, module: object, registration: _Registration) -> None:
        """Every problem of this plugin's registration at once (docs/plugins.md, "What registration refuses")."""
        prefixes: Sequence[str] = getattr(module, "TOOL_PREFIXES", (f"{record.name}_",))
        problems: list[str] = []
        seen: set[str] = set()
        for spec in registration.tools:
            problems += check_tool(spec, prefixes, self.schema_verdicts, self.tool_schemas)
            problems += self._claim_problems("tool", spec.name, record)
            if spec.name in seen:
                problems.append(f"tool {spec.name!r} is registered twice by {self._owner(record)}")
            seen.add(spec.name)
            sync = None if spec.deferred else handler_problem(spec.name, spec.handler)
            if sync:
                problems.append(sync)
        for spec in registration.tools:
            for alias in spec.aliases:
                problems += self._alias_problems(alias, spec.name, record, seen)
                seen.add(alias)
        for resource in registration.resources:
            problems += self._claim_problems("resource", resource.uri, record)
        for template in registration.templates:
            problems += self._claim_problems("resource template", template.uri_template, record)
        for prompt in registration.prompts:
            problems += self._claim_problems("prompt", prompt.name, record)
            if not prompt.description.strip():
                problems.append(f"prompt {prompt.name!r} has an empty description")
        if problems:
            raise PluginRegistrationError("; ".join(problems))

    def _owner(self, record: PluginRecord) -> str:
        return owner(record.name, record.distribution)

    def _claim_problems(self, kind: str, name: str, record: PluginRecord) -> list[str]:
        """A name under a first-party prefix (a URI under ``ggen://``) from another distribution, or one
        already taken (both owners named). The reserved rules do not depend on load order: the intruder
        fails, never the owner."""
        problems = []
        reserved = reserved_uri_problem if kind.startswith("resource") else reserved_prefix_problem
        intrusion = reserved(kind, name, record.name, record.distribution)
        if intrusion:
            problems.append(intrusion)
        holder = self._owners.get((kind, name))
        if holder is not None:
            problems.append(collision_problem(kind, name, self._owner(record), holder))
        return problems

    def _alias_problems(self, alias: str, tool: str, record: PluginRecord, seen: set[str]) -> list[str]:
        """An alias under another distribution's prefix, or a name a tool or alias already has (both owners)."""
        claimant = f"{self._owner(record)} (an alias of {tool!r})"
        problems = []
        intrusion = reserved_prefix_problem("tool alias", alias, record.name, record.distribution)
        if intrusion:
            problems.append(intrusion)
        holder = self._owners.get(("tool", alias))
        if holder is None and alias in seen:
            holder = f"{self._owner(record)} itself"
        if holder is not None:
            problems.append(collision_problem("tool alias", alias, claimant, holder))
        return problems

    def alias_target(self, name: str) -> str:
        """The tool an alias stands for; any other name unchanged."""
        target = self.aliases.get(name)
        return target[0] if target is not None and name not in self.tools else name

    def _commit(self, record: PluginRecord, module: object, registration: _Registration) -> None:
        self._modules[record.name] = module
        holder = self._owner(record)
        for spec in registration.tools:
            self.tools[spec.name] = spec
            self._owners["tool", spec.name] = holder
            for alias, fixed in spec.aliases.items():
                self.aliases[alias] = (spec.name, dict(fixed))
                self._owners["tool", alias] = f"{holder} as an alias of {spec.name!r}"
        for resource in registration.resources:
            self.resources[resource.uri] = resource
            self._owners["resource", resource.uri] = holder
        self.resource_templates.extend(registration.templates)
        for template in registration.templates:
            self._owners["resource template", template.uri_template] = holder
        for prompt in registration.prompts:
            self.prompts[prompt.name] = prompt
            self._owners["prompt", prompt.name] = holder
        plugin = self.pm.get_plugin(record.name)
        record.hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or [])
        record.tools = [t.name for t in registration.tools]
        record.resources = [r.uri for r in registration.resources] + [t.uri_template for t in registration.templates]
        record.prompts = [p.name for p in registration.prompts]
        record.status, record.phase = "loaded", "ready"

    def _apply_visibility(self) -> None:
        """Hide what ``read_only``, ``toolsets`` and ``discovery`` keep from clients.

        :raises ConfigError: when ``toolsets`` names a toolset no loaded pack offers (a typo would serve nothing).
        """
        toolsets = set(self.settings.toolsets or [])
        known = sorted({spec.plugin for spec in self.tools.values() if spec.plugin != DISCOVERY_PLUGIN})
        unknown = sorted(toolsets - set(known))
        if unknown:
            raise ConfigError(
                f"invalid setting toolsets: no toolset {', '.join(map(repr, unknown))}; "
                f"toolsets: {', '.join(known) or 'none (no pack with tools is loaded)'}"
            )
        for name, spec in list(self.tools.items()):
            reason = None
            if spec.plugin == DISCOVERY_PLUGIN:
                continue
            if self.settings.read_only and not spec.read_only:
                reason = "read-only mode"
            elif toolsets and spec.plugin not in toolsets:
                reason = f"toolset {spec.plugin!r} not enabled"
            elif self.settings.discovery == "dynamic":
                self.dormant_tools[name] = spec
                reason = dormant_reason(spec.plugin)
            if reason:
                self.hidden_tools[name] = reason
                del self.tools[name]

    def _report(self) -> None:
        from ggen_mcp_core import observability

        observability.set_plugin_status(self.records)
        for record in self.records:
            if record.failed:
                log.warning(
                    "plugin not loaded",
                    plugin=record.name,
                    distribution=record.distribution,
                    version=record.version,
                    status=record.status,
                    error=record.error,
                )

    def _enforce(self) -> None:
        failed = [r for r in self.records if r.failed]
        if self.settings.strict_plugins and failed:
            names = ", ".join(f"{r.name} ({r.status}: {r.error})" for r in failed)
            raise PluginLoadError(f"strict plugin loading: {names}")
        loaded = {n for r in self.records if r.status == "loaded" for n in (r.name, r.distribution) if n}
        missing = [name for name in self.settings.required_plugins if name not in loaded]
        if missing:
            raise PluginLoadError(f"required plugins not loaded: {', '.join(missing)}")

    # -- queries ---------------------------------------------------------------------------------------

    def record(self, name: str) -> PluginRecord | None:
        return next((r for r in self.records if r.name == name), None)

    def plugin_dicts(self, *, include_builtin: bool = True, verbose: bool = False) -> list[dict[str, Any]]:
        return [r.to_dict(verbose=verbose) for r in self.records if include_builtin or not r.builtin]

    def find_template(self, uri: str) -> tuple[ResourceTemplateSpec, dict[str, str]] | None:
        for template in self.resource_templates:
            variables = template.match(uri)
            if variables is not None:
                return template, variables
        return None

    def settings_sections(self) -> dict[str, type[BaseModel]]:
        """The settings model of every plugin that declared one (``SETTINGS_SECTION = (name, Model)``), by
        section name: loaded plugins, and those that failed to register (for docs and secret handling)."""
        return dict(self._sections.values())

    def pack_settings(self, plugin: str) -> Any:
        """The validated settings of loaded plugin ``plugin`` (None when it declares none).

        Handlers read their own pack's as ``ctx.settings``; this is for a pack that uses another pack's
        engine (the template pack reads the graph pack's store settings).

        :raises ToolError: when that plugin is not loaded (the caller's client sees why).
        """
        record = self.record(plugin)
        if record is None or record.status != "loaded":
            raise ToolError(f"this needs the {plugin} plugin, which is not loaded (see `ggen-mcp plugins`)")
        return self._pack_settings.get(plugin)

    def own_settings(self, plugin: str) -> Any:
        """What ``ctx.settings`` is for plugin ``plugin``'s code: its validated section, or None."""
        return self._pack_settings.get(plugin)

    def context_for(self, plugin: str, context: ToolContext) -> ToolContext:
        """``context`` as plugin ``plugin``'s code sees it: ``settings`` is that plugin's own section."""
        own = self.own_settings(plugin)
        return context if context.settings is own else replace(context, settings=own)

    def set_client_log_level(self, session: Any, level: str) -> None:
        """``logging/setLevel`` for one client connection (others keep theirs)."""
        self._client_log_levels[_connection_of(session)] = level

    def client_log_enabled(self, level: str, session: Any = None) -> bool:
        """Whether a log message at ``level`` goes to the client of ``session``."""
        threshold = (
            self._client_log_levels.get(_connection_of(session), self.client_log_level)
            if session
            else (self.client_log_level)
        )
        return LOG_LEVELS.index(level) >= LOG_LEVELS.index(threshold)

    def in_flight(self) -> int:
        """Tool calls holding a slot right now."""
        return int(self.call_limiter.borrowed_tokens)

    # -- call-time hooks -------------------------------------------------------------------------------

    def _impls(self, hook_name: str) -> list[Any]:
        return list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))

    def _settings_arguments(self, impl: Any) -> dict[str, Any]:
        """``config`` (the server's settings) and ``settings`` (the plugin's own section), as asked for."""
        arguments = {"config": self.settings, "settings": self.own_settings(impl.plugin_name)}
        return {arg: arguments[arg] for arg in impl.argnames}

    async def authenticate(self, request: RequestInfo) -> Principal:
        """First non-None principal from ``ggen_authenticate``; anonymous otherwise. Fails closed."""
        for impl in self._impls("ggen_authenticate"):
            result = await maybe_await(impl.function(request=request))
            if result is not None:
                return result  # type: ignore[no-any-return]
        if request.transport in ("stdio", "memory", "cli"):
            return Principal.local()
        return Principal.anonymous(request.client_address)

    async def authorize(self, principal: Principal, tool: ToolSpec, arguments: Mapping[str, Any] | None) -> bool:
        """Any False denies, else any True allows, else ``auth.default_allow``. An exception denies."""
        allowed = False
        for impl in self._impls("ggen_authorize"):
            kwargs = {"principal": principal, "tool": tool, "arguments": arguments}
            try:
                vote = await maybe_await(impl.function(**{a: kwargs[a] for a in impl.argnames}))
            except Exception:
                log.exception("authorization hook failed; denying", plugin=impl.plugin_name, tool=tool.name)
                return False
            if vote is False:
                return False
            allowed = allowed or vote is True
        return allowed or self.settings.auth.default_allow

    def validates_input(self) -> bool:
        """Whether any plugin implements ``ggen_validate_input`` (else a call need not dump its arguments)."""
        return bool(self.pm.hook.ggen_validate_input.get_hookimpls())

    async def validate_input(self, tool: ToolSpec, arguments: Mapping[str, Any], context: ToolContext) -> list[str]:
        """Problems from every ``ggen_validate_input``; a raising validator is itself a problem."""
        problems: list[str] = []
        for impl in self._impls("ggen_validate_input"):
            kwargs = {"tool": tool, "arguments": arguments, "context": self.context_for(impl.plugin_name, context)}
            try:
                found = await maybe_await(impl.function(**{a: kwargs[a] for a in impl.argnames}))
            except Exception as exc:
                log.exception("input validator failed", plugin=impl.plugin_name, tool=tool.name)
                problems.append(f"input validator of plugin {impl.plugin_name!r} failed ({type(exc).__name__})")
                continue
            problems.extend(str(p) for p in (found or []))
        return problems

    def notify_tool_call(self, event: ToolCallEvent) -> None:
        """Tell every ``ggen_on_tool_call`` observer; their failures are logged and ignored."""
        for impl in self._impls("ggen_on_tool_call"):
            try:
                impl.function(event=event)
            except Exception:
                log.exception("tool-call observer failed", plugin=impl.plugin_name, tool=event.tool)

    async def emit_lifecycle(self, event: LifecycleEvent, context: ToolContext) -> None:
        """Run every ``ggen_lifecycle`` listener; the first exception aborts with a ``ToolError``."""
        from ggen_mcp_core.observability import LIFECYCLE_EVENTS

        for impl in self._impls("ggen_lifecycle"):
            kwargs = {"event": event, "context": self.context_for(impl.plugin_name, context)}
            try:
                await maybe_await(impl.function(**{a: kwargs[a] for a in impl.argnames}))
            except Exception as exc:
                LIFECYCLE_EVENTS.labels(event=event.name, outcome="aborted").inc()
                detail = str(exc) if isinstance(exc, ToolError) else type(exc).__name__
                raise ToolError(f"{event.name} hook of plugin {impl.plugin_name!r} aborted: {detail}") from exc
        LIFECYCLE_EVENTS.labels(event=event.name, outcome="ok").inc()

    async def readiness(self, within: float | None = None) -> dict[str, str]:
        """Why plugins cannot serve yet, by plugin (empty when every plugin is ready); with ``timeout``, a
        check that has not answered within that many seconds counts as not ready."""
        problems: dict[str, str] = {}
        for impl in self._impls("ggen_readiness"):
            reason: object = None
            try:
                with anyio.move_on_after(within) as scope:
                    reason = await maybe_await(impl.function(**self._settings_arguments(impl)))
                if scope.cancelled_caught:
                    reason = f"readiness check did not answer within {within:g} s"
            except Exception as exc:
                log.warning("readiness check failed", plugin=impl.plugin_name, error=f"{type(exc).__name__}: {exc}")
                reason = f"readiness check failed ({type(exc).__name__})"
            if reason:
                problems[impl.plugin_name] = str(reason)
        return problems

    async def shutdown(self) -> None:
        """Let every plugin release its resources; failures are logged, the others still run.

        A coroutine implementation runs on the event loop; a plain function runs in a worker thread, so a
        release that blocks (joining a worker process that flushes its store) does not hold the loop, and
        the loop monitor does not report it as a handler blocking the loop.
        """
        for impl in self._impls("ggen_shutdown"):
            arguments = self._settings_arguments(impl)
            try:
                if inspect.iscoroutinefunction(impl.function):
                    await impl.function(**arguments)
                else:
                    # its own limiter: threads of abandoned calls holding the default one cannot delay it
                    release = partial(impl.function, **arguments)
                    await maybe_await(await anyio.to_thread.run_sync(release, limiter=anyio.CapacityLimiter(1)))
            except Exception:
                log.exception("plugin shutdown failed", plugin=impl.plugin_name)

    def resolve_template(self, ref: str) -> Path | None:
        """The first path a ``ggen_resolve_template`` implementation gives for ``ref``; errors count as None."""
        for impl in self._impls("ggen_resolve_template"):
            try:
                found = impl.function(**{a: {"ref": ref, "workspace": self.workspace.root}[a] for a in impl.argnames})
            except Exception:
                log.exception("template resolver failed", plugin=impl.plugin_name, ref=ref)
                continue
            if found is not None:
                return Path(found)
        return None

    def register_commands(self, cli: click.Group) -> list[str]:
        """Let each plugin add subcommands to ``cli`` (holding the built-in commands); returns the failures.

        A failing plugin's commands are all dropped. A command that would replace (or remove) a built-in
        or another plugin's command is refused and the one already there stays; both owners are named, on
        the plugin's record (``commands``, ``command_errors``) and in the returned lines. First-party packs
        add theirs first, so a third-party pack cannot take a first-party command by sorting before it.
        """
        holders = {name: "the built-in command line of ggen-mcp" for name in cli.commands}
        failures: list[str] = []
        for each in self.records:
            each.commands, each.command_errors = [], []
        for impl in self._command_impls():
            record = self.record(impl.plugin_name) or PluginRecord(name=impl.plugin_name)
            before = dict(cli.commands)
            try:
                impl.function(cli=cli)
            except Exception as exc:
                cli.commands.clear()
                cli.commands.update(before)
                refused = [f"plugin {impl.plugin_name!r} could not add commands: {type(exc).__name__}: {exc}"]
            else:
                refused = self._refuse_replaced_commands(cli, before, holders, self._owner(record))
            record.commands = sorted(cli.commands.keys() - before.keys())
            record.command_errors = refused
            failures += refused
        return failures

    def _command_impls(self) -> list[Any]:
        def third_party(impl: Any) -> bool:
            record = self.record(impl.plugin_name)
            return not is_first_party(record.distribution if record else None)

        in_load_order = self.pm.hook.ggen_register_commands.get_hookimpls()
        return sorted(in_load_order, key=third_party)

    @staticmethod
    def _refuse_replaced_commands(
        cli: click.Group, before: dict[str, click.Command], holders: dict[str, str], claimant: str
    ) -> list[str]:
        """Put back every command the plugin replaced or removed; the refusals, naming both owners."""
        refused = []
        for name, command in before.items():
            if cli.commands.get(name) is not command:
                cli.commands[name] = command
                refused.append(command_problem(name, claimant, holders[name]))
        for name in cli.commands.keys() - before.keys():
            holders[name] = claimant
        return refused
