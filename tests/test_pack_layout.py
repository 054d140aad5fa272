"""A reviewer can say where any tool lives from its name alone (issue 13, docs/plugins.md "Pack layout").

For every tool each first-party pack serves (read from a real ``tools/list``): its handler is defined in
``plugins/<dist>/<pkg>/tools/<tool>.py`` or ``tools/<tool without the prefix>.py``; ``plugin.py`` defines
hook implementations only; and no ``tools/x.py`` sits beside an ``x_er.py``-style domain module.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.plugins import PluginHost

REPO = Path(__file__).resolve().parents[1]
FIRST_PARTY = [
    ("graph", "ggen-graph", "ggen_graph"),
    ("hook", "ggen-hook", "ggen_hook"),
    ("template", "ggen-template", "ggen_template"),
    ("market", "ggen-market", "ggen_market"),
    ("ai", "ggen-ai", "ggen_ai"),
]


def packs() -> list[Any]:
    """The first-party packs, one test case each."""
    return [pytest.param(*pack, id=pack[0]) for pack in FIRST_PARTY]


# Module-level names plugin.py may bind besides hookimpls: the constants the host reads.
PLUGIN_CONSTANTS = {"TOOL_PREFIXES", "SETTINGS_SECTION"}


async def served_tools(ggen_host: Callable[..., PluginHost], ggen_client: Any, plugin: str) -> dict[str, Any]:
    """The pack's tools as a client lists them, each with the handler the host calls."""
    host = ggen_host(plugins=[plugin])
    client_session: AbstractAsyncContextManager[Any] = ggen_client(host)
    async with client_session as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
    assert listed, f"the {plugin} pack serves no tools"
    return {name: host.tools[name].handler for name in listed if host.tools[name].plugin == plugin}


def tool_modules(pkg_dir: Path, tool: str, prefixes: tuple[str, ...]) -> set[Path]:
    """Where a tool may live: ``tools/<tool>.py`` or ``tools/<tool without its prefix>.py``."""
    short = {tool.removeprefix(prefix) for prefix in prefixes if tool.startswith(prefix)}
    return {pkg_dir / "tools" / f"{name}.py" for name in {tool, *short}}


def defining_file(handler: Any) -> Path:
    function = inspect.unwrap(handler)
    source = inspect.getsourcefile(function if inspect.isroutine(function) else type(function))
    assert source, f"no source file for {handler!r}"
    return Path(source).resolve()


@pytest.mark.anyio
@pytest.mark.parametrize(("plugin", "dist", "package"), packs())
async def test_every_tool_lives_in_its_own_module(
    ggen_host: Callable[..., PluginHost], ggen_client: Any, plugin: str, dist: str, package: str
) -> None:
    import importlib

    pkg_dir = REPO / "plugins" / dist / package
    prefixes: tuple[str, ...] = getattr(importlib.import_module(f"{package}.plugin"), "TOOL_PREFIXES", (f"{plugin}_",))
    misplaced = []
    for tool, handler in (await served_tools(ggen_host, ggen_client, plugin)).items():
        allowed = tool_modules(pkg_dir, tool, prefixes)
        found = defining_file(handler)
        if found not in allowed:
            where = " or ".join(sorted(str(p.relative_to(REPO)) for p in allowed))
            shown = found.relative_to(REPO) if REPO in found.parents else found
            misplaced.append(f"{tool}: handler {handler.__module__}.{handler.__qualname__} is in {shown}, not {where}")
    assert not misplaced, "\n".join(misplaced)


def imports_only(body: list[ast.stmt]) -> bool:
    return all(isinstance(inner, ast.Import | ast.ImportFrom) for inner in body)


def non_hookimpl_definitions(source: str) -> list[str]:
    """What a plugin module defines besides hookimpls, imports, its docstring and the host's constants."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" and imports_only(node.body):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(ast.unparse(d).split(".")[-1] == "hookimpl" for d in node.decorator_list):
                continue
            found.append(f"line {node.lineno}: function {node.name} is not a hookimpl")
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names and names <= PLUGIN_CONSTANTS:
                continue
        found.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return found


@pytest.mark.parametrize(("plugin", "dist", "package"), packs())
def test_plugin_py_holds_hookimpls_only(plugin: str, dist: str, package: str) -> None:
    source = (REPO / "plugins" / dist / package / "plugin.py").read_text()
    extra = non_hookimpl_definitions(source)
    assert not extra, f"{dist}/{package}/plugin.py:\n" + "\n".join(extra)


def pairs(tool_stems: set[str], domain_modules: set[str]) -> list[str]:
    """``tools/install.py`` + ``installer.py``, ``tools/remove.py`` + ``removal.py``, ``tools/update.py`` +
    ``updates.py``: a domain module named after a tool module plus an ending (or the same name)."""
    found = []
    for stem in tool_stems:
        root = stem.removesuffix("e")
        for module in domain_modules:
            if module == stem or (module.startswith(root) and 0 < len(module) - len(root) <= 4):
                found.append(f"tools/{stem}.py + {module}.py")
    return sorted(found)


def test_the_pair_rule_catches_the_old_market_layout() -> None:
    old = pairs({"install", "remove", "update", "search"}, {"installer", "removal", "updates", "ranking", "index"})
    assert old == ["tools/install.py + installer.py", "tools/remove.py + removal.py", "tools/update.py + updates.py"]
    assert pairs({"validate", "query"}, {"validator", "sparql_guard", "shacl_worker"}) == [
        "tools/validate.py + validator.py"
    ]


@pytest.mark.parametrize(("plugin", "dist", "package"), packs())
def test_no_tool_module_is_paired_with_a_doer_module(plugin: str, dist: str, package: str) -> None:
    pkg_dir = REPO / "plugins" / dist / package
    tools_dir = pkg_dir / "tools"
    assert tools_dir.is_dir(), f"{dist}/{package} has no tools/ package"
    prefixes = (f"{plugin}_", "template_", "project_") if plugin == "template" else (f"{plugin}_",)
    stems = set()
    for path in tools_dir.glob("*.py"):
        if path.stem in {"__init__", "common"}:
            continue
        stems.add(path.stem)
        stems.update(path.stem.removeprefix(p) for p in prefixes if path.stem.startswith(p))
    domain = {path.stem for path in pkg_dir.glob("*.py")} - {"__init__", "plugin", "settings"}
    found = pairs(stems, domain)
    assert not found, f"{dist}/{package}: " + ", ".join(found)
