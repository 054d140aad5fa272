"""A pytest plugin for testing ggen-mcp packs, ours and third-party ones.

Installed with ``ggen-mcp`` (entry point ``pytest11``), so its fixtures are available in any test suite:

- ``ggen_workspace``: an empty workspace directory;
- ``ggen_host``: ``ggen_host(plugins=["graph"], **settings)`` returns a loaded :class:`PluginHost` with only
  those entry-point plugins (plus ``modules={"name": module}`` for plugins that are not installed);
- ``ggen_client``: ``async with ggen_client(host, mode="legacy") as client:`` an in-memory MCP client
  speaking 2025-11-25 (``"legacy"``) or 2026-07-28 (``"auto"``);
- ``ggen_listener``: a TCP socket listening on 127.0.0.1 that nothing may contact: point a ``SERVICE``, a
  ``LOAD`` or a URL at ``http://127.0.0.1:<port>/`` and assert ``not contacted(ggen_listener)`` afterwards.

:class:`ToolFamilyConformance` is a base class every pack's tests subclass: it checks the rules every pack
must keep (prefixed unique names, non-empty descriptions, valid schemas, honest annotations, ``async def``
handlers, no heavy imports when the plugin module is imported).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pytest
from jsonschema import Draft202012Validator

from ggen_mcp_core.config import Settings
from ggen_mcp_core.entry_point_cache import FILE_NAME as ENTRY_POINTS_FILE
from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.schema_verdicts import FILE_NAME as SCHEMA_VERDICTS_FILE
from ggen_mcp_core.tool_schema_cache import FILE_NAME as TOOL_SCHEMAS_FILE

ClientMode = Literal["auto", "legacy"]


def make_host(
    workspace: Path,
    plugins: Sequence[str] | None = None,
    *,
    modules: Mapping[str, ModuleType] | None = None,
    **settings: Any,
) -> PluginHost:
    """A loaded host: the entry-point plugins named in ``plugins`` (None = all installed) plus ``modules``."""
    load = None if plugins is None else ",".join(plugins)
    own_cache = "cache_dir" not in settings
    settings.setdefault("cache_dir", cache_dir_beside(workspace))
    if own_cache:
        _seed_schema_files(Path(settings["cache_dir"]))
    host = PluginHost(Settings.load(workspace=workspace, load_plugins=load, **settings))
    host.load()
    if own_cache:
        _keep_schema_files(Path(settings["cache_dir"]))
    for name, module in (modules or {}).items():
        host.add_module(module, name=name)
    return host


def cache_dir_beside(workspace: Path) -> Path:
    """The ``cache_dir`` :func:`make_host` gives a test host: beside the workspace (``<workspace>.cache``),
    so a test never fills the user's cache and never shares one with another test."""
    path = Path(workspace)
    return path.parent / f"{path.name}.cache"


# The files a test host's load wrote in its own cache_dir (the tool schemas generated from the packs' models,
# the digests of the schemas found valid, the plugin entry points found on this sys.path), kept for this
# process: a later test host starts from a copy in its own, otherwise empty, cache_dir (never a shared one) and
# reads them there, as a second start of a server does, instead of generating and checking all 76 schemas and
# reading every installed distribution's metadata again (about 0.15-0.45 s of CPU per host). Entries of models
# from temporary folders (packs a test writes) are not kept. The entry points are the host's own kept file
# (`ggen_mcp_core.entry_point_cache`): the latest one written is kept, and a host on another sys.path ignores
# it and looks them up again. Hosts given a ``cache_dir`` get exactly that folder;
# tests/test_tool_schema_cache.py, tests/test_entry_point_cache.py and tests/test_startup_imports.py cover the
# cold path.
_SCHEMA_FILES = (TOOL_SCHEMAS_FILE, SCHEMA_VERDICTS_FILE, ENTRY_POINTS_FILE)
_kept_schema_files: dict[str, bytes] = {}
_last_read: dict[str, bytes] = {}


def _seed_schema_files(cache_dir: Path) -> None:
    for name, data in _kept_schema_files.items():
        target = cache_dir / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _keep_schema_files(cache_dir: Path) -> None:
    for name in _SCHEMA_FILES:
        with contextlib.suppress(OSError):
            data = (cache_dir / name).read_bytes()
            if data in (_kept_schema_files.get(name), _last_read.get(name)):
                continue  # what was kept or already looked at
            _last_read[name] = data
            if name == TOOL_SCHEMAS_FILE:
                data = _without_temporary_models(data)
            if name == ENTRY_POINTS_FILE or len(data) >= len(_kept_schema_files.get(name, b"")):
                _kept_schema_files[name] = data


def _without_temporary_models(data: bytes) -> bytes:
    kept = json.loads(data)
    temporary = Path(tempfile.gettempdir()).resolve()
    kept["schemas"] = {
        key: schema for key, schema in kept.get("schemas", {}).items() if not _from_folder(key, temporary)
    }
    return json.dumps(kept).encode()


def _from_folder(key: str, folder: Path) -> bool:
    """Whether the model named by a tool-schema key (``module:qualname:fingerprint``) comes from ``folder``."""
    module = sys.modules.get(key.partition(":")[0].partition(".")[0])
    source = getattr(module, "__file__", None)
    return source is None or Path(source).resolve().is_relative_to(folder)


@contextlib.asynccontextmanager
async def open_client(host: PluginHost, mode: ClientMode = "auto", **client_options: Any) -> AsyncIterator[Any]:
    """An in-memory MCP client session on ``host``'s server, in the chosen protocol era."""
    from mcp import Client

    from ggen_mcp_core.server import build_server

    server = build_server(host, transport="memory")
    async with Client(server, mode=mode, **client_options) as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio."""
    return "asyncio"


@pytest.fixture
def ggen_workspace(tmp_path: Path) -> Path:
    """An empty workspace directory."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return workspace


