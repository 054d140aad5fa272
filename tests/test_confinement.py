"""The host's process confinement (ggen_mcp_core.confinement): each network mechanism in a real child process.

The child confines itself, then tries to connect to a socket this test listens on at 127.0.0.1
(``ggen_listener``); the test asserts it was never contacted. ``GGEN_MCP_TEST_ISOLATION_SKIP`` forces the
seccomp filter (and the fallback) on a machine where namespaces work.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from ggen_mcp_core.confinement import SKIP_ENV, socket_filter_program
from ggen_mcp_core.testing import contacted

CHILD = """
import json, resource, socket, sys
from ggen_mcp_core.confinement import ConfinementUnavailable, confine_network, limit_data_memory
try:
    confined = confine_network(sys.argv[2], setting="test.network_isolation")
except ConfinementUnavailable as exc:
    print(json.dumps({"refused": str(exc)}))
    sys.exit(0)
outcome = {"mechanism": confined.mechanism, "detail": confined.detail}
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
    outcome["connect"] = "connected"
except OSError as exc:
    outcome["connect"] = exc.strerror or str(exc)
left, right = socket.socketpair()
left.send(b"x")
outcome["unix"] = right.recv(1).decode()
outcome["data_limit"] = limit_data_memory(300)
outcome["rlimit_data"] = resource.getrlimit(resource.RLIMIT_DATA)[0]
print(json.dumps(outcome))
"""


def run_child(server: socket.socket, mode: str, skip: str = "") -> dict[str, object]:
    env = {**os.environ, SKIP_ENV: skip, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    port = str(server.getsockname()[1])
    done = subprocess.run(
        [sys.executable, "-c", CHILD, port, mode], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    outcome: dict[str, object] = json.loads(done.stdout)
    return outcome


@pytest.mark.parametrize(("skip", "mechanism"), [("", "namespace"), ("namespace", "seccomp")])
def test_a_confined_child_never_reaches_the_listener(ggen_listener: socket.socket, skip: str, mechanism: str) -> None:
    outcome = run_child(ggen_listener, "required", skip)
    assert outcome["mechanism"] == mechanism, outcome
    assert outcome["connect"] in {"Network is unreachable", "Permission denied"}, outcome
    assert outcome["unix"] == "x"  # AF_UNIX (the worker's pipe to the server) still works
    assert outcome["data_limit"] == outcome["rlimit_data"] == 300 * 1024 * 1024
    assert not contacted(ggen_listener)


def test_without_any_mechanism_required_refuses_and_warn_reports_none(ggen_listener: socket.socket) -> None:
    refused = run_child(ggen_listener, "required", "namespace,seccomp")
    assert "test.network_isolation = 'warn'" in str(refused["refused"])
    assert f"skipped by {SKIP_ENV}" in str(refused["refused"])
    degraded = run_child(ggen_listener, "warn", "namespace,seccomp")
    assert degraded["mechanism"] == "none" and degraded["connect"] == "connected"
    assert contacted(ggen_listener)  # the control: without confinement the same child does reach it


def test_the_filter_is_built_for_both_architectures() -> None:
    for arch in ("x86_64", "aarch64"):
        program = socket_filter_program(arch)
        assert len(program) == 10 * 8
    with pytest.raises(OSError, match="no seccomp socket filter"):
        socket_filter_program("sparc")
