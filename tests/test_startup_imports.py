"""Start-up stays cheap (issue 16): loading the packs and listing their tools imports none of the heavy
libraries a pack needs only for its work; each pack imports them on first use. Run in a fresh interpreter
(a test process has imported everything already)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.startup_heap import SERVING_MIDDLE_THRESHOLD

HEAVY = ("rdflib", "pyoxigraph", "pyshacl", "jinja2", "httpx", "yaml")
PROBE = """
import json, sys, anyio
from pathlib import Path
from ggen_mcp_core.testing import make_host, open_client

async def main():
    host = make_host(Path(sys.argv[1]), [sys.argv[2]])
    async with open_client(host) as client:
        tools = (await client.list_tools()).tools
    print(json.dumps({"tools": len(tools), "imported": [m for m in sys.argv[3:] if m in sys.modules]}))

anyio.run(main)
"""


@pytest.mark.parametrize("pack", ["graph", "hook", "template", "market"])
def test_loading_a_pack_and_listing_its_tools_imports_no_heavy_module(pack: str, tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), pack, *HEAVY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    assert report["tools"] > 0, f"the {pack} pack served no tools"
    assert report["imported"] == [], f"the {pack} pack imports {report['imported']} before any tool runs"


LAZY_IN_SERVE = ("rich", "limits", "jinja2", "rdflib", "pyoxigraph", "pyshacl", "httpx", "yaml", "sqlite3")
SERVE_PROBE = """
import gc, json, sys
watched = sys.argv[2:]
sys.argv = ["ggen-mcp", "--workspace", sys.argv[1], "serve"]
before = gc.get_threshold()
full = []  # full collections before the start-up heap is frozen
def count(phase, info):
    if phase == "start" and info["generation"] == 2 and not gc.get_freeze_count():
        full.append(1)
gc.callbacks.append(count)
freezes = []  # len(sys.modules) at each gc.freeze()
_freeze = gc.freeze
def counting_freeze():
    freezes.append(len(sys.modules))
    _freeze()
gc.freeze = counting_freeze
try:
    from ggen_mcp_core.launcher import main  # the console script's entry point
    main()
except SystemExit:
    pass
finally:
    imported = [m for m in watched if sys.modules.get(m) is not None]
    state = [before, gc.get_threshold(), len(full), gc.get_freeze_count() > 0, len(freezes)]
    print("GC " + json.dumps(state), file=sys.stderr, flush=True)
    print("IMPORTED " + json.dumps(imported), file=sys.stderr, flush=True)
