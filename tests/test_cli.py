"""The ggen-mcp command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ggen_mcp_core import __version__

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]
FIXTURES = "demo,brokenimport,nospec,raisingregister,raisingtool,badtool,unavailable,badcommands"


def run(env: dict[str, str], *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GGEN, *args], capture_output=True, text=True, env=env, timeout=60, check=check)


@pytest.fixture
def env(subprocess_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return subprocess_env(GGEN_MCP_LOAD_PLUGINS=FIXTURES)


def test_version(env: dict[str, str]) -> None:
    out = run(env, "--version", check=True)
    assert out.stdout.strip() == f"ggen-mcp, version {__version__}"


def test_plugins_json_reports_broken_plugins(env: dict[str, str]) -> None:
    out = run(env, "plugins", "--json", check=True)
    records = {r["name"]: r for r in json.loads(out.stdout)}
    assert records["demo"]["status"] == "loaded"
    assert records["brokenimport"]["status"] == "failed_import"
    assert records["brokenimport"]["phase"] == "import"
    assert "GraphStore" in records["brokenimport"]["error"]
    assert records["nospec"]["status"] == "failed_register"
    assert records["unavailable"]["status"] == "unavailable"
    assert set(records["demo"]) >= {"name", "distribution", "version", "status", "phase", "error", "hooks", "tools"}
    assert not any(r["builtin"] for r in records.values()), "built-ins only with --all"
    # one stderr line per failed plugin, JSON, naming it
    failed_lines = [json.loads(line) for line in out.stderr.splitlines() if "plugin not loaded" in line]
    assert sorted(line["plugin"] for line in failed_lines) == [
        "badtool",
        "brokenimport",
        "nospec",
        "raisingregister",
        "unavailable",
    ]
    all_records = json.loads(run(env, "plugins", "--json", "--all", check=True).stdout)
    assert {"core-authorization", "core-metrics", "core-introspection"} <= {r["name"] for r in all_records}


def test_plugins_text(env: dict[str, str]) -> None:
    out = run(env, "plugins", check=True)
    assert "brokenimport" in out.stdout and "failed_import" in out.stdout
    assert "tools: demo_echo" in out.stdout


def test_real_packs_load_next_to_a_broken_plugin(subprocess_env: Callable[..., dict[str, str]]) -> None:
    env = subprocess_env()
    records = {r["name"]: r for r in json.loads(run(env, "plugins", "--json", check=True).stdout)}
    assert records["brokenimport"]["status"] == "failed_import"
    for pack in ("graph", "template", "market", "hook", "ai"):
        assert records[pack]["status"] == "loaded", records[pack]
        assert records[pack]["distribution"] == f"ggen-{pack}"


def test_tools_json(env: dict[str, str]) -> None:
    rows = json.loads(run(env, "tools", "--json", check=True).stdout)
    echo = next(r for r in rows if r["name"] == "demo_echo")
    assert echo["plugin"] == "demo"
    assert echo["input_schema"]["properties"]["text"]["type"] == "string"
    assert echo["output_schema"]["required"] == ["echo", "principal"]
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    text = run(env, "tools", check=True).stdout
    assert "demo_echo" in text and "Echo text back" in text


def test_call_prints_structured_json_and_exit_codes(env: dict[str, str]) -> None:
    ok = run(env, "call", "demo_echo", "--args", '{"text": "hi"}')
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"echo": "hi", "principal": "local"}
    bad = run(env, "call", "demo_echo", "--args", '{"times": 7}')
    assert bad.returncode == 1
    assert "'text': Field required" in bad.stdout
    raising = run(env, "call", "raisingtool_explode")
    assert raising.returncode == 1 and "internal error (KeyError)" in raising.stdout
    unknown = run(env, "call", "nope")
    assert unknown.returncode == 2 and "Unknown tool: nope" in unknown.stderr and "demo_echo" in unknown.stderr
    not_json = run(env, "call", "demo_echo", "--args", "{text")
    assert not_json.returncode == 2 and "--args is not valid JSON" in not_json.stderr
    not_object = run(env, "call", "demo_echo", "--args", "[1]")
    assert not_object.returncode == 2


def test_call_writes_inside_workspace_only(env: dict[str, str], tmp_path: Path) -> None:
    ok = run(env, "call", "demo_write", "--args", '{"path": "out/a.txt", "content": "A"}')
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (tmp_path / "workspace" / "out" / "a.txt").read_text() == "A"
    escape = run(env, "call", "demo_write", "--args", '{"path": "../../evil.txt", "content": "A"}')
    assert escape.returncode == 1 and "outside the workspace" in escape.stdout


def test_invalid_setting_is_one_line_and_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    bad_env = {**env, "GGEN_MCP_TOOL_TIMEOUT": "soon"}
    out = run(bad_env, "tools")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "ggen-mcp: invalid setting tool_timeout: Input should be a valid number, unable to parse string as a number"
    ]
    config = tmp_path / "bad.toml"
    config.write_text("[http]\nport = 'eighty'\n")
    out = run(env, "--config", str(config), "tools")
    assert out.returncode == 2 and "http.port" in out.stderr
    config.write_text("this is = = not toml")
    out = run(env, "--config", str(config), "tools")
    assert out.returncode == 2 and "bad.toml" in out.stderr
    out = run(env, "--config", str(tmp_path / "missing.toml"), "tools")
    assert out.returncode == 2 and "does not exist" in out.stderr


def test_strict_and_required_plugins_exit_1(env: dict[str, str]) -> None:
    out = run({**env, "GGEN_MCP_STRICT_PLUGINS": "1"}, "tools")
    assert out.returncode == 1 and "strict plugin loading" in out.stderr
    out = run({**env, "GGEN_MCP_REQUIRED_PLUGINS": "demo,missingpack"}, "tools")
    assert out.returncode == 1 and "required plugins not loaded: missingpack" in out.stderr


def test_hook_ggen_register_commands(env: dict[str, str]) -> None:
    out = run(env, "demo-hello", "there", check=True)
    assert out.stdout.strip() == "hello there"
    assert "plugin 'badcommands' could not add commands: RuntimeError: command setup failed" in out.stderr
    half = run(env, "badcommands-half")
    assert half.returncode == 2 and "No such command" in half.stderr
    listing = run(env, "--help", check=True).stdout
    assert "demo-hello" in listing and "badcommands-half" not in listing


def test_read_only_and_toolsets_flags(env: dict[str, str]) -> None:
    rows = json.loads(run({**env, "GGEN_MCP_READ_ONLY": "true"}, "tools", "--json", check=True).stdout)
    assert "demo_write" not in {r["name"] for r in rows} and "demo_echo" in {r["name"] for r in rows}
    rows = json.loads(run({**env, "GGEN_MCP_TOOLSETS": "raisingtool"}, "tools", "--json", check=True).stdout)
    assert [r["name"] for r in rows] == ["raisingtool_explode"]


def test_host_alone_has_no_tools_and_says_so(subprocess_env: Callable[..., dict[str, str]]) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="")
    assert "no tools" in run(env, "tools", check=True).stdout
    assert json.loads(run(env, "plugins", "--json", check=True).stdout) == [
        r for r in json.loads(run(env, "plugins", "--json", check=True).stdout) if r["status"] == "disabled"
    ]


def test_serve_http_subprocess_answers_and_stops(env: dict[str, str]) -> None:
    """What `make run` does: `ggen-mcp serve --transport http`, then a client lists tools over HTTP."""
    import signal
    import time

    import anyio
    import httpx
    from mcp import Client

    from tests.conftest import free_port

    port = free_port()
    process = subprocess.Popen(
        [*GGEN, "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)

        async def list_tools() -> set[str]:
            async with Client(f"http://127.0.0.1:{port}/mcp", mode="legacy") as client:
                return {t.name for t in (await client.list_tools()).tools}

        assert "demo_echo" in anyio.run(list_tools)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert f"serving MCP (Streamable HTTP) at http://127.0.0.1:{port}/mcp" in stderr
    assert "claude mcp add --transport http" in stderr and ".vscode/mcp.json" in stderr


def test_serve_takes_the_workspace_after_the_subcommand(env: dict[str, str], tmp_path: Path) -> None:
    """`ggen-mcp serve --workspace DIR`, as the client configurations in the README write it."""
    import anyio
    from mcp import Client, StdioServerParameters

    chosen = tmp_path / "chosen"
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "ggen_mcp_core.cli", "serve", "--workspace", str(chosen)], env=env
    )

    async def write() -> None:
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("demo_write", {"path": "here.txt", "content": "x"})
            assert not result.is_error

    anyio.run(write)
    assert (chosen / "here.txt").read_text() == "x"
