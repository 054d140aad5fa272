"""What the template and project tools show a client, checked on the real tools/list of a session: the
context budget (issue 16), light start-up, described and portable output schemas, template_list's pages,
and determinate progress while generating many files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import call_error, call_ok, write

from ggen_mcp_core.testing import make_host, open_client

pytestmark = pytest.mark.anyio

BUDGET = 3650  # bytes of name + description + inputSchema (compact JSON), all template_* and project_* tools
PREFIXES = ("template_", "project_")
HEAVY = ("jinja2", "yaml", "rdflib", "pyoxigraph", "httpx")


def model_visible(tool: Any) -> int:
    """The bytes a client's model reads for one tool: name, description and input schema as compact JSON."""
    seen = {"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema}
    return len(json.dumps(seen, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


async def _tools(workspace: Path) -> list[Any]:
    async with open_client(make_host(workspace, ["template"]), mode="legacy") as client:
        return [t for t in (await client.list_tools()).tools if t.name.startswith(PREFIXES)]


async def test_the_tools_fit_their_context_budget(workspace: Path) -> None:
    tools = await _tools(workspace)
    assert len(tools) == 9
    sizes = {tool.name: model_visible(tool) for tool in tools}
    assert sum(sizes.values()) <= BUDGET, sizes


def test_building_the_specs_imports_no_heavy_module() -> None:
    probe = (
        "import sys\n"
        "from ggen_template.plugin import ggen_register_tools\n"
        "from ggen_template.settings import TemplateSettings\n"
        "from ggen_mcp_core.tool_refs import build\n"
        "settings = TemplateSettings()\n"
        "specs = [build(ref, settings) for ref in ggen_register_tools()]\n"
        "[spec.input_model.model_json_schema() for spec in specs]\n"
        f"print(len(specs), sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split(maxsplit=1) == ["9", "[]\n"], out.stdout + out.stderr


def _walk(schema: Any, where: str, found: list[str]) -> None:
    """Every property of every object in an output schema: described, typed, one type (no type lists)."""
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), list):
            found.append(f"{where}: type list {schema['type']}")
        for name, prop in (schema.get("properties") or {}).items():
            if not prop.get("description"):
                found.append(f"{where}.{name}: no description")
            if not ({"type", "anyOf", "$ref", "allOf", "enum", "const"} & set(prop)):
                found.append(f"{where}.{name}: untyped")
        for key, value in schema.items():
            _walk(value, f"{where}.{key}" if key not in ("properties",) else where, found)
    elif isinstance(schema, list):
        for item in schema:
            _walk(item, where, found)


async def test_every_output_field_is_described_and_portable(workspace: Path) -> None:
    problems: list[str] = []
    for tool in await _tools(workspace):
        assert tool.output_schema, tool.name
        _walk(tool.output_schema, tool.name, problems)
    assert problems == []
    listed = next(t for t in await _tools(workspace) if t.name == "template_list").output_schema
    default = listed["$defs"]["VariableInfo"]["properties"]["default"]
    assert [kind.get("type") for kind in default["anyOf"]] == [
        "string",
        "integer",
        "number",
        "boolean",
        "array",
        "object",
        "null",
    ]


async def test_template_list_pages_with_a_cursor(workspace: Path) -> None:
    for index in range(120):
        tag = "even" if index % 2 == 0 else "odd"
        write(workspace, f"templates/t{index:03d}.tmpl", f"---\ntags: [{tag}]\n---\n{index}\n")
    async with open_client(make_host(workspace, ["template"]), mode="legacy") as client:
        pages, cursor = [], None
        while True:
            page = await call_ok(client, "template_list", {} if cursor is None else {"cursor": cursor})
            pages.append(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [(p["count"], p["total"]) for p in pages] == [(50, 120), (50, 120), (20, 120)]
        names = [t["name"] for p in pages for t in p["templates"]]
        assert names == [f"t{i:03d}" for i in range(120)]
        odd = await call_ok(client, "template_list", {"tag": "odd", "cursor": "50"})
        assert odd["total"] == 60 and odd["count"] == 10 and odd["next_cursor"] is None
        assert [t["name"] for t in odd["templates"]] == [f"t{i:03d}" for i in range(101, 120, 2)]
        assert "is not a `next_cursor`" in await call_error(client, "template_list", {"cursor": "abc"})
        assert "past the end (120 templates)" in await call_error(client, "template_list", {"cursor": "500"})


async def test_generation_reports_determinate_progress(workspace: Path) -> None:
    for index in range(6):
        write(workspace, f"templates/many/f{index}.txt.tmpl", f"file {index}\n")
    seen: dict[str, list[tuple[float, float | None, str | None]]] = {}

    def recorder(call: str) -> Any:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.setdefault(call, []).append((progress, total, message))

        return on_progress

    async with open_client(make_host(workspace, ["template"]), mode="legacy") as client:
        result = await client.call_tool(
            "project_gen", {"template": "many", "output": "out"}, progress_callback=recorder("gen")
        )
        assert not result.is_error
        planned = await client.call_tool(
            "project_plan", {"template": "many", "output": "again"}, progress_callback=recorder("plan")
        )
        assert not planned.is_error and planned.structured_content is not None
        plan = planned.structured_content
        diffed = await client.call_tool(
            "project_diff", {"template": "many", "target": "out"}, progress_callback=recorder("diff")
        )
        assert not diffed.is_error
        rendered = await client.call_tool("template_render", {"template": "many"}, progress_callback=recorder("render"))
        assert not rendered.is_error
        result = await client.call_tool("project_apply", {"plan": plan["plan_id"]}, progress_callback=recorder("apply"))
        assert not result.is_error
    # Checked once the session is closed: the SDK client runs each progress callback as a task of its own, so
    # the last one may still be pending when call_tool returns; closing the session waits for them all.
    assert [(p, t) for p, t, _ in seen["plan"]] == [(1, 2), (2, 2)] and seen["plan"][-1][2] == "plan saved"
    assert [(p, t) for p, t, _ in seen["diff"]] == [(1, 2), (2, 2)] and seen["diff"][0][2] == "rendered 6 file(s)"
    assert [(p, t) for p, t, _ in seen["render"]] == [(0, 1), (1, 1)]
    assert seen["render"][-1][2] == "rendered 6 file(s)"
    for events in (seen["gen"], seen["apply"]):
        assert {total for _, total, _ in events} == {8.0}  # 6 files + the render (or the plan) + the commit
        steps = [progress for progress, _, _ in events]
        assert steps == sorted(set(steps)) and steps[0] == 1 and steps[-1] == 8
        assert len(steps) == 8 and events[-1][2] == "wrote 6 files"
