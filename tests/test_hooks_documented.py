"""Every hook is documented in docs/plugins.md and has a test named test_hook_<name> (as datasette does)."""

from __future__ import annotations

import ast
import functools
import inspect
from pathlib import Path

import pytest

from ggen_mcp_core import hookspecs

REPO = Path(__file__).resolve().parents[1]
HOOKS = sorted(
    name for name, value in vars(hookspecs).items() if name.startswith("ggen_") and inspect.isfunction(value)
)


def test_all_design_hooks_exist() -> None:
    assert (
        sorted(
            [
                "ggen_authenticate",
                "ggen_authorize",
                "ggen_lifecycle",
                "ggen_on_tool_call",
                "ggen_readiness",
                "ggen_register_commands",
                "ggen_register_prompts",
                "ggen_register_resources",
                "ggen_register_tools",
                "ggen_resolve_template",
                "ggen_shutdown",
                "ggen_validate_input",
            ]
        )
        == HOOKS
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    doc = (REPO / "docs" / "plugins.md").read_text()
    signature = inspect.signature(getattr(hookspecs, hook))
    heading = f"### {hook}({', '.join(signature.parameters)})"
    assert heading in doc, f"docs/plugins.md needs a section headed `{heading}`"
    section = doc.split(heading, 1)[1].split("\n### ", 1)[0]
    assert "@hookimpl" in section, f"the {hook} section needs an example"


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_docstring_is_complete(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Example::" in doc and "Failure policy" in doc and ":param" in doc, hook


@functools.cache
def _test_names() -> frozenset[str]:
    """The test function names of tests/ (parsed once per run: every hook's test asks)."""
    names = set()
    for path in (REPO / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return frozenset(names)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook: str) -> None:
    names = _test_names()
    wanted = f"test_hook_{hook}"
    assert any(name == wanted or name.startswith(wanted + "_") for name in names), f"write {wanted}"
