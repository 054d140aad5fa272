"""Every result is size-checked while it is encoded, not after it is built.

A tool whose value holds the same list many times (what a YAML alias bomb gives a handler) is small in memory
and enormous as JSON: it must be refused naming ``limits.max_result_bytes`` without being written out, and a
value within the cap must come back exactly as ``json.dumps`` would have written it (compact). Each test runs a real
plugin through an MCP client session.
"""

from __future__ import annotations

import json
import tracemalloc
import types
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from ggen_mcp_core import ToolSpec, hookimpl
from ggen_mcp_core.result_budget import MAX_RESULT_DEPTH, ResultRefused, json_floor
from ggen_mcp_core.testing import make_host, open_client, tool_text

CAP = 4096


def compact(value: Any) -> str:
    """The text block the host writes: compact JSON, non-ASCII as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Node(BaseModel):
    """One node of a value with shared parts: a list or object of earlier nodes (by index), or a leaf."""

    kind: Literal["list", "dict", "str", "int"]
    refs: list[int] = Field(default_factory=list, max_length=64)
    text: str = Field("", max_length=64)


class BuildInput(BaseModel):
    nodes: list[Node] = Field(min_length=1, max_length=64)


class NestInput(BaseModel):
    width: int = Field(ge=1, le=16)
    depth: int = Field(ge=0, le=400)
    leaf: str = Field("x", max_length=64)


class ValueOutput(BaseModel):
    value: Any = Field(description="The value built.")


def build(nodes: list[Node]) -> Any:
    """The value the nodes describe; a node referred to twice is the same object twice (never a copy)."""
    built: list[Any] = []
    for node in nodes:
        refs = [built[i % len(built)] for i in node.refs] if built else []
        if node.kind == "list":
            built.append(refs)
        elif node.kind == "dict":
            built.append({f"k{i}": ref for i, ref in enumerate(refs)})
        else:
            built.append(node.text if node.kind == "str" else len(node.text))
    return built[-1]


def nest(width: int, depth: int, leaf: str) -> Any:
    """``depth`` levels of ``width`` references to the level below: ``width ** depth`` leaves in JSON."""
    value: Any = leaf
    for _ in range(depth):
        value = [value] * width
    return value


def blowup_plugin() -> types.ModuleType:
    module = types.ModuleType("blowup")

    async def build_value(args: BuildInput, ctx: Any) -> ValueOutput:
        return ValueOutput(value=build(args.nodes))

    async def nest_value(args: NestInput, ctx: Any) -> ValueOutput:
        return ValueOutput(value=nest(args.width, args.depth, args.leaf))

    async def nest_plain(args: NestInput, ctx: Any) -> Any:
        return {"value": nest(args.width, args.depth, args.leaf)}

    @hookimpl
    def ggen_register_tools(config: Any) -> list[ToolSpec]:
        common: dict[str, Any] = {"read_only": True}
        return [
            ToolSpec(
                name="blowup_build",
                description="Build a value with shared parts.",
                input_model=BuildInput,
                handler=build_value,
                output_model=ValueOutput,
                **common,
            ),
            ToolSpec(
                name="blowup_nest",
                description="Nested shared lists.",
                input_model=NestInput,
                handler=nest_value,
                output_model=ValueOutput,
                **common,
            ),
            ToolSpec(
                name="blowup_plain",
                description="Nested shared lists, no output model.",
                input_model=NestInput,
                handler=nest_plain,
                **common,
            ),
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal(backend="asyncio") as blocking_portal:
        yield blocking_portal


def session_with_cap(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal, cap: int) -> Iterator[Any]:
    workspace = tmp_path_factory.mktemp("results")
    host = make_host(
        workspace,
        [],
        modules={"blowup": blowup_plugin()},
        limits={"max_result_bytes": cap},
        rate_limit={"enabled": False},
    )
    with portal.wrap_async_context_manager(open_client(host, mode="legacy")) as session:
        yield session


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal) -> Iterator[Any]:
    yield from session_with_cap(tmp_path_factory, portal, CAP)


@pytest.fixture(scope="module")
def roomy_client(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal) -> Iterator[Any]:
    yield from session_with_cap(tmp_path_factory, portal, 1024 * 1024)


def call(portal: BlockingPortal, client: Any, tool: str, arguments: dict[str, Any]) -> Any:
    return portal.call(client.call_tool, tool, arguments)


def expanded_leaves(nodes: list[Node]) -> int:
    """How many leaves the value has once every shared part is written out."""
    counts: list[int] = []
    for node in nodes:
        refs = [counts[i % len(counts)] for i in node.refs] if counts else []
        counts.append(sum(refs) + 1 if node.kind in ("list", "dict") else 1)
    return counts[-1]


def refused_for_size(result: Any) -> bool:
    return bool(result.is_error) and f"over the {CAP}-byte cap (limits.max_result_bytes)" in tool_text(result)


@pytest.mark.parametrize("tool", ["blowup_nest", "blowup_plain"])
def test_the_issue_alias_bomb_shape_is_refused_without_being_written(
    portal: BlockingPortal, client: Any, tool: str
) -> None:
    # nine levels of nine references: 387,420,489 leaves, 24 GB of RSS when the host serialised it
    tracemalloc.start()
    try:
        result = call(portal, client, tool, {"width": 9, "depth": 9})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused_for_size(result), tool_text(result)
    assert "is at least" in tool_text(result)  # refused by the bound, before any JSON was written
    assert peak < 32 * 1024 * 1024, f"the refusal allocated {peak} bytes"


def test_a_result_within_the_cap_is_the_json_of_the_value(portal: BlockingPortal, client: Any) -> None:
    result = call(portal, client, "blowup_nest", {"width": 3, "depth": 3, "leaf": "é\n\x01"})
    expected = {"value": nest(3, 3, "é\n\x01")}
    assert not result.is_error, tool_text(result)
    assert result.structured_content == expected
    assert tool_text(result) == compact(expected)


def test_a_result_just_over_the_cap_names_its_exact_size(portal: BlockingPortal, client: Any) -> None:
    leaf = "y" * 64
    text = compact({"value": nest(4, 3, leaf)})
    assert CAP < len(text) < CAP + 256
    result = call(portal, client, "blowup_nest", {"width": 4, "depth": 3, "leaf": leaf})
    assert refused_for_size(result), tool_text(result)


def test_too_deep_a_result_is_a_clear_error(portal: BlockingPortal, roomy_client: Any) -> None:
    result = call(portal, roomy_client, "blowup_nest", {"width": 1, "depth": MAX_RESULT_DEPTH + 5})
    assert result.is_error
    assert f"nests deeper than {MAX_RESULT_DEPTH} levels" in tool_text(result)
    fine = call(portal, roomy_client, "blowup_nest", {"width": 1, "depth": MAX_RESULT_DEPTH - 5})
    assert not fine.is_error, tool_text(fine)


NODES = st.lists(
    st.builds(
        Node,
        kind=st.sampled_from(["list", "dict", "str", "int"]),
        refs=st.lists(st.integers(0, 63), max_size=8),
        text=st.text(max_size=12),
    ),
    min_size=1,
    max_size=24,
)


def test_values_with_shared_parts_come_back_exactly_or_are_refused(portal: BlockingPortal, client: Any) -> None:
    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(nodes=NODES)
    def run(nodes: list[Node]) -> None:
        result = call(portal, client, "blowup_build", {"nodes": [n.model_dump() for n in nodes]})
        if expanded_leaves(nodes) > 100_000:  # far over the cap: not even the test writes it out
            assert refused_for_size(result), tool_text(result)
            return
        expected = {"value": build(nodes)}
        text = compact(expected)
        if len(text.encode()) <= CAP:
            assert not result.is_error, tool_text(result)
            assert result.structured_content == expected
            assert tool_text(result) == text
        else:
            assert refused_for_size(result), tool_text(result)

    run()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, database=None)
@given(value=JSON)
def test_the_bound_never_exceeds_the_written_size(value: Any) -> None:
    written = len(compact(value).encode())
    floor = json_floor(value, written)
    assert floor <= written
    assert floor <= len(json.dumps(value, ensure_ascii=False))  # the text the template sandbox bounds
    assert json_floor([value], written + 2) <= len(str([value]))  # a string inside a list is written with quotes
    assert json_floor([value] * 3, 10**9) == 1 + 3 * (floor + 1)  # a repeated part counts each time it is written
    with pytest.raises(ResultRefused):
        json_floor([value] * 3, 3 * (floor + 1))


def test_rows_of_text_are_counted_in_one_loop_and_still_bounded() -> None:
    # a result row (a dict of text) is counted without the memo; the same row a million times over is still
    # refused within one row of the budget, and its count is the general walk's
    row = {"s": "http://example.org/p1", "name": "person 1", "age": 42, "ok": True, "none": None, "x": 1.5}
    single = json_floor(row, 10**9)
    assert single == 1 + sum(1 + len(key) + 3 for key in row) + 23 + 10 + 1 + 4 + 4 + 3  # 42: at least 1 digit
    assert single <= len(compact(row))
    with pytest.raises(ResultRefused) as refused:
        json_floor([row] * 1_000_000, CAP)
    assert refused.value.size is not None and CAP < refused.value.size <= CAP + single + 1


def test_rows_as_arrays_of_text_are_counted_exactly_and_still_bounded() -> None:
    # a row as an array of strings and nulls (counted in C, without the memo): its floor is its compact JSON's
    # length for plain ASCII text, a row shared a million times over is refused within one row of the budget,
    # and an array holding anything else is walked item by item as before
    row = ["http://example.org/p1", None, "person 1", "", None]
    single = json_floor(row, 10**9)
    assert single == len(compact(row))
    assert json_floor([row, row], 10**9) == len(compact([row, row]))
    with pytest.raises(ResultRefused) as refused:
        json_floor([row] * 1_000_000, CAP)
    assert refused.value.size is not None and CAP < refused.value.size <= CAP + single + 1
    mixed = ["x", 1, None, True]
    assert json_floor(mixed, 10**9) <= len(compact(mixed))
    leaf = "y" * 1000  # one string referred to a million times: refused before anything is joined or written
    with pytest.raises(ResultRefused):
        json_floor([[leaf] * 1_000_000] * 1_000_000, CAP)


def test_a_row_that_is_not_json_data_is_still_refused_naming_where() -> None:
    from ggen_mcp_core.result_budget import UnencodableValue

    for row, where in (({"a": "x", 1: "y"}, "$[0]"), ({"a": "x", "b": {1, 2}}, "$[0].b")):
        with pytest.raises(UnencodableValue) as refused:
            json_floor([row], 10**9, strict=True)
        assert refused.value.where == where, refused.value.where
