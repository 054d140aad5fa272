"""Every template the bundled packs ship passes its own validator and describes itself (description,
variables with types, defaults and descriptions) through template_list and template_show, although its
front matter holds ``{% if %}``; and the packs refuse misuse clearly: no graph and no example, a variable
that cannot apply to a whole pack, and the example ontology never merged into the user's graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import call_error, call_ok, write

from ggen_mcp_core.testing import make_host, open_client

pytestmark = pytest.mark.anyio

PACKS = ("io.ggen.python.models", "io.ggen.typescript.interfaces", "io.ggen.sql.ddl", "io.ggen.rust.serde")
BUNDLED = Path(__import__("ggen_market").__file__).parent / "packs"
SHOP = """
@prefix : <http://example.org/shop#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
:Order a owl:Class ; rdfs:comment "A customer's order." .
:total a owl:DatatypeProperty ; rdfs:domain :Order ; rdfs:range xsd:decimal .
"""


def _bundled_templates() -> list[str]:
    return sorted(f"{path.parent.parent.name}:templates/{path.name}" for path in BUNDLED.glob("*/templates/*.tmpl"))


def _visible(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))


async def _installed(client: Any) -> None:
    for pack in PACKS:
        await call_ok(client, "market_install", {"package": pack})


async def test_every_bundled_template_validates_and_describes_itself(workspace: Path) -> None:
    expected = _bundled_templates()
    assert len(expected) >= 5  # the four packs ship five templates
    async with open_client(make_host(workspace, ["market", "template", "graph"]), mode="legacy") as client:
        await _installed(client)
        listed = await call_ok(client, "template_list", {})
        by_name = {t["name"]: t for t in listed["templates"]}
        assert sorted(by_name) == expected
        for name in expected:
            info = by_name[name]
            assert info["error"] is None, (name, info["error"])
            assert info["description"], name
            variables = {v["name"]: v for v in info["variables"]}
            assert all(v["declared"] for v in variables.values()), (name, variables)
            assert variables["example"] == {
                "name": "example",
                "type": "boolean",
                "description": "Use the pack's example ontology when no `graph` is given (never merged into yours).",
                "required": False,
                "default": True,
                "declared": True,
            }
            assert variables["module"]["type"] == "string" and variables["module"]["default"]
            assert all(v["description"] for v in variables.values()), name

            report = await call_ok(client, "template_validate", {"template": name})
            assert report["valid"], (name, report["errors"])
            assert report["errors"] == [] and report["front_matter"]["description"] == info["description"]

            shown = await call_ok(client, "template_show", {"template": name})
            assert shown["description"] == info["description"] and shown["variables"] == info["variables"]
            assert shown["front_matter"]["rdf_example"] == ["graphs/example.ttl"]  # the {% if %} branch, read
            assert "{% if example %}" in shown["front_matter_text"]


async def test_front_matter_with_jinja_describes_itself_in_the_workspace(workspace: Path) -> None:
    write(
        workspace,
        "templates/cond.tmpl",
        """
        ---
        to: "{{ name }}.txt"
        description: "Greets someone."
        {% if loud %}tags: [loud]
        {% else %}tags: [quiet]
        {% endif %}variables:
          - {name: name, description: Who, type: string, required: true}
          - {name: loud, description: Shout, default: false}
        {# a comment
           over two lines #}
        vars:
          {% for k in ["a"] %}count: 3
          {% endfor %}
        ---
        {{ name | upper if loud else name }} x{{ count }}
        """,
    )
    async with open_client(make_host(workspace, ["template"]), mode="legacy") as client:
        shown = await call_ok(client, "template_show", {"template": "cond"})
        assert shown["description"] == "Greets someone."
        assert shown["tags"] == ["loud"]  # the first branch of the {% if %}
        assert [(v["name"], v["type"], v["required"], v["default"]) for v in shown["variables"]] == [
            ("name", "string", True, None),
            ("loud", "boolean", False, False),
            ("count", "integer", False, 3),
        ]
        report = await call_ok(client, "template_validate", {"template": "cond"})
        assert report["valid"], report["errors"]
        rendered = await call_ok(client, "template_render", {"template": "cond", "vars": {"name": "ada"}})
        assert rendered["files"][0]["content"] == "ada x3\n"


async def test_sql_dialect_is_checked_with_fail(workspace: Path) -> None:
    async with open_client(make_host(workspace, ["market", "template", "graph"]), mode="legacy") as client:
        await call_ok(client, "market_install", {"package": "io.ggen.sql.ddl"})
        message = await call_error(
            client, "project_gen", {"template": "io.ggen.sql.ddl:schema.sql.tmpl", "vars": {"dialect": "oracle"}}
        )
        assert "the template stopped: dialect must be sqlite or postgres, not oracle" in message
        assert "undefined" not in message
    assert not (workspace / "schema.sql").exists()


async def test_a_pack_without_a_graph_or_its_example_fails_clearly(workspace: Path) -> None:
    async with open_client(make_host(workspace, ["market", "template", "graph"]), mode="legacy") as client:
        await _installed(client)
        for pack in PACKS:
            message = await call_error(client, "project_gen", {"template": f"{pack}:", "vars": {"example": False}})
            assert "the graph has no OWL/RDFS classes: pass `graph`" in message, (pack, message)
    assert _visible(workspace) == ["ggen.lock"]


async def test_the_example_ontology_is_used_only_without_a_graph(workspace: Path) -> None:
    async with open_client(make_host(workspace, ["market", "template", "graph"]), mode="legacy") as client:
        await call_ok(client, "market_install", {"package": "io.ggen.sql.ddl"})
        await call_ok(client, "graph_load", {"content": SHOP, "graph": "urn:shop"})
        mine = await call_ok(
            client, "project_gen", {"template": "io.ggen.sql.ddl:", "graph": "urn:shop", "output": "mine"}
        )
        assert mine["warnings"] == []
        example = await call_ok(client, "project_gen", {"template": "io.ggen.sql.ddl:", "output": "example"})
        assert example["warnings"] == [
            "io.ggen.sql.ddl:schema.sql.tmpl: no `graph` given, so it rendered from its example "
            "ontology (graphs/example.ttl); pass `graph` to generate from yours"
        ]
    mine = (workspace / "mine" / "schema.sql").read_text()
    assert 'CREATE TABLE "orders"' in mine
    assert '"books"' not in mine and '"authors"' not in mine  # the example's classes stay out of the user's
    example = (workspace / "example" / "schema.sql").read_text()
    assert 'CREATE TABLE "books"' in example and '"orders"' not in example


async def test_a_variable_that_cannot_apply_to_a_whole_pack_is_refused(workspace: Path) -> None:
    pack = "io.ggen.python.models"
    async with open_client(make_host(workspace, ["market", "template", "graph"]), mode="legacy") as client:
        await call_ok(client, "market_install", {"package": pack})
        message = await call_error(client, "project_gen", {"template": f"{pack}:", "vars": {"module": "shop"}})
        assert "`module` cannot apply to the whole set" in message
        assert "dataclasses.py.tmpl and " in message and "would both write shop.py" in message
        assert "generate one template of the set" in message
        done = await call_ok(
            client, "project_gen", {"template": f"{pack}:templates/pydantic.py.tmpl", "vars": {"module": "shop"}}
        )
        assert done["files_created"] == ["shop.py"]
        whole = await call_ok(client, "project_gen", {"template": f"{pack}:", "vars": {"example": True}})
        assert sorted(whole["files_created"]) == ["models.py", "schemas.py"]


async def test_a_yaml_error_in_templated_front_matter_names_its_file_line(workspace: Path) -> None:
    text = (
        "---\nvariables: [{name: flag, default: true}]\n{%- if flag %}\ntags: [a]\n{%- endif %}\n"
        "{# a comment\n#}\ndescription: [unclosed\n---\nx\n"
    )
    write(workspace, "templates/lines.tmpl", text)
    async with open_client(make_host(workspace, ["template"]), mode="legacy") as client:
        report = await call_ok(client, "template_validate", {"template": "lines"})
        message = await call_error(client, "template_render", {"template": "lines"})
    assert [(e["line"], e["message"]) for e in report["errors"]] == [
        (9, "front matter is not valid YAML: did not find expected ',' or ']'")
    ]
    assert message == "templates/lines.tmpl line 9: front matter is not valid YAML: did not find expected ',' or ']'"
