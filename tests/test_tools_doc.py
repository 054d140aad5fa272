"""docs/tools.md is the reference `ggen-mcp tools --markdown` generates from the live schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_tools_reference_is_current() -> None:
    generated = subprocess.run(
        [sys.executable, "-m", "ggen_mcp_core.cli", "tools", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(REPO)},
    ).stdout
    assert "### `graph_query`" in generated
    doc = (REPO / "docs" / "tools.md").read_text()
    assert generated in doc, "docs/tools.md is stale: run `ggen-mcp tools --markdown` and paste it under Reference"


def test_types_read_as_words() -> None:
    """A schema's list of types prints as `array of string \\| null`, never as a Python list."""
    from ggen_mcp_core.reference import _type

    assert _type({"type": ["array", "null"], "items": {"type": "string"}}, {}) == "array of string \\| null"
    assert _type({"type": ["integer", "null"]}, {}) == "integer \\| null"
    doc = (REPO / "docs" / "tools.md").read_text()
    assert "['" not in doc
