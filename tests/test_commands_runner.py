"""The host's runner for untrusted commands (``ggen_mcp_core.commands``), used from a pack's async handler.

A small fixture pack calls ``prepare`` and ``run_command`` exactly as the hook and template packs do; each
test drives it through an MCP client session with real processes in a real workspace, and checks one
guarantee: no shell, the allowlist by real path, the scrubbed environment, capped output in bounded
memory, TERM then KILL of the whole process group, the resource limits, the timeout, the working folder
inside the workspace, cancellation, and an event loop that keeps serving while a command runs.
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import signal
import sys
import time
import tracemalloc
import types
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import BaseModel, Field

from ggen_mcp_core import ToolContext, ToolSpec, hookimpl
from ggen_mcp_core.commands import CommandPolicy, prepare, run_command, scrubbed_environment
from ggen_mcp_core.process_group import Limits
from ggen_mcp_core.testing import environment, make_host, open_client, tool_text

pytestmark = pytest.mark.anyio
PY = shlex.quote(sys.executable)
MIB = 1024 * 1024
ROOT = os.geteuid() == 0


class ProbeInput(BaseModel):
    command: str = Field(max_length=100_000)
    allowed: list[str] = Field(default_factory=lambda: ["*"])
    timeout: float = 20.0
    kill_grace: float = 0.5
    max_output_bytes: int = 4096
    memory_mb: int = 0
    cpu_seconds: int = 0
    processes: int = 0
    pass_env: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None


class ProbeOutput(BaseModel):
    argv: list[str]
    executable: str
    exit_code: int | None
    signal: int | None
    timed_out: bool
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    stdout_bytes: int


async def probe_run(args: ProbeInput, ctx: ToolContext) -> ProbeOutput:
    policy = CommandPolicy(
        allowlist_key="probe.allowed_commands",
        allowed=tuple(args.allowed),
        timeout=args.timeout,
        kill_grace=args.kill_grace,
        max_output_bytes=args.max_output_bytes,
        limits=Limits(cpu_seconds=args.cpu_seconds, memory_bytes=args.memory_mb * MIB, processes=args.processes),
        pass_env=tuple(args.pass_env),
    )
    command = prepare(args.command, policy, ctx.workspace)
    env = scrubbed_environment(policy.pass_env, args.env)
    result = await run_command(command, policy, ctx, env=env, cwd=args.cwd)
    return ProbeOutput(
        argv=list(command.argv),
        executable=command.executable,
        exit_code=result.exit_code,
        signal=result.signal,
        timed_out=result.timed_out,
        stdout=result.stdout.decode("utf-8", "replace"),
        stderr=result.stderr.decode("utf-8", "replace"),
        stdout_truncated=result.stdout_truncated,
        stderr_truncated=result.stderr_truncated,
        stdout_bytes=result.stdout_bytes,
    )


def probe_pack() -> types.ModuleType:
    module = types.ModuleType("probe")

    @hookimpl
    def ggen_register_tools(config: Any) -> list[ToolSpec]:
        return [
            ToolSpec(
                name="probe_run",
                description="Run a command with the host runner.",
                input_model=ProbeInput,
                handler=probe_run,
                output_model=ProbeOutput,
            )
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


def host(workspace: Path, **settings: Any) -> Any:
    return make_host(workspace, [], modules={"probe": probe_pack()}, rate_limit={"enabled": False}, **settings)


async def probe(workspace: Path, **arguments: Any) -> Any:
    async with open_client(host(workspace), mode="legacy") as client:
        return await client.call_tool("probe_run", arguments)


async def probe_ok(workspace: Path, **arguments: Any) -> dict[str, Any]:
    result = await probe(workspace, **arguments)
    assert not result.is_error, tool_text(result)
    content: dict[str, Any] = result.structured_content
    return content


def python(code: str, *args: str) -> str:
    return " ".join([PY, "-c", shlex.quote(code), *(shlex.quote(arg) for arg in args)])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False  # reaped between the two looks: /proc/<pid> is gone
    return not stat.split(") ")[1].startswith("Z")


def pwned_files(workspace: Path) -> list[Path]:
    return list(workspace.glob("pwned*"))


def on_path(name: str) -> str:
    return os.path.abspath(shutil.which(name) or "")


def wait_dead(pid: int) -> bool:
    """True once ``pid`` is gone (the kill is asynchronous to the caller's error); gives up after 10 s."""
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


# -- no shell ----------------------------------------------------------------------------------------


async def test_shell_metacharacters_are_plain_arguments(ggen_workspace: Path) -> None:
    payload = ["; touch pwned1", "$(touch pwned2)", "`touch pwned3`", "|", "&&", ">", "pwned4", "*", "$HOME", "~"]
    command = python("import sys; print(sys.argv[1:])", *payload) + " ; touch pwned5"
    out = await probe_ok(ggen_workspace, command=command)
    assert out["stdout"].strip() == repr([*payload, ";", "touch", "pwned5"])
    assert not pwned_files(ggen_workspace)


# -- the allowlist -----------------------------------------------------------------------------------


async def test_name_entry_does_not_allow_a_workspace_lookalike(ggen_workspace: Path) -> None:
    fake = ggen_workspace / "bin" / "echo"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ntouch pwned\n")
    fake.chmod(0o755)
    result = await probe(ggen_workspace, command="./bin/echo hi", allowed=["echo"])
    assert result.is_error
    assert "'./bin/echo' is not in probe.allowed_commands (echo)" in tool_text(result)
    assert "GGEN_MCP_PROBE__ALLOWED_COMMANDS" in tool_text(result)
    assert not (ggen_workspace / "pwned").exists()


async def test_relative_path_entries_never_find_a_lookalike(
    ggen_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ggen_workspace / "bin" / "echo"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ntouch pwned\n")
    fake.chmod(0o755)
    monkeypatch.chdir(ggen_workspace)
    with environment(PATH=os.pathsep.join(["bin", ".", os.environ["PATH"]])):
        out = await probe_ok(ggen_workspace, command="echo hi", allowed=["echo"])
    assert out["stdout"] == "hi\n"
    assert not out["executable"].startswith(str(ggen_workspace))
    assert not (ggen_workspace / "pwned").exists()


async def test_path_entry_matches_the_real_path_not_a_symlinked_lookalike(ggen_workspace: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.sh").write_text("#!/bin/sh\ntouch pwned\n")
    (elsewhere / "x.sh").chmod(0o755)
    (ggen_workspace / "scripts").symlink_to(elsewhere)
    written = str(ggen_workspace / "scripts" / "x.sh")
    result = await probe(ggen_workspace, command=written, allowed=["*/scripts/*.sh"], cwd=None)
    assert result.is_error and "is not in probe.allowed_commands" in tool_text(result), tool_text(result)
    assert not (ggen_workspace / "pwned").exists()
    real = ggen_workspace / "tools" / "ok.sh"
    real.parent.mkdir()
    real.write_text("#!/bin/sh\necho fine\n")
    real.chmod(0o755)
    out = await probe_ok(ggen_workspace, command="./tools/ok.sh", allowed=["tools/*.sh"])
    assert out["stdout"] == "fine\n"


async def test_a_path_the_server_cannot_inspect_is_a_clear_error(ggen_workspace: Path) -> None:
    too_long = "/tmp/" + "x" * 300 + "/tool"
    result = await probe(ggen_workspace, command=too_long)
    assert result.is_error
    text = tool_text(result)
    assert "cannot look at executable" in text and "internal error" not in text, text


@pytest.mark.skipif(ROOT, reason="root may stat anything: no PermissionError to provoke")
async def test_an_unreadable_folder_is_a_clear_error_not_permission_error(ggen_workspace: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "tool").write_text("#!/bin/sh\n")
    locked.chmod(0)
    try:
        result = await probe(ggen_workspace, command=str(locked / "tool"))
    finally:
        locked.chmod(0o755)
    text = tool_text(result)
    assert result.is_error and "cannot look at executable" in text and "Permission denied" in text, text


# -- the environment ---------------------------------------------------------------------------------


async def test_environment_is_scrubbed(ggen_workspace: Path) -> None:
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    with environment(GGEN_TEST_SECRET="s3cr3t", AWS_SECRET_ACCESS_KEY="x", GGEN_TEST_PASSED="yes"):
        out = await probe_ok(
            ggen_workspace, command=python(code), pass_env=["GGEN_TEST_PASSED"], env={"GGEN_FILE": "a.txt"}
        )
    import json

    env = json.loads(out["stdout"])
    assert env["GGEN_TEST_PASSED"] == "yes" and env["GGEN_FILE"] == "a.txt"
    assert set(env) <= {"PATH", "HOME", "LANG", "GGEN_TEST_PASSED", "GGEN_FILE"}, set(env)


# -- output ------------------------------------------------------------------------------------------


async def test_an_output_flood_is_capped_in_bounded_memory(ggen_workspace: Path) -> None:
    flood = 64 * MIB
    code = f"import sys; sys.stdout.write('a' * {flood}); sys.stdout.write('THE-END'); sys.stderr.write('e' * 100000)"
    tracemalloc.start()
    try:
        out = await probe_ok(ggen_workspace, command=python(code), max_output_bytes=4096)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(out["stdout"]) == 4096 and out["stdout"].endswith("THE-END")
    assert out["stdout_truncated"] and out["stderr_truncated"] and len(out["stderr"]) == 4096
    assert out["stdout_bytes"] == flood + len("THE-END")
    assert peak < 16 * MIB, f"the server held {peak / MIB:.0f} MiB while a {flood // MIB} MiB flood passed"


# -- stopping ----------------------------------------------------------------------------------------


async def test_term_then_kill_of_a_group_that_ignores_term(ggen_workspace: Path) -> None:
    code = (
        "import signal, subprocess, time\n"
        "def note(*_):\n    open('term.log', 'a').write('TERM\\n')\n"
        "signal.signal(signal.SIGTERM, note)\n"
        "p = subprocess.Popen(['sleep', '60'])\n"
        "open('child.pid', 'w').write(str(p.pid))\n"
        "while True:\n    time.sleep(0.1)\n"
    )
    out = await probe_ok(ggen_workspace, command=python(code), timeout=1.0, kill_grace=0.5)
    assert out["timed_out"] and out["signal"] == signal.SIGKILL and out["exit_code"] == -signal.SIGKILL
    assert (ggen_workspace / "term.log").read_text() == "TERM\n", "SIGTERM was not sent first"
    assert not alive(int((ggen_workspace / "child.pid").read_text())), "the grandchild outlived the group kill"


async def test_timeout_ends_a_sleeping_command_with_term(ggen_workspace: Path) -> None:
    out = await probe_ok(ggen_workspace, command="sleep 60", timeout=0.5)
    assert out["timed_out"] and out["signal"] == signal.SIGTERM


async def test_leftovers_in_the_group_are_killed_after_a_normal_exit(ggen_workspace: Path) -> None:
    code = "import subprocess; p = subprocess.Popen(['sleep', '60']); open('bg.pid', 'w').write(str(p.pid))"
    out = await probe_ok(ggen_workspace, command=python(code))
    assert out["exit_code"] == 0 and not out["timed_out"]
    assert not alive(int((ggen_workspace / "bg.pid").read_text()))


async def test_a_cancelled_call_kills_the_group(ggen_workspace: Path) -> None:
    code = (
        "import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
        "open('child.pid', 'w').write(str(p.pid)); time.sleep(60)"
    )
    async with open_client(host(ggen_workspace, tool_timeout=2), mode="legacy") as client:
        result = await client.call_tool("probe_run", {"command": python(code), "timeout": 60})
    assert result.is_error and "timeout" in tool_text(result).lower(), tool_text(result)
    assert wait_dead(int((ggen_workspace / "child.pid").read_text())), "the command outlived its cancelled call"


async def test_the_event_loop_serves_other_calls_while_a_command_runs(ggen_workspace: Path) -> None:
    waiter = python(
        "import os, sys, time\n"
        "for _ in range(300):\n"
        "    if os.path.exists('go'):\n        sys.exit(0)\n"
        "    time.sleep(0.1)\n"
        "sys.exit(5)\n"
    )
    results: dict[str, Any] = {}
    async with open_client(host(ggen_workspace), mode="legacy") as client:

        async def first() -> None:
            results["waiter"] = await client.call_tool("probe_run", {"command": waiter, "timeout": 60})

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            while not results:
                results["go"] = await client.call_tool("probe_run", {"command": python("open('go', 'w')")})
    assert not results["go"].is_error
    assert results["waiter"].structured_content["exit_code"] == 0, "the second call never ran while the first waited"


# -- resource limits ---------------------------------------------------------------------------------


async def test_a_memory_hog_is_stopped_by_the_limit(ggen_workspace: Path) -> None:
    code = "chunks = []\nfor _ in range(64):\n    chunks.append(bytearray(32 * 1024 * 1024))\nprint('survived')"
    out = await probe_ok(ggen_workspace, command=python(code), memory_mb=256)
    assert out["exit_code"] == 1 and "MemoryError" in out["stderr"] and "survived" not in out["stdout"]


async def test_a_cpu_hog_is_stopped_by_the_cpu_limit(ggen_workspace: Path) -> None:
    out = await probe_ok(ggen_workspace, command=python("while True: pass"), cpu_seconds=1, timeout=120)
    assert not out["timed_out"] and out["signal"] in (signal.SIGXCPU, signal.SIGKILL), out


async def test_limits_are_set_before_the_program_runs(ggen_workspace: Path) -> None:
    code = (
        "import resource as r; print(r.getrlimit(r.RLIMIT_CORE)[1], r.getrlimit(r.RLIMIT_CPU)[1], "
        "r.getrlimit(r.RLIMIT_AS)[1], r.getrlimit(r.RLIMIT_NPROC)[1])"
    )
    hard_nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = 4000 if hard_nproc == resource.RLIM_INFINITY else min(4000, hard_nproc)
    out = await probe_ok(ggen_workspace, command=python(code), cpu_seconds=7, memory_mb=512, processes=nproc)
    assert out["stdout"].split() == ["0", "7", str(512 * MIB), str(nproc)]


# -- where it runs -----------------------------------------------------------------------------------


async def test_cwd_is_resolved_inside_the_workspace(ggen_workspace: Path) -> None:
    (ggen_workspace / "sub").mkdir()
    out = await probe_ok(ggen_workspace, command=python("import os; print(os.getcwd())"), cwd="sub")
    assert out["stdout"].strip() == str((ggen_workspace / "sub").resolve())
    result = await probe(ggen_workspace, command="true", cwd="../")
    assert result.is_error and "outside the workspace" in tool_text(result), tool_text(result)
    (ggen_workspace / "file.txt").write_text("x")
    result = await probe(ggen_workspace, command="true", cwd="file.txt")
    assert result.is_error and "is not a folder" in tool_text(result)


async def test_a_program_found_on_path_runs_by_its_resolved_path(ggen_workspace: Path) -> None:
    out = await probe_ok(ggen_workspace, command="true")
    assert out["executable"] == on_path("true")
    assert out["exit_code"] == 0
