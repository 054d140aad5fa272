"""``--toolsets`` naming a toolset no loaded pack offers fails at start, naming the known toolsets."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.config import ConfigError

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]


def test_serve_with_an_unknown_toolset_exits_naming_the_known_ones(
    subprocess_env: Callable[..., dict[str, str]],
) -> None:
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="graph,template")
    done = subprocess.run([*GGEN, "serve", "--toolsets", "grpah"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert "invalid setting toolsets: no toolset 'grpah'; toolsets: graph, template" in done.stderr
    listed = subprocess.run([*GGEN, "tools"], capture_output=True, text=True, env={**env, "GGEN_MCP_TOOLSETS": "graph"})
    assert listed.returncode == 0 and "graph_query" in listed.stdout


def test_the_host_refuses_an_unknown_toolset(fixture_site: Path, ggen_host: Any) -> None:
    with pytest.raises(ConfigError, match=r"no toolset 'demo', 'nope'; toolsets: raisingtool"):
        ggen_host(["raisingtool"], toolsets="nope,demo,raisingtool")
