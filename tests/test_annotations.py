"""Annotations are promises (issue 14), checked over every registered tool of every first-party pack.

One real MCP session with all first-party packs loaded, on a workspace that has a loaded graph, a template,
a pack installed from a real registry served over HTTP on 127.0.0.1 and a registered hook:

- every tool whose annotations say ``readOnlyHint`` is called with valid arguments, and the workspace tree
  (every file and folder, each file's content hash and mtime) must be exactly as before;
- every other tool is called too, with hooks registered for every lifecycle event and a template whose
  ``sh_before`` is on: a tool that ran a command (a hook's or a template's; each writes a marker outside the
  workspace) must say ``destructiveHint`` and ``openWorldHint``. ``hook_run`` runs a command by definition.

"Runs a command" means a program a user, a hook or a template named. The server's own fixed helpers (the
graph store's worker process, ``git`` fetching a pinned pack commit) are not commands in this sense.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shlex
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.testing import cache_dir_beside, make_host, open_client, tool_text

pytestmark = pytest.mark.anyio

FIRST_PARTY = ["graph", "template", "market", "hook"]
PACK = "io.ggen.python.models"
OTHER_PACK = "io.ggen.rust.serde"
BOOKS = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Book a rdfs:Class .
ex:b1 a ex:Book ; ex:title "Dune" .
"""
SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:BookShape a sh:NodeShape ; sh:targetClass ex:Book ; sh:property [ sh:path ex:title ; sh:minCount 1 ] .
"""
HELLO = """\
---
to: out/{{ name }}.txt
vars:
  name: world
---
hello {{ name }}
"""
LIFECYCLE = ("pre_gen", "post_gen", "pre_apply", "post_apply")

# Valid arguments for every read-only tool. A new read-only tool fails test_read_only_tools_change_nothing
# until it is added here.
READ_ONLY_CALLS: dict[str, list[dict[str, Any]]] = {
    "graph_query": [{"sparql": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5"}],
    "graph_validate": [{"shapes_content": SHAPES}],
    "graph_stats": [{}],
    "graph_list": [{}],
    "hook_list": [{}],
    "hook_validate": [{}],
    "market_search": [{"query": "python"}, {"query": "", "offline": True, "limit": 1, "cursor": "1"}],
    "market_list": [{}, {"limit": 1, "cursor": "1"}],
    "market_info": [{"package_id": PACK, "examples": True, "dependencies": True, "health": True}],
    "market_recommend": [{}, {"based_on": PACK, "explain": True}],
    "market_cache_status": [{}],
    "template_validate": [{"template": "templates/hello.tmpl"}],
    "template_list": [{"include_packs": True}],
    "template_show": [{"template": f"{PACK}:dataclasses.py.tmpl"}],
    "template_render": [{"template": "templates/hello.tmpl", "vars": {"name": "world"}}],
    "project_diff": [{"template": "templates/hello.tmpl", "vars": {"name": "world"}}],
}


class Registry:
    """The bundled pack sources built into a registry and served by a real HTTP server on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        from ggen_market.builder import build_registry
        from ggen_market.bundled import SOURCES

        build_registry(SOURCES, root)
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    served = Registry(tmp_path / "registry")
    yield served
    served.close()


