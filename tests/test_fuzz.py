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

import mcp.types as mt
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from ggen_mcp_core.testing import cache_dir_beside, make_host, open_client, tool_text

PACKS = ["graph", "template", "market", "hook", "ai"]
AI = {"max_iterations": 1, "wall_clock": 20.0, "max_answer_chars": 4096}
"""The ai pack in the fuzz host: one model round per call, and a short answer limit the hostile model passes."""
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
HOSTILE_ANSWERS = [
    "```\n---\nto: ../../outside/pwned.txt\n---\nx\n```",
    "```sparql\nSELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }\n```",
    "```\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n```",
    "```sql\nATTACH DATABASE '../outside/pwned.db' AS x;\n```",
    '```json\n{"templates": [{"name": "../evil", "content": "---\\nto: /etc/passwd\\n---\\n"}]}\n```',
    "x" * 5000,  # over ai.max_answer_chars
    "",
]


ASKS_THE_MODEL: dict[str, dict[str, Any]] = {
    "ai_generate_ontology": {"description": "a shop"},
    "ai_generate_template": {"description": "a template", "output_file": "t"},
    "ai_generate_sparql": {"description": "all classes"},
    "ai_generate_project": {"description": "a shop", "name": "shop"},
    "ai_validate_and_improve": {"content": "SELECT 1::int", "content_type": "sql"},
}
"""Arguments that reach the model, one call per hostile answer (besides what hypothesis draws)."""


class HostileModel:
    """The client's model for the ai_* tools: answers from HOSTILE_ANSWERS in turn."""

    def __init__(self) -> None:
        self.asked = 0

    async def __call__(self, context: Any, params: mt.CreateMessageRequestParams) -> mt.CreateMessageResult:
        text = HOSTILE_ANSWERS[self.asked % len(HOSTILE_ANSWERS)]
        self.asked += 1
        return mt.CreateMessageResult(role="assistant", content=mt.TextContent(type="text", text=text), model="fuzz")


def snapshot(root: Path, workspace: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` except the workspace and the server's own cache folder (``cache_dir``, which
    the test host keeps beside the workspace): path -> (size, mtime_ns)."""
    skip = {workspace, cache_dir_beside(workspace)}
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        if Path(directory) in skip:
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
    host = make_host(workspace, PACKS, tool_timeout=5.0, rate_limit={"enabled": False}, ai=AI)
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
    model = HostileModel() if tool.startswith("ai_") else None
    with portal.wrap_async_context_manager(open_client(host, mode="legacy", sampling_callback=model)) as client:

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
        if tool in ASKS_THE_MODEL:  # at least one call surely reaches the hostile model, whatever was drawn
            for _ in HOSTILE_ANSWERS:
                result = portal.call(client.call_tool, tool, ASKS_THE_MODEL[tool])
                check_answer(result, f"{tool}({ASKS_THE_MODEL[tool]!r}) answered by the hostile model")
            assert model is not None and model.asked >= len(HOSTILE_ANSWERS), f"{tool}: the model was not asked"
    assert snapshot(root, workspace) == before, f"{tool} changed files outside the workspace"
    assert (root / "outside" / "secret.txt").read_text() == "do not touch"


AI_OVERSIZED = {
    "ai_validate_and_improve": [
        ({"content": "x" * (1024 * 1024 + 1), "content_type": "sql"}, "content"),
        ({"content": "x", "content_type": "rust"}, "content_type"),
        ({"content": "x", "max_iterations": 11}, "max_iterations"),
        ({"content": "x", "provider": "p" * 201}, "provider"),
    ],
    "ai_generate_template": [
        ({"description": "d" * 20_001}, "description"),
        ({"description": "d", "output_file": "o" * 201}, "output_file"),
        ({"description": "d", "graph": "g" * 2049}, "graph"),
    ],
    "ai_generate_ontology": [({"description": "d", "requirements": ["r"] * 51}, "requirements")],
    "ai_generate_sparql": [({"description": "d", "graph_file": "f" * 1001}, "graph_file")],
    "ai_extend_graph": [({"description": "d", "graph_file": ""}, "graph_file")],
    "ai_generate_project": [({"description": "d", "name": "../x"}, "name")],
    "ai_list_providers": [({"extra": 1}, "extra")],
}


@pytest.mark.parametrize("tool", sorted(AI_OVERSIZED))
def test_ai_tools_refuse_oversized_arguments(
    tool: str, sandbox: tuple[Any, Path, Path], portal: BlockingPortal
) -> None:
    """Oversized or hostile arguments of the ai_* tools: an isError naming the field, never an internal error,
    and the model is never asked."""
    host = sandbox[0]
    model = HostileModel()
    with portal.wrap_async_context_manager(open_client(host, mode="legacy", sampling_callback=model)) as client:
        for arguments, field in AI_OVERSIZED[tool]:
            result = portal.call(client.call_tool, tool, arguments)
            text = tool_text(result)
            assert result.is_error and field in text and "internal error" not in text, (arguments.keys(), text)
    assert model.asked == 0
