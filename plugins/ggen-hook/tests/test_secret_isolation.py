"""A hook with commands allowed cannot read the server's secrets from /proc.

The server runs over stdio as an unprivileged process (every capability dropped) with secrets in its
environment; a hook registered and run over the MCP session reads ``/proc/$PPID/environ`` (the server) and every other
``/proc/*/environ`` it can, and prints what it found. The server and its graph store worker are
non-dumpable, so their environment blocks are refused to the hook; secrets given in the environment are
dropped from what later children inherit.
Needs root, to drop the server's capabilities with setpriv (CI runs as root).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from ggen_mcp_core.testing import tool_text

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0,
        reason="needs root to drop the server's capabilities with setpriv (CI runs tests as root)",
    ),
]
SETPRIV = shutil.which("setpriv")

PEEK = """
import os
secret = os.environ.get("PEEK_FOR", "")
def environ(pid):
    with open("/proc/%s/environ" % pid, "rb") as handle:
        return handle.read().decode("utf-8", "replace")
try:
    block = environ(os.getppid())
    print("PARENT-READABLE", "SECRET-FOUND" if "s3cr3t-" in block else "no-secret")
except OSError as exc:
    print("PARENT-DENIED", exc.strerror)
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if "s3cr3t-" in environ(pid):
            print("SECRET-IN", pid)
    except OSError:
        pass
with open("/proc/self/status") as status:
    effective = [line.split()[1] for line in status if line.startswith("CapEff:")][0]
print("HOOK-RAN", os.getuid(), "caps", effective)
"""


def unprivileged(*argv: str) -> list[str]:
    """``argv`` as an unprivileged process: uid 0 with every capability dropped and locked out (securebits
    ``noroot``: an exec cannot give them back), which the kernel's /proc access check treats like any other
    non-root user. Unlike switching to ``nobody`` it needs no world-readable checkout: CI clones into a
    folder only root may enter."""
    assert SETPRIV is not None
    locked = "+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked"
    return [SETPRIV, f"--securebits={locked}", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", *argv]


@pytest.mark.skipif(SETPRIV is None, reason="setpriv (util-linux) is not installed")
async def test_a_hook_cannot_read_the_servers_secrets(tmp_path: Path) -> None:
    python = sys.executable
    registry_token = f"s3cr3t-registry-{uuid.uuid4().hex}"
    api_secret = f"s3cr3t-api-{uuid.uuid4().hex}"
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "GGEN_MCP_WORKSPACE": str(tmp_path),
        "GGEN_MCP_LOAD_PLUGINS": "graph,hook,market",
        "GGEN_MCP_HOOKS__ALLOW_COMMANDS": "true",
        "GGEN_MCP_MARKET__REGISTRY_TOKEN": registry_token,
        "SOME_API_KEY": api_secret,  # not a ggen-mcp setting: only the non-dumpable server protects it
    }
    command = unprivileged(python, "-m", "ggen_mcp_core.cli", "serve")
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(tmp_path))
    async with Client(params, mode="legacy") as client:
        # A graph call starts the store worker, a child of the server with the same environment: the hook
        # below scans every /proc/*/environ, so the worker must be unreadable too.
        loaded = await client.call_tool("graph_load", {"content": "<urn:a> <urn:b> <urn:c> ."})
        assert not loaded.is_error, tool_text(loaded)
        registered = await client.call_tool(
            "hook_register",
            {"event": "post_gen", "command": f"{shlex.quote(python)} -c {shlex.quote(PEEK)}", "name": "peek"},
        )
        assert not registered.is_error, tool_text(registered)
        run = await client.call_tool("hook_run", {"name": "peek"})
    assert not run.is_error, tool_text(run)
    output = run.structured_content["stdout"]
    assert "HOOK-RAN 0 caps 0000000000000000" in output, output  # the hook ran, as unprivileged as the server
    assert "PARENT-DENIED" in output, output
    assert "SECRET" not in output and registry_token not in output and api_secret not in output, output
