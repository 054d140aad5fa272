"""Shared helpers for the hook pack's tests: hosts with commands on or off, and small real scripts."""

from __future__ import annotations

import shlex
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.plugins import PluginHost

PYTHON = shlex.quote(sys.executable)

# Writes its arguments and the GGEN_* environment it saw to <workspace>/<marker>.json, then exits with
# the status given in EXIT_WITH (default 0) after printing to stderr.
MARKER_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    marker = sys.argv[1]
    seen = {
        "argv": sys.argv[2:],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "files": json.load(open(os.environ["GGEN_FILES"])) if os.environ.get("GGEN_FILES") else None,
    }
    with open(marker + ".json", "w") as handle:
        json.dump(seen, handle)
    code = int(os.environ.get("EXIT_WITH", "0"))
    if code:
        sys.stderr.write("marker failing on purpose with %d\\n" % code)
    sys.exit(code)
    """
)


@pytest.fixture
def marker_script(ggen_workspace: Path) -> Path:
    """``marker.py`` in the workspace (see MARKER_SCRIPT)."""
    path = ggen_workspace / "marker.py"
    path.write_text(MARKER_SCRIPT)
    return path


def marker_command(marker: str, *args: str) -> str:
    """The hook command that runs marker.py writing ``<marker>.json``."""
    return " ".join([PYTHON, "marker.py", *(shlex.quote(part) for part in (marker, *args))])


def python_command(code: str) -> str:
    """A hook command running a line of Python."""
    return f"{PYTHON} -c {shlex.quote(code)}"


@pytest.fixture
def hooks_host(ggen_host: Callable[..., PluginHost]) -> Callable[..., PluginHost]:
    """``hooks_host(allow=True, **hook_settings)`` -> a host with only the hook pack loaded."""

    def factory(allow: bool = True, plugins: tuple[str, ...] = ("hook",), **hooks: Any) -> PluginHost:
        return ggen_host(list(plugins), hooks={"allow_commands": allow, **hooks})

    return factory


def seen(workspace: Path, marker: str) -> dict[str, Any]:
    """What the marker script recorded."""
    import json

    return json.loads((workspace / f"{marker}.json").read_text())