"""
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
PING = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
ANSWERS: list[dict[str, Any]] = []  # the answers to the requests serve_once sent after `initialize`
FREEZES: list[int] = []  # the times each serve_once's server froze its heap (gc.freeze)
# One tool module of each first-party pack: imported on its tool's first use once the listings are kept.
TOOL_MODULES = (
    "ggen_graph.tools.query",
    "ggen_hook.tools.hook_list",
    "ggen_hook.tools.hook_run",
    "ggen_template.tools.template_render",
    "ggen_market.tools.market_search",
    "ggen_ai.tools.ai_generate_sparql",
)


def serve_once(
    workspace: Path, cache: Path, watched: tuple[str, ...], *, then: bool = False, request: dict[str, Any] = PING
) -> tuple[list[str], int]:
    """Start `ggen-mcp serve` over stdio (all installed packs, default settings but ``cache_dir``), ask
    `initialize` and read the answer; with ``then``, send `notifications/initialized` and ``request`` (a ping)
    and read its answer (kept in ``ANSWERS``); close stdin. The watched modules it had imported when it ended,
    and the full collections it ran."""
    # Without the suite's coverage of subprocesses: its tracer would load modules of its own (sqlite3, for its
    # data file) into the server the probe watches.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GGEN_MCP_", "COVERAGE_PROCESS_"))}
    env["GGEN_MCP_CACHE_DIR"] = str(cache)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_PROBE, str(workspace), *watched],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write(json.dumps(INITIALIZE) + "\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline())  # the client has the answer before it says anything else
        assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"], answer
        if then:
            server.stdin.write(json.dumps(INITIALIZED) + "\n" + json.dumps(request) + "\n")
            server.stdin.flush()
            ANSWERS.append(json.loads(server.stdout.readline()))
            assert ANSWERS[-1]["id"] == 2, ANSWERS[-1]
        _, stderr = server.communicate(timeout=120)
    finally:
        server.kill()
        server.wait(10)
    report = [line for line in stderr.splitlines() if line.startswith("IMPORTED ")]
    assert report, stderr[-2000:]
    collector = [line for line in stderr.splitlines() if line.startswith("GC ")]
    before, after, full_collections, frozen, freezes = json.loads(collector[-1].removeprefix("GC "))
    FREEZES.append(freezes)
    assert frozen == then, "the start-up heap is frozen once the client has the answer to `initialize`, not before"
    # the thresholds are back with the freeze, the middle one the serving process's; a client that said nothing
    # after the answer never ended the start-up
    serving = [before[0], SERVING_MIDDLE_THRESHOLD, before[2]]
    assert (after == serving) == then, f"thresholds {after} after serving, {before} before"
    return list(json.loads(report[-1].removeprefix("IMPORTED "))), full_collections


def test_serve_over_stdio_answers_initialize_without_the_heavy_modules(tmp_path: Path) -> None:
    # `ggen-mcp serve` answers `initialize` and, after the client closes stdin, has imported none of:
    # structlog's rich, the rate limiter's `limits` (the rate limit is on: loaded on the first call), the
    # packs' jinja2, RDF stores, HTTP client, YAML, the AI pack's SQL checker (sqlite3). The first start checks
    # the tool schemas with jsonschema and remembers them in the cache directory; the next start does not import
    # jsonschema at all.
    (tmp_path / "ws").mkdir()
    cache = tmp_path / "cache"
    assert serve_once(tmp_path / "ws", cache, LAZY_IN_SERVE) == ([], 0)
    verdicts = json.loads((cache / "schema-verdicts.json").read_text(encoding="utf-8"))
    assert len(verdicts["valid"]) > 20, verdicts
    assert serve_once(tmp_path / "ws", cache, (*LAZY_IN_SERVE, "jsonschema")) == ([], 0)


def test_with_kept_listings_the_packs_tool_modules_load_on_first_use(tmp_path: Path) -> None:
    # The first start builds every pack's tools (their modules imported, checked, their listings kept in
    # <cache_dir>/tool-specs.json); the next answers `initialize` without importing any tool module, and a call
    # imports the module of that tool only, and works.
    (tmp_path / "ws").mkdir()
    cache = tmp_path / "cache"
    assert serve_once(tmp_path / "ws", cache, TOOL_MODULES) == (list(TOOL_MODULES), 0)
    assert len(json.loads((cache / "tool-specs.json").read_text(encoding="utf-8"))["tools"]) >= 38
    # ... nor importlib_metadata (the plugins' entry points are kept too: ggen_mcp_core.entry_point_cache), nor
    # prometheus_client (the host's metrics are made on first use: ggen_mcp_core.observability)
    warm = (*TOOL_MODULES, "importlib_metadata", "prometheus_client")
    assert serve_once(tmp_path / "ws", cache, warm) == ([], 0)
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "hook_list", "arguments": {}}}
    imported, _ = serve_once(tmp_path / "ws", cache, TOOL_MODULES, then=True, request=call)
    assert imported == ["ggen_hook.tools.hook_list"]
    # what the call imported left the collector's view after it: a second freeze (startup_heap.freeze_new_imports)
    assert FREEZES[-1] == 2, f"{FREEZES[-1]} freezes: the start-up heap's, then the call's new modules'"
    result = ANSWERS[-1]["result"]
    assert not result.get("isError"), result
    assert result["structuredContent"]["hooks"] == [] and result["structuredContent"]["count"] == 0


def test_the_start_up_heap_is_collected_and_frozen_once_the_client_has_the_answer(tmp_path: Path) -> None:
    # No full garbage collection runs before `initialize` is answered (ggen_mcp_core.launcher defers them while
    # starting, ggen_mcp_core.startup_heap runs the one before freezing after the answer): a client that only
    # reads the answer sees none (above); its next message (`notifications/initialized`) brings exactly one,
    # and the heap is frozen.
    (tmp_path / "ws").mkdir()
    imported, full_collections = serve_once(tmp_path / "ws", tmp_path / "cache", LAZY_IN_SERVE, then=True)
    assert imported == []
    assert full_collections == 1, f"{full_collections} full collections before the heap was frozen; one is enough"
    assert FREEZES[-1] == 1, "a ping runs no tool: nothing to freeze after it"


def test_a_damaged_verdict_file_means_the_schemas_are_checked_again(tmp_path: Path) -> None:
    from ggen_mcp_core.schema_verdicts import SchemaVerdicts

    path = tmp_path / "schema-verdicts.json"
    path.write_text("{not json", encoding="utf-8")
    verdicts = SchemaVerdicts(path)
    assert verdicts.valid == set()
    assert verdicts.problems({"type": "object", "properties": {"a": {"type": "string"}}}) == ()
    assert verdicts.problems({"type": "object", "properties": {"a": {"type": 12}}})[0].startswith("schema is invalid")
    verdicts.save()
    assert len(json.loads(path.read_text(encoding="utf-8"))["valid"]) == 1  # the invalid one is never remembered
    assert SchemaVerdicts(path).valid == verdicts.valid


def test_a_tool_with_an_invalid_schema_is_still_refused_by_a_host_with_remembered_verdicts(tmp_path: Path) -> None:
    import types

    from pydantic import BaseModel, ConfigDict

    from ggen_mcp_core import ToolSpec, hookimpl
    from ggen_mcp_core.testing import make_host

    class Broken(BaseModel):
        model_config = ConfigDict(json_schema_extra={"minProperties": "two"})
        text: str

    async def handler(args: Broken, ctx: object) -> str:
        return args.text

    module = types.ModuleType("broken")

    @hookimpl
    def ggen_register_tools(config: object) -> list[ToolSpec]:
        return [ToolSpec(name="broken_echo", description="Echo.", input_model=Broken, handler=handler)]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    (tmp_path / "ws").mkdir()
    cache = tmp_path / "cache"
    for _ in range(2):  # the second host reads the verdicts the first one saved
        host = make_host(tmp_path / "ws", None, cache_dir=cache)
        record = host.add_module(module, name="broken")
        assert "broken_echo" not in host.tools
        assert record.error is not None and "input schema is invalid" in record.error, record.error
        assert (cache / "schema-verdicts.json").is_file()


def test_the_command_is_found_after_the_global_options() -> None:
    # `ggen-mcp --workspace W serve` names a built-in command: main() then loads no plugin for plugin commands
    # (it used to, loading every pack twice before serving).
    from ggen_mcp_core.cli import builtin_commands, chosen_command

    assert chosen_command(["--workspace", "W", "serve"]) == "serve"
    assert chosen_command(["-w", "W", "--log-level", "info", "-c", "g.toml", "tools", "--json"]) == "tools"
    assert chosen_command(["--workspace=W", "plugins"]) == "plugins"
    assert chosen_command(["--", "my-command"]) == "my-command"
    assert chosen_command(["--help"]) is None
    assert chosen_command(["-w", "serve"]) is None  # "serve" is the workspace here
    assert {"serve", "tools", "plugins", "call"} <= builtin_commands().keys()


SDK_TRANSPORTS = ("mcp", "mcp.server", "mcp.client", "uvicorn", "starlette")
CALL_PROBE = """
import json, sys
watched = sys.argv[2:]
sys.argv = ["ggen-mcp", "--workspace", sys.argv[1], "call", "graph_query", "--args", '{"sparql": "ASK { }"}']
try:
    from ggen_mcp_core.launcher import main  # the console script's entry point
    main()
finally:
    print("IMPORTED " + json.dumps([m for m in watched if sys.modules.get(m) is not None]), file=sys.stderr)
"""


def test_call_runs_a_tool_without_the_sdks_server_and_client(tmp_path: Path) -> None:
    # `ggen-mcp call` runs the host's pipeline in process: it needs the protocol's wire types (`mcp_types`), not
    # the SDK's package, whose import brings its client, server and HTTP stack (about 0.4 s of every call).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GGEN_MCP_", "COVERAGE_PROCESS_"))}
    env["GGEN_MCP_CACHE_DIR"] = str(tmp_path / "cache")
    (tmp_path / "ws").mkdir()
    probe = subprocess.run(
        [sys.executable, "-c", CALL_PROBE, str(tmp_path / "ws"), *SDK_TRANSPORTS],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert json.loads(probe.stdout)["boolean"] is True
    report = [line for line in probe.stderr.splitlines() if line.startswith("IMPORTED ")]
    assert report and json.loads(report[-1].removeprefix("IMPORTED ")) == [], report
    assert "event loop blocked" not in probe.stderr, probe.stderr[-2000:]
