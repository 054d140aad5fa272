"""Property tests on every tool: inputs drawn from each tool's own inputSchema, and arbitrary JSON.

Through one MCP client session per tool, for every example: the server answers (it never crashes or hangs),
a refusal is an ``isError`` result with a message (never an internal error), and nothing outside the
workspace changes (a snapshot of the directory around it is compared).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from ggen_mcp_core.testing import make_host, open_client, tool_text

PACKS = ["graph", "template", "market", "hook"]
EXAMPLES = int(os.environ.get("GGEN_FUZZ_EXAMPLES", "25"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
HOSTILE_STRINGS = st.sampled_from(
    [
        "../../outside/pwned.txt",
        "/etc/passwd",
        "a\x00b",
        "~/.ssh/id_rsa",
        "link/escape.txt",
        "..",
        "",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "SERVICE <http://127.0.0.1:1/> { ?s ?p ?o }",
    ]
)


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` except the workspace: path -> (size, mtime_ns)."""
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        if Path(directory) == skip:
            dirnames[:] = []
            continue
        for name in filenames:
            path = Path(directory, name)
            info = path.lstat()
            state[str(path)] = (info.st_size, info.st_mtime_ns)
    return state


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, Path]]:
    root = tmp_path_factory.mktemp("fuzz")
    workspace = root / "workspace"
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text("do not touch")
    workspace.mkdir()
    (workspace / "templates").mkdir()
    os.symlink(root / "outside", workspace / "link")
    host = make_host(workspace, PACKS, tool_timeout=5.0, rate_limit={"enabled": False})
    yield host, root, workspace


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal(backend="asyncio") as blocking_portal:
        yield blocking_portal


def tool_names() -> list[str]:
    from ggen_mcp_core import Settings
    from ggen_mcp_core.plugins import PluginHost

    host = PluginHost(Settings.load(load_plugins=",".join(PACKS)))
    host.load(report=False)
    return sorted(host.tools)


def check_answer(result: Any, label: str) -> None:
    text = tool_text(result)
    if result.is_error:
        assert text.strip(), f"{label}: isError without a message"
        assert "internal error" not in text, f"{label}: {text}"


@pytest.mark.parametrize("tool", tool_names())
def test_tool_survives_generated_input(tool: str, sandbox: tuple[Any, Path, Path], portal: BlockingPortal) -> None:
    host, root, workspace = sandbox
    schema = host.tools[tool].input_schema()
    valid = from_schema(schema)
    arbitrary = st.dictionaries(
        st.sampled_from(sorted(schema.get("properties", {})) or ["x"]) | st.text(max_size=8),
        JSON_VALUES | HOSTILE_STRINGS,
        max_size=5,
    )
    before = snapshot(root, workspace)
    with portal.wrap_async_context_manager(open_client(host, mode="legacy")) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.function_scoped_fixture,
                HealthCheck.data_too_large,
            ],
        )
        @given(arguments=valid | arbitrary)
        def run(arguments: dict[str, Any]) -> None:
            result = portal.call(client.call_tool, tool, arguments)
            check_answer(result, f"{tool}({arguments!r})")

        run()
    assert snapshot(root, workspace) == before, f"{tool} changed files outside the workspace"
    assert (root / "outside" / "secret.txt").read_text() == "do not touch"
