"""Template ``sh_before``/``sh_after`` run through the host's command runner: the hook runner's guarantees.

Each test runs ``project_gen`` over an MCP session with real templates and real processes and checks one
guarantee now holding for template commands: the allowlist (``template.allowed_commands``), capped output
in bounded memory, the memory limit, a hung command killed with its whole process group (TERM first), and
a cancelled call that kills its command and writes nothing.
"""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio
MIB = 1024 * 1024


def command(code: str) -> str:
    """A front-matter command (JSON list form) running a line of Python."""
    return json.dumps([sys.executable, "-c", code])


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


def wait_dead(pid: int) -> bool:
    """True once ``pid`` is gone; gives up after 10 s."""
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def exists(path: Path) -> bool:
    return path.exists()


HANG = (
    "import signal, subprocess, time\n"
    "def note(*_):\n    open('term.log', 'a').write('TERM\\n')\n"
    "signal.signal(signal.SIGTERM, note)\n"
    "p = subprocess.Popen(['sleep', '60'])\n"
    "open('child.pid', 'w').write(str(p.pid))\n"
    "while True:\n    time.sleep(0.1)\n"
)


async def test_allowlist_is_enforced_before_anything_runs(ggen_host, ggen_client, workspace) -> None:
    touch = command("open('ran', 'w')")
    write(workspace, "templates/py.tmpl", f"---\nto: py.txt\nsh_after: {touch}\n---\nx\n")
    write(workspace, "templates/fake.tmpl", "---\nto: fake.txt\nsh_before: ./bin/echo hi\n---\nx\n")
    write(workspace, "templates/echo.tmpl", "---\nto: echo.txt\nsh_before: echo hi\n---\nx\n")
    fake = workspace / "bin" / "echo"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\ntouch pwned\n")
    fake.chmod(0o755)
    host = ggen_host(["template"], template={"allow_shell": True, "allowed_commands": "echo"})
    async with ggen_client(host, mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "py"})
        assert "is not in template.allowed_commands (echo)" in message, message
        assert "GGEN_MCP_TEMPLATE__ALLOWED_COMMANDS" in message
        dry = await call_ok(client, "project_gen", {"template": "py", "dry_run": True})
        assert "is refused" in dry["warnings"][0] and "template.allowed_commands" in dry["warnings"][0]
        assert "'./bin/echo' is not in template.allowed_commands" in await call_error(
            client, "project_gen", {"template": "fake"}
        )
        out = await call_ok(client, "project_gen", {"template": "echo"})
        assert out["files_created"] == ["echo.txt"]
    assert not exists(workspace / "py.txt") and not exists(workspace / "ran"), "a refused sh_after ran or wrote"
    assert not exists(workspace / "fake.txt") and not exists(workspace / "pwned")


async def test_output_is_capped_in_bounded_memory(ggen_host, ggen_client, workspace) -> None:
    flood = 64 * MIB
    code = f"import sys; sys.stderr.write('e' * {flood}); sys.stderr.write('THE-END'); sys.exit(3)"
    write(workspace, "templates/loud.tmpl", f"---\nto: loud.txt\nsh_after: {command(code)}\n---\nx\n")
    host = ggen_host(["template"], template={"allow_shell": True, "shell_max_output_bytes": 4096})
    async with ggen_client(host, mode="legacy") as client:
        tracemalloc.start()
        try:
            out = await call_ok(client, "project_gen", {"template": "loud"})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    warning = out["warnings"][0]
    assert "exited with 3" in warning and warning.endswith("THE-END") and "shell_max_output_bytes" in warning
    assert peak < 16 * MIB, f"the server held {peak / MIB:.0f} MiB while a {flood // MIB} MiB flood passed"


async def test_a_memory_hog_is_stopped_by_the_limit(ggen_host, ggen_client, workspace) -> None:
    code = "chunks = [bytearray(32 * 1024 * 1024) for _ in range(64)]"
    write(workspace, "templates/hog.tmpl", f"---\nto: hog.txt\nsh_before: {command(code)}\n---\nx\n")
    host = ggen_host(["template"], template={"allow_shell": True, "shell_limit_memory_mb": 256})
    async with ggen_client(host, mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "hog"})
    assert "nothing was written" in message and "exited with 1" in message and "MemoryError" in message
    assert not exists(workspace / "hog.txt")


async def test_a_hung_command_is_killed_with_its_group(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/hang.tmpl", f"---\nto: hang.txt\nsh_before: {command(HANG)}\n---\nx\n")
    settings = {"allow_shell": True, "shell_timeout": 1, "shell_kill_grace": 0.5}
    async with ggen_client(ggen_host(["template"], template=settings), mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "hang"})
    assert "ran past 1 s (template.shell_timeout)" in message and "whole process group" in message, message
    assert (workspace / "term.log").read_text() == "TERM\n", "SIGTERM was not sent before SIGKILL"
    assert not alive(int((workspace / "child.pid").read_text())), "the grandchild outlived the timeout"
    assert not exists(workspace / "hang.txt")


async def test_a_cancelled_call_kills_its_command_and_writes_nothing(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/slow.tmpl", f"---\nto: slow.txt\nsh_before: {command(HANG)}\n---\nx\n")
    host = ggen_host(["template"], tool_timeout=2, template={"allow_shell": True, "shell_timeout": 600})
    async with ggen_client(host, mode="legacy") as client:
        message = await call_error(client, "project_gen", {"template": "slow"})
    assert "timeout" in message.lower() or "timed out" in message.lower(), message
    assert wait_dead(int((workspace / "child.pid").read_text())), "the command outlived its cancelled call"
    assert not exists(workspace / "slow.txt")
