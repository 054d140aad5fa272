"""Validation and generation agree (a property test over generated templates, through an MCP session):
what renders validates, and what template_validate refuses fails to render, with one of the messages the
validator gave.

The templates are drawn from a grammar of what goes wrong in practice: declared variables (with defaults,
in ``variables`` or ``vars``), variables nobody declared (in the body, in a condition, in the front
matter), ``{% if %}`` inside the front matter, unknown and mistyped front-matter keys, broken YAML and
broken Jinja. A declared variable always has a default here: a template that needs the caller's values
is valid and fails to render without them, which is the one way the two may differ (``required`` is the
promise that it does).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggen_mcp_core.testing import make_host, open_client, tool_text

DECLARED = ("alpha", "beta", "gamma")
UNDECLARED = ("ghost", "phantom")


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal(backend="asyncio") as blocking_portal:
        yield blocking_portal


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, portal: BlockingPortal) -> Iterator[tuple[Any, Path]]:
    workspace = tmp_path_factory.mktemp("agree")
    host = make_host(workspace, ["template"], rate_limit={"enabled": False})
    with portal.wrap_async_context_manager(open_client(host, mode="legacy")) as client:
        yield client, workspace


@st.composite
def templates(draw: st.DrawFn) -> str:
    declared = draw(st.lists(st.sampled_from(DECLARED), unique=True, max_size=3))
    defaults = {name: draw(st.sampled_from(["x", 0, 1, True, False, "ok"])) for name in declared}
    known = [*declared, *draw(st.lists(st.sampled_from(UNDECLARED), unique=True, max_size=1))]
    front: list[str] = ['to: "out.txt"']
    in_vars = draw(st.sets(st.sampled_from(declared))) if declared else set()
    listed = [n for n in declared if n not in in_vars]
    if listed:
        front.append("variables:")
        front += [f"  - {{name: {n}, description: d, default: {_yaml(defaults[n])}}}" for n in listed]
    if in_vars:
        front.append("vars:")
        front += [f"  {n}: {_yaml(defaults[n])}" for n in sorted(in_vars)]
    extras = st.sampled_from(["unknown_key", "bad_type", "bad_yaml", "conditional", "expression"])
    for extra in draw(st.lists(extras, unique=True, max_size=2)):
        if extra == "unknown_key":
            front.append("too: nothing")
        elif extra == "bad_type":
            front.append("force: [1, 2]")
        elif extra == "bad_yaml":
            front.append("tags: [a\n  broken: : :")
        elif extra == "conditional" and known:
            front.append(f"{{% if {draw(st.sampled_from(known))} %}}description: maybe\n{{% endif %}}")
        elif extra == "expression" and known:
            front.append(f'description: "about {{{{ {draw(st.sampled_from(known))} }}}}"')
    body: list[str] = []
    parts = ["text", "syntax"] + (["variable", "condition"] if known else [])
    for part in draw(st.lists(st.sampled_from(parts), max_size=4)):
        if part == "text":
            body.append("plain text")
        elif part == "syntax":
            body.append(draw(st.sampled_from(["{% if %}x{% endif %}", "{{ 1 + }}", "{% for %}"])))
        elif part == "variable":
            body.append(f"{{{{ {draw(st.sampled_from(known))} }}}}")
        else:
            body.append(f"{{% if {draw(st.sampled_from(known))} %}}yes{{% else %}}no{{% endif %}}")
    return "---\n" + "\n".join(front) + "\n---\n" + "\n".join(body) + "\n"


def _yaml(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(template=templates())
def test_what_renders_validates_and_what_is_refused_fails_with_its_message(
    session: tuple[Any, Path], portal: BlockingPortal, template: str
) -> None:
    client, workspace = session
    write(workspace, "templates/drawn.tmpl", template)
    report = portal.call(client.call_tool, "template_validate", {"template": "drawn"})
    assert not report.is_error, tool_text(report)
    verdict = report.structured_content
    rendered = portal.call(client.call_tool, "template_render", {"template": "drawn"})
    if not rendered.is_error:
        assert verdict["valid"], (template, verdict["errors"])
    if not verdict["valid"]:
        assert rendered.is_error, (template, verdict["errors"])
        message = tool_text(rendered)
        assert any(error["message"] in message for error in verdict["errors"]), (template, message, verdict)


def test_the_grammar_reaches_both_verdicts() -> None:
    """The property is not vacuous: the grammar draws valid and invalid templates alike."""
    seen: set[bool] = set()

    @settings(max_examples=200, database=None, deadline=None)
    @given(template=templates())
    def classify(template: str) -> None:
        seen.add("ghost" in template or "phantom" in template or "too:" in template or "{% if %}" in template)

    classify()
    assert seen == {True, False}