def tree(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry under ``root``: files by content hash and mtime, folders and links by kind and mtime."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = ("link:" + str(path.readlink()), stat.st_mtime_ns)
        elif path.is_dir():
            found[relative] = ("dir", stat.st_mtime_ns)
        else:
            found[relative] = (hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_mtime_ns)
    return found


def changes(before: dict[str, tuple[str, int]], after: dict[str, tuple[str, int]]) -> list[str]:
    added = [f"+{p}" for p in sorted(set(after) - set(before))]
    removed = [f"-{p}" for p in sorted(set(before) - set(after))]
    changed = [f"~{p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return added + removed + changed


def marker(ran: Path, name: str) -> str:
    """A command that appends to ``<ran>/<name>`` (outside the workspace) when something runs it."""
    code = f"open({str(ran / name)!r}, 'a').write('ran\\n')"
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


async def ok(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool} {arguments}: {tool_text(result)}"
    return dict(result.structured_content or {})


def host_for(workspace: Path, registry: Registry) -> Any:
    return make_host(
        workspace,
        FIRST_PARTY,
        market={"registry_url": registry.url},
        hooks={"allow_commands": True},
        template={"allow_shell": True},
    )


async def prepare(client: Any, workspace: Path, ran: Path) -> None:
    """A graph, two templates (one with sh_before), an installed pack, hooks for every lifecycle event."""
    await ok(client, "graph_load", {"content": BOOKS, "format": "turtle"})
    (workspace / "templates").mkdir()
    (workspace / "templates" / "hello.tmpl").write_text(HELLO)
    shell = f"---\nto: out/shell.txt\nsh_before: {json.dumps(marker(ran, 'sh_before'))}\n---\nshell\n"
    (workspace / "templates" / "shell.tmpl").write_text(shell)
    await ok(client, "market_install", {"package": PACK})
    for event in LIFECYCLE:
        await ok(client, "hook_register", {"event": event, "command": marker(ran, event), "name": event})


async def test_read_only_tools_change_nothing(tmp_path: Path, ggen_workspace: Path, registry: Registry) -> None:
    """Run on a restarted server with an empty cache: the first call of a read-only tool, the one that fills
    caches, must leave the workspace as it was too."""
    ran = tmp_path / "ran"
    ran.mkdir()
    async with open_client(host_for(ggen_workspace, registry), mode="auto") as client:
        await prepare(client, ggen_workspace, ran)
    shutil.rmtree(cache_dir_beside(ggen_workspace))  # a cache may be deleted at any time
    async with open_client(host_for(ggen_workspace, registry), mode="auto") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        read_only = sorted(n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint)
        assert set(read_only) == set(READ_ONLY_CALLS), "READ_ONLY_CALLS must name exactly the read-only tools"
        assert {n.split("_")[0] for n in tools} >= {"graph", "template", "project", "market", "hook"}
        for name in read_only:
            for arguments in READ_ONLY_CALLS[name]:
                before = tree(ggen_workspace)
                await ok(client, name, arguments)
                assert changes(before, tree(ggen_workspace)) == [], f"read-only {name} {arguments} changed these"
                assert not any(ran.iterdir()), f"read-only {name} ran a command: {sorted(ran.iterdir())}"
    assert (cache_dir_beside(ggen_workspace) / "market" / "registries").is_dir(), "the market cache was refilled"


async def test_tools_that_run_commands_say_destructive_and_open_world(
    tmp_path: Path, ggen_workspace: Path, registry: Registry
) -> None:
    ran = tmp_path / "ran"
    ran.mkdir()
    async with open_client(host_for(ggen_workspace, registry), mode="auto") as client:
        await prepare(client, ggen_workspace, ran)
        tools = {t.name: t for t in (await client.list_tools()).tools}
        hook_run = tools["hook_run"].annotations
        assert hook_run is not None and hook_run.destructive_hint is True and hook_run.open_world_hint is True

        plan: dict[str, Any] = {}
        calls: list[tuple[str, Any]] = [
            ("graph_update", {"sparql": "INSERT DATA { <http://example.org/b2> a <http://example.org/Book> }"}),
            ("graph_export", {"output": "export.ttl"}),
            ("graph_load", {"content": BOOKS, "format": "turtle", "graph": "http://example.org/g"}),
            ("graph_clear", {"graph": "http://example.org/g"}),
            ("template_create", {"name": "made", "content": HELLO}),
            ("project_plan", {"template": "templates/hello.tmpl", "vars": {"name": "planned"}}),
            ("project_apply", lambda: {"plan": plan["plan_id"]}),
            ("project_gen", {"template": "templates/hello.tmpl", "vars": {"name": "world"}}),
            ("project_gen", {"template": "templates/shell.tmpl"}),
            ("hook_register", {"event": "post_gen", "command": marker(ran, "late"), "name": "late"}),
            ("hook_run", {"name": "pre_gen"}),
            ("hook_remove", {"name": "late"}),
            ("market_sync", {}),
            ("market_install", {"package": OTHER_PACK}),
            ("market_update", {}),
            ("market_remove", {"package": OTHER_PACK}),
        ]
        writers = {n for n, t in tools.items() if not (t.annotations and t.annotations.read_only_hint)}
        assert writers == {name for name, _ in calls}, "every tool that is not read-only is called below"
        ran_commands: dict[str, list[str]] = {}
        for name, arguments in calls:
            before = {p.name: p.read_text() for p in ran.iterdir()}
            result = await ok(client, name, arguments() if callable(arguments) else arguments)
            if name == "project_plan":
                plan.update(result)
            after = {p.name: p.read_text() for p in ran.iterdir()}
            if after != before:
                ran_commands.setdefault(name, []).extend(sorted(k for k in after if after[k] != before.get(k)))
        assert "hook_run" in ran_commands and "project_gen" in ran_commands, ran_commands
        for name, markers in ran_commands.items():
            annotations = tools[name].annotations
            assert annotations is not None
            assert annotations.destructive_hint is True, f"{name} ran {markers} but is not destructiveHint"
            assert annotations.open_world_hint is True, f"{name} ran {markers} but is not openWorldHint"
