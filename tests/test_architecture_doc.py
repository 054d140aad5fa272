"""docs/architecture.md's "path of one request" names, hop by hop, the file and function a call passes: each
named function exists in that file, and the hops are numbered in order with none missing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOP = re.compile(r"^(\d+)\. `(\w+\.py)`, `([\w.]+)`", re.MULTILINE)


def section() -> str:
    text = (REPO / "docs" / "architecture.md").read_text()
    start = text.index("## The path of one request")
    return text[start : text.index("\n## ", start + 1)]


def defined(path: Path) -> set[str]:
    """``function`` and ``Class.method`` names defined at the top level of a module."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            names.update(
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return names


def test_every_hop_names_a_function_that_exists() -> None:
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", section(), re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    hops = HOP.findall(section())
    assert len(hops) >= 6, hops
    for _, module, function in hops:
        assert function in defined(REPO / "ggen_mcp_core" / module), f"{module} has no {function}"


def test_the_pipeline_functions_the_text_names_exist() -> None:
    text = section()
    calls = defined(REPO / "ggen_mcp_core" / "calls.py")
    for name in ("call_tool", "nested_call", "_pipeline", "_checked_call", "new_call_id", "tool_span", "make_context"):
        assert f"`{name}`" in text or f"calls.{name}" in text, name
        assert name in calls, name
    assert "validate_arguments" in defined(REPO / "ggen_mcp_core" / "tools.py")
    assert "_Slots.take" in calls
