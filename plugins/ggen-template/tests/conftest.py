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


@pytest.fixture(scope="module")
def module_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace shared by the tests of one module (each test uses its own file names)."""
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def template_host(module_workspace: Path) -> Any:
    """A host with only the template pack, shared by one module's tests (host start-up is not free)."""
    from ggen_mcp_core.testing import make_host

    return make_host(module_workspace, ["template"], template={"max_output_bytes": 1_000_000})
