"""Bounded expansion: YAML alias bombs, container blow-ups and deep nesting.

Each payload goes through an MCP session and must end in a clear error naming its limit:
the 650-byte alias bomb in front-matter ``vars`` (through every tool that reads front matter), the 300 MB
``| string`` of a repeated list, and 5,000 nested parentheses. Property tests then check the limits are
exact: YAML within the expansion budget loads exactly as ``yaml.safe_load`` does and past it is refused while
loading; container blow-ups render exactly as an unbounded Jinja2 sandbox does, or are refused naming the
limit, and only when their text really is over it.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import call_error, call_ok, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ggen_mcp_core.testing import make_host, open_client, tool_text

pytestmark = pytest.mark.anyio

# nine levels of nine aliases: 387,420,489 scalars once written out (24 GB of RSS on 06631f7)
ALIAS_BOMB = (
    "---\nvars:\n  a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"  {name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        for prev, name in itertools.pairwise("abcdefghi")
    )
    + "to: out.txt\n---\n{{ i | length }}\n"
)
DEEP_PARENS = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}\n"
EXPANSION = "(template.max_yaml_expansion)"
NESTING = "(template.max_nesting)"
OUTPUT = "(template.max_output_bytes)"


def test_the_bomb_is_the_issues_size() -> None:
    assert len(ALIAS_BOMB) < 700


async def test_alias_bomb_is_refused_by_every_tool_reading_front_matter(
    template_host: Any, ggen_client: Any, module_workspace: Path
) -> None:
    write(module_workspace, "templates/bomb/bomb.tmpl", ALIAS_BOMB)
    write(module_workspace, "templates/bomb/fine.tmpl", "---\nto: fine.txt\n---\nfine\n")
    async with ggen_client(template_host, mode="legacy") as client:
        for tool, arguments in [
            ("template_render", {"template": "bomb/bomb"}),
            ("template_show", {"template": "bomb/bomb"}),
            ("project_gen", {"template": "bomb/bomb"}),
            ("project_gen", {"template": "templates/bomb", "dry_run": True}),
        ]:
            message = await call_error(client, tool, arguments)
            assert EXPANSION in message and "bomb.tmpl line" in message, (tool, message)
        report = await call_ok(client, "template_validate", {"template": "bomb/bomb"})
        assert not report["valid"] and any(EXPANSION in e["message"] for e in report["errors"])
        inline = await call_ok(client, "template_validate", {"content": ALIAS_BOMB})
        assert not inline["valid"] and any(EXPANSION in e["message"] for e in inline["errors"])
        listing = await call_ok(client, "template_list", {})
    entries = {t["name"]: t for t in listing["templates"]}
    assert EXPANSION in entries["bomb/bomb"]["error"]
    assert entries["bomb/fine"]["error"] is None
    assert not (module_workspace / "out.txt").exists()


async def test_aliases_within_the_budget_still_work(
    template_host: Any, ggen_client: Any, module_workspace: Path
) -> None:
    write(
        module_workspace,
        "templates/anchors.tmpl",
        """
        ---
        vars:
          base: &base {port: 80, host: example.org}
          prod: {<<: *base, host: prod.example.org}
          both: [*base, *base]
        ---
        {{ prod.host }}:{{ prod.port }} {{ both | length }}
        """,
    )
    async with ggen_client(template_host, mode="legacy") as client:
        out = await call_ok(client, "template_render", {"template": "anchors"})
    assert out["files"][0]["content"] == "prod.example.org:80 2\n"


async def test_the_string_of_a_repeated_list_is_refused_before_it_is_built(
    template_host: Any, ggen_client: Any, module_workspace: Path
) -> None:
    # the issue's text: Jinja binds `| string` to `1000`, so the list times a string is a TypeError
    write(module_workspace, "templates/strbomb.tmpl", "{{ [[0]*100000]*1000 | string }}")
    write(module_workspace, "templates/strbomb2.tmpl", "{{ ([[0]*100000]*1000) | string }}")
    write(module_workspace, "templates/strbomb3.tmpl", "{{ ([[0]*100000]*1000) }}")
    async with ggen_client(template_host, mode="legacy") as client:
        typed = await call_error(client, "template_render", {"template": "strbomb"})
        assert "can't multiply sequence by non-int of type 'str'" in typed
        for name in ("strbomb2", "strbomb3"):
            message = await call_error(client, "template_render", {"template": name})
            assert OUTPUT in message and "would be more than 1000000 characters" in message


@pytest.mark.parametrize(
    "body",
    [
        DEEP_PARENS,
        "{{ " + "[" * 5000 + "1" + "]" * 5000 + " }}",
        "{% if x %}" * 5000 + "{% endif %}" * 5000,
        "{{ " + "not " * 5000 + "x }}",
        "{{ 1" + " + 1" * 5000 + " }}",
        "{{ x" + "|upper" * 5000 + " }}",
        "{% for x in y %}" * 21 + "{% endfor %}" * 21,
        "{% if x %}" * 120 + "{% endif %}" * 120,
    ],
    ids=["parens", "brackets", "if", "not", "plus chain", "filter chain", "loops", "if 120"],
)
async def test_deep_nesting_is_a_clear_error_everywhere(
    template_host: Any, ggen_client: Any, module_workspace: Path, body: str
) -> None:
    name = f"deep{abs(hash(body))}"
    write(module_workspace, f"templates/{name}.tmpl", body)
    async with ggen_client(template_host, mode="legacy") as client:
        report = await call_ok(client, "template_validate", {"template": name})
        assert not report["valid"], report
        messages = " ".join(e["message"] for e in report["errors"])
        rendered = await call_error(client, "template_render", {"template": name, "vars": {"x": 1, "y": [1]}})
        shown = await call_error(client, "template_show", {"template": name})
        listing = await call_ok(client, "template_list", {})
    entry = next(t for t in listing["templates"] if t["name"] == name)
    for message in (messages, rendered, shown, entry["error"]):
        assert NESTING in message or "Python's compiler refuses more than 20 nested blocks" in message, message
        assert "internal error" not in message


async def test_nesting_within_the_limit_renders(template_host: Any, ggen_client: Any, module_workspace: Path) -> None:
    depth = 30
    write(
        module_workspace,
        "templates/nested_ok.tmpl",
        "{% if x %}" * 10 + "{{ " + "(" * (depth - 10) + "x" + ")" * (depth - 10) + " }}" + "{% endif %}" * 10,
    )
    async with ggen_client(template_host, mode="legacy") as client:
        out = await call_ok(client, "template_render", {"template": "nested_ok", "vars": {"x": 7}})
    assert out["files"][0]["content"] == "7"


async def test_a_huge_template_is_listed_as_invalid(
    template_host: Any, ggen_client: Any, module_workspace: Path
) -> None:
    write(module_workspace, "templates/huge.tmpl", "x" * (2 * 1024 * 1024))
    async with ggen_client(template_host, mode="legacy") as client:
        listing = await call_ok(client, "template_list", {})
        shown = await call_error(client, "template_show", {"template": "huge"})
    entry = next(t for t in listing["templates"] if t["name"] == "huge")
    assert "(template.max_template_bytes)" in entry["error"]
    assert "(template.max_template_bytes)" in shown


MEMORY_CAPPED = textwrap.dedent("""
    import resource, sys, anyio
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from pathlib import Path
    from ggen_mcp_core.testing import make_host, open_client, tool_text

    async def main() -> None:
        host = make_host(Path(sys.argv[1]), ["template"])
        async with open_client(host, mode="legacy") as client:
            for tool, arguments in [("template_list", {}), ("template_show", {"template": "bomb"}),
                                    ("template_validate", {"template": "bomb"}),
                                    ("template_render", {"template": "bomb"}),
                                    ("template_render", {"template": "strbomb"}),
                                    ("project_gen", {"template": "bomb"})]:
                result = await client.call_tool(tool, arguments)
                print(tool, result.is_error, tool_text(result).replace("\\n", " ")[:2000])

    anyio.run(main)