@pytest.fixture
def ggen_host(ggen_workspace: Path) -> Callable[..., PluginHost]:
    """Factory: ``ggen_host(plugins=["graph"], read_only=True)`` -> a loaded PluginHost."""

    def factory(plugins: Sequence[str] | None = None, **kwargs: Any) -> PluginHost:
        kwargs.setdefault("workspace", ggen_workspace)
        workspace = kwargs.pop("workspace")
        return make_host(workspace, plugins, **kwargs)

    return factory


@pytest.fixture
def ggen_client() -> Callable[..., contextlib.AbstractAsyncContextManager[Any]]:
    """Factory: ``async with ggen_client(host, mode="legacy") as client: ...``."""
    return open_client


@pytest.fixture
def ggen_listener() -> Iterator[socket.socket]:
    """A TCP socket listening on 127.0.0.1 (a free port) that the code under test must never contact."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


def contacted(server: socket.socket) -> bool:
    """True when something connected to ``server`` (a :func:`ggen_listener`) since the last look."""
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def tool_text(result: Any) -> str:
    """All text blocks of a tool result joined: what an ``isError`` message says."""
    return "\n".join(getattr(block, "text", "") for block in result.content)


class ToolFamilyConformance:
    """Subclass in a pack's tests and set ``plugin`` (entry-point name) and ``prefixes``.

    ``heavy_modules`` lists modules the plugin must not import at plugin-import time (import them inside
    handlers instead), so ``ggen-mcp --help`` and start-up stay fast and a missing optional dependency
    fails one call, not the plugin.
    """

    plugin: str = ""
    prefixes: tuple[str, ...] = ()
    heavy_modules: tuple[str, ...] = ()
    expected_tools: tuple[str, ...] = ()

    @pytest.fixture
    def conformance_host(self, ggen_workspace: Path) -> PluginHost:
        return make_host(ggen_workspace, [self.plugin])

    def _specs(self, host: PluginHost) -> list[Any]:
        return [spec for spec in host.tools.values() if spec.plugin == self.plugin]

    def test_plugin_loads(self, conformance_host: PluginHost) -> None:
        record = conformance_host.record(self.plugin)
        assert record is not None, f"plugin {self.plugin!r} is not installed"
        assert record.status == "loaded", record.error

    def test_expected_tools_present(self, conformance_host: PluginHost) -> None:
        names = {spec.name for spec in self._specs(conformance_host)}
        missing = set(self.expected_tools) - names
        assert not missing, f"missing tools: {sorted(missing)}"

    def test_names_prefixed_and_described(self, conformance_host: PluginHost) -> None:
        for spec in self._specs(conformance_host):
            assert spec.name.startswith(self.prefixes), spec.name
            assert spec.description.strip(), f"{spec.name} has no description"
            assert len(spec.description) >= 20, f"{spec.name}: describe what it does and returns"

    def test_schemas_are_valid_objects(self, conformance_host: PluginHost) -> None:
        for spec in self._specs(conformance_host):
            for schema in (spec.input_schema(), spec.output_schema()):
                if schema is None:
                    continue
                Draft202012Validator.check_schema(schema)
                assert schema["type"] == "object", spec.name
                json.dumps(schema)
            for field_name, field in spec.input_model.model_fields.items():
                assert field.description, f"{spec.name}.{field_name} has no description"

    def test_annotations_are_honest(self, conformance_host: PluginHost) -> None:
        for spec in self._specs(conformance_host):
            annotations = spec.annotations()
            if spec.read_only:
                assert annotations.destructive_hint is False, spec.name
            assert spec.timeout is None or spec.timeout > 0

    def test_handlers_are_coroutine_functions(self, conformance_host: PluginHost) -> None:
        """Asked of the plugin's own ``ggen_register_tools``, so it names the handler even when the loader
        refused the plugin for it (a ``ToolRef`` is built: its module imported, its spec made)."""
        import importlib

        from ggen_mcp_core.registration import handler_problem
        from ggen_mcp_core.tool_refs import ToolRef, build

        module = importlib.import_module(_entry_point_module(self.plugin))
        register = getattr(module, "ggen_register_tools", None)
        if register is None:
            return
        # the arguments the loader passes: the host's settings as ``config``, the pack's own as ``settings``
        offered = {"config": conformance_host.settings, "settings": conformance_host.own_settings(self.plugin)}
        specs = register(**{name: offered[name] for name in inspect.signature(register).parameters})
        built = [build(s, offered["settings"]) if isinstance(s, ToolRef) else s for s in specs or []]
        problems = [handler_problem(spec.name, spec.handler) for spec in built]
        assert not [p for p in problems if p], "; ".join(p for p in problems if p)

    def test_no_heavy_imports_at_plugin_import(self) -> None:
        if not self.heavy_modules:
            return
        record_module = _entry_point_module(self.plugin)
        code = (
            "import importlib, json, sys\n"
            f"importlib.import_module({record_module!r})\n"
            f"print(json.dumps([m for m in {list(self.heavy_modules)!r} if m in sys.modules]))\n"
        )
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert json.loads(output.stdout) == [], f"imported at plugin import: {output.stdout.strip()}"


def _entry_point_module(name: str) -> str:
    import importlib_metadata

    for entry_point in importlib_metadata.entry_points(group="ggen_mcp.plugins"):
        if entry_point.name == name:
            return str(entry_point.value).split(":")[0]
    raise LookupError(f"no ggen_mcp.plugins entry point named {name!r}")


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or with None, remove) environment variables for the duration of a block."""
    import os

    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
