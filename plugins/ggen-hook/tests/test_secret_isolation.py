"""A hook with commands allowed cannot read the server's secrets from /proc.

The server runs over stdio as an unprivileged user (``nobody``) with secrets in its environment; a hook
registered and run over the MCP session reads ``/proc/$PPID/environ`` (the server) and every other
``/proc/*/environ`` it can, and prints what it found. The server and its graph store worker are
non-dumpable, so their environment blocks are refused to the hook; secrets given in the environment are
dropped from what later children inherit.
Needs root to start the server as another user (CI runs as root).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from ggen_mcp_core.testing import tool_text

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0,
        reason="needs root to start the server as the unprivileged user `nobody` (CI runs tests as root)",
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
print("HOOK-RAN", os.getuid())
"""


def as_nobody(*argv: str) -> list[str]:
    assert SETPRIV is not None
    return [SETPRIV, "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]


def interpreter_for_nobody() -> str | None:
    """This Python (or the system's build of the same version) if ``nobody`` can run and see it, else None
    (the hook pack resolves a command's path before running it)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = (sys.executable, os.path.realpath(sys.executable), f"/usr/bin/{version}", f"/usr/local/bin/{version}")
    for candidate in candidates:
        if not os.path.exists(candidate):
            continue
        probe = subprocess.run(
            as_nobody(candidate, "-c", "import os, sys; os.stat(sys.argv[1]); print(sys.version_info[:2])", candidate),
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(tuple(sys.version_info[:2])):
            return candidate
    return None


@pytest.fixture
def unprivileged_workspace() -> Iterator[Path]:
    """A workspace ``nobody`` owns, outside pytest's root-only temporary tree."""
    root = Path(tempfile.mkdtemp(prefix="ggen-nobody-"))
    root.chmod(0o755)
    workspace = root / "workspace"
    workspace.mkdir()
    os.chown(workspace, 65534, 65534)
    yield workspace
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.skipif(SETPRIV is None, reason="setpriv (util-linux) is not installed")
async def test_a_hook_cannot_read_the_servers_secrets(unprivileged_workspace: Path) -> None:
    python = interpreter_for_nobody()
    if python is None:
        pytest.skip(f"no Python {sys.version_info.major}.{sys.version_info.minor} that `nobody` may execute")
    registry_token = f"s3cr3t-registry-{uuid.uuid4().hex}"
    api_secret = f"s3cr3t-api-{uuid.uuid4().hex}"
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(unprivileged_workspace),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "GGEN_MCP_WORKSPACE": str(unprivileged_workspace),
        "GGEN_MCP_LOAD_PLUGINS": "graph,hook,market",
        "GGEN_MCP_HOOKS__ALLOW_COMMANDS": "true",
        "GGEN_MCP_MARKET__REGISTRY_TOKEN": registry_token,
        "SOME_API_KEY": api_secret,  # not a ggen-mcp setting: only the non-dumpable server protects it
    }
    command = as_nobody(python, "-m", "ggen_mcp_core.cli", "serve")
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(unprivileged_workspace))
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
    assert "HOOK-RAN 65534" in output, output
    assert "PARENT-DENIED" in output, output
    assert "SECRET" not in output and registry_token not in output and api_secret not in output, output