""")


def test_the_bombs_are_refused_under_a_2_gib_address_space(tmp_path: Path) -> None:
    write(tmp_path, "templates/bomb.tmpl", ALIAS_BOMB)
    write(tmp_path, "templates/strbomb.tmpl", "{{ ([[0]*100000]*1000) | string }}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_CAPPED, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 6, done.stdout
    assert EXPANSION in lines[0]  # template_list answers, naming the file as invalid
    for line in lines[1:]:
        assert EXPANSION in line or OUTPUT in line, line
    assert "internal error" not in done.stdout


# -- property tests --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal(backend="asyncio") as blocking_portal:
        yield blocking_portal


BUDGET = 4000


@pytest.fixture(scope="module")
def small_budget(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal) -> Iterator[tuple[Any, Path]]:
    workspace = tmp_path_factory.mktemp("budget")
    host = make_host(
        workspace,
        ["template"],
        template={"max_yaml_expansion": BUDGET, "max_output_bytes": BUDGET},
        rate_limit={"enabled": False},
    )
    with portal.wrap_async_context_manager(open_client(host, mode="legacy")) as client:
        yield client, workspace


def alias_yaml(depth: int, width: int, leaf: str, flow: bool) -> tuple[str, int]:
    """``depth`` levels of ``width`` aliases to the level below, and its size once written out: characters
    of every scalar plus one per node (the definition of template.max_yaml_expansion)."""
    lines, size, total = [], 1 + width * (1 + len(leaf)), 1
    lines.append(f"l0: &l0 [{', '.join([json.dumps(leaf)] * width)}]")
    total += 1 + len("l0") + size
    for level in range(1, depth + 1):
        items = [f"*l{level - 1}"] * width
        value = f"[{', '.join(items)}]" if flow else "\n" + "\n".join(f"  - {item}" for item in items)
        lines.append(f"l{level}: &l{level} {value}")
        size = 1 + width * size
        total += 1 + len(f"l{level}") + size
    return "\n".join(lines) + "\n", total


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(depth=st.integers(0, 12), width=st.integers(1, 9), leaf=st.text("xyzé", max_size=6), flow=st.booleans())
def test_yaml_aliases_load_exactly_within_the_budget_and_are_refused_past_it(
    small_budget: tuple[Any, Path], portal: BlockingPortal, depth: int, width: int, leaf: str, flow: bool
) -> None:
    client, workspace = small_budget
    document, expanded = alias_yaml(depth, width, leaf, flow)
    name = f"alias_{depth}_{width}_{flow}_{leaf.encode().hex()}"
    write(workspace, f"templates/{name}.tmpl", "---\n" + document + "---\nbody\n")
    result = portal.call(client.call_tool, "template_show", {"template": name})
    if expanded <= BUDGET:
        assert not result.is_error, tool_text(result)
        assert result.structured_content["front_matter"] == yaml.safe_load(document)
    else:
        assert result.is_error and EXPANSION in tool_text(result), (expanded, tool_text(result))


LEAVES = st.sampled_from(["0", "'ab'", "none", "true", "1.5", "'é'", "{'k': 1}"])
OPERATIONS = {
    "string": "{{ v | string }}",
    "output": "{{ v }}",
    "join": "{{ v | join(',') }}",
    "pprint": "{{ v | pprint }}",
    "tojson": "{{ v | tojson }}",
    "format": "{{ '%s' | format(v) }}",
    "percent": "{{ '%s' % (v,) }}",
    "str.format": "{{ '{}'.format(v) }}",
    "concat": "{{ v ~ '' }}",
    "plus": "{{ v + v }}",
    "repeat": "{{ v * 3 }}",
    "upper": "{{ v | upper }}",
}


@st.composite
def containers(draw: st.DrawFn) -> str:
    """Jinja statements building ``v``: levels of list literals or ``*`` repetitions of the level below."""
    statements = [f"{{% set v = {draw(LEAVES)} %}}"]
    for _ in range(draw(st.integers(2, 5))):
        width = draw(st.integers(2, 6))
        statements.append(
            f"{{% set v = [v] * {width} %}}"
            if draw(st.booleans())
            else "{% set v = [" + ", ".join(["v"] * width) + "] %}"
        )
    return "".join(statements)


REFERENCE = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(build=containers(), operation=st.sampled_from(sorted(OPERATIONS)))
def test_container_blowups_render_like_jinja_or_are_refused_naming_the_limit(
    small_budget: tuple[Any, Path], portal: BlockingPortal, build: str, operation: str
) -> None:
    client, workspace = small_budget
    body = build + OPERATIONS[operation]
    name = f"blowup_{abs(hash(body))}"
    write(workspace, f"templates/{name}.tmpl", body)
    expected = REFERENCE.from_string(body).render()  # at most 6 ** 5 leaves: small enough to write out here
    result = portal.call(client.call_tool, "template_render", {"template": name})
    if result.is_error:
        message = tool_text(result)
        assert OUTPUT in message, message
        assert len(expected) > BUDGET, f"refused, yet its text is {len(expected)} characters: {message}"
    else:
        assert result.structured_content["files"][0]["content"] == expected
        assert len(expected) <= BUDGET


def reference_length(body: str) -> int:
    return len(REFERENCE.from_string(body).render())


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_each_blowup_renders_up_to_the_limit_and_is_refused_past_it(
    small_budget: tuple[Any, Path], portal: BlockingPortal, operation: str
) -> None:
    client, workspace = small_budget

    def body(count: int) -> str:
        return f"{{% set v = [['ab', 1, none]] * {count} %}}" + OPERATIONS[operation]

    low, high = 1, 4000  # the largest count whose text fits the budget, found on the unbounded sandbox
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if reference_length(body(middle)) <= BUDGET else (low, middle - 1)
    for count, fits in ((low, True), (low + 1, False)):
        name = f"edge_{operation.replace('.', '_')}_{count}"
        write(workspace, f"templates/{name}.tmpl", body(count))
        result = portal.call(client.call_tool, "template_render", {"template": name})
        if fits:
            assert not result.is_error, tool_text(result)
            assert result.structured_content["files"][0]["content"] == REFERENCE.from_string(body(count)).render()
        else:
            assert result.is_error and OUTPUT in tool_text(result), tool_text(result)


async def test_the_nesting_limit_is_the_operators(ggen_host: Any, ggen_client: Any, workspace: Path) -> None:
    write(workspace, "templates/six.tmpl", "{{ " + "(" * 6 + "x" + ")" * 6 + " }}")
    write(workspace, "templates/five.tmpl", "{{ " + "(" * 5 + "x" + ")" * 5 + " }}")
    write(workspace, "templates/yaml6.tmpl", "---\nvars: {a: [[[[[1]]]]]}\n---\n{{ a }}")
    async with ggen_client(ggen_host(["template"], template={"max_nesting": 5}), mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "six", "vars": {"x": 1}})
        assert "nests 6 levels deep" in message and "the limit is 5 (template.max_nesting)" in message
        assert (await call_ok(client, "template_render", {"template": "five", "vars": {"x": 1}}))["files"]
        deep_yaml = await call_error(client, "template_render", {"template": "yaml6"})
        assert "front matter nests deeper than 5 levels" in deep_yaml and NESTING in deep_yaml


def test_a_recursion_error_while_parsing_becomes_the_nesting_error() -> None:
    """The backstop: a template within the limit parsed on a deep stack (an include compiled deep in a render)."""
    from ggen_template.errors import RenderLimitError
    from ggen_template.sandbox import RenderGuard, TemplateSandbox

    env = TemplateSandbox(RenderGuard(timeout=10, max_bytes=1000, max_iterations=1000, max_nesting=40))
    source = "{{ " + "(" * 40 + "1" + ")" * 40 + " }}"

    def deep(frames: int) -> Any:
        return deep(frames - 1) if frames else env.parse(source)

    with pytest.raises(RenderLimitError, match=r"too deeply for Jinja's parser.*\(template.max_nesting\)"):
        deep(sys.getrecursionlimit() - 400)
    assert env.parse(source) is not None  # nothing was left half-done
