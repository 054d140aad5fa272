"""Shared helpers for the template pack's tests: write workspace files, call tools, read results."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from ggen_mcp_core.testing import tool_text


def write(root: Path, relative: str, text: str) -> Path:
    """Write a dedented file under ``root`` and return its path."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


async def call_ok(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, tool_text(result)
    return result.structured_content


async def call_error(client: Any, tool: str, arguments: dict[str, Any]) -> str:
    """Call a tool that must fail; return its message."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    return tool_text(result)


@pytest.fixture
def workspace(ggen_workspace: Path) -> Path:
    """The test workspace root."""
    return ggen_workspace
