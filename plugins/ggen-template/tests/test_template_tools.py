"""template_create, template_validate and template_show."""

from __future__ import annotations

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio

GOOD = """---
to: src/{{ name | snake }}.py
variables:
  - name: name
    description: Class name
    required: true
---
class {{ name | pascal }}:
    pass
"""


async def test_create_validates_saves_and_refuses_overwrite(ggen_host, ggen_client, workspace) -> None:
    async with ggen_client(ggen_host(["template"]), mode="legacy") as client:
        out = await call_ok(
            client,
            "template_create",
            {"name": "model", "content": GOOD, "description": "A model", "tags": ["python", "model"]},
        )
        assert out == {
            "path": "templates/model.tmpl",
            "overwritten": False,
            "valid": True,
            "warnings": [],
            "variables_detected": ["name"],
        }
        saved = (workspace / "templates/model.tmpl").read_text()
        assert saved.startswith('---\ndescription: "A model"\ntags: ["python", "model"]\nto: src/')
        assert "already exists" in await call_error(client, "template_create", {"name": "model", "content": GOOD})
        out = await call_ok(
            client, "template_create", {"name": "model", "content": "plain {{ 1 + 1 }}\n", "force": True}
        )
        assert out["overwritten"] is True
        out = await call_ok(client, "template_create", {"name": "api/route", "content": "x", "tags": ["web"]})
        assert out["path"] == "templates/api/route.tmpl"
        assert (workspace / "templates/api/route.tmpl").read_text() == '---\ntags: ["web"]\n---\nx'
        shown = await call_ok(client, "template_show", {"template": "api/route"})
        assert shown["tags"] == ["web"] and shown["body"] == "x"
        message = await call_error(client, "template_create", {"name": "bad", "content": "---\ntoo: x\n---\n{{ a }"})
        assert "not saved" in message and "line 2: unknown front-matter key 'too' (did you mean 'to'?)" in message
        assert not (workspace / "templates/bad.tmpl").exists()
        for name in ("../evil", "/abs", "a/../b", ".hidden"):
            assert "name" in await call_error(client, "template_create", {"name": name, "content": "x"})
        message = await call_error(
            client, "template_create", {"name": "dup", "content": "---\ntags: [a]\n---\nx", "tags": ["b"]}
        )
        assert "already has `tags`" in message


async def test_validate_reports_each_problem_with_its_line(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/rdf/known.ttl", "@prefix ex: <http://example.org/> . ex:a a ex:B .\n")
    content = """---
to: out.txt
rdf: [rdf/known.ttl, rdf/missing.ttl]
shape: shapes.ttl
sparql:
  good: "SELECT ?s WHERE { ?s ?p ?o }"
  bad: "SELECT ?s WHERE { ?s ?p }"
  dynamic: "SELECT ?s WHERE { ?s a <{{ cls }}> }"
rdf_inline: "<a> <b> ."
vars:
  greeting: hi
before: nothing
sh_after: make
unkown: 1
---
{{ greeting }} {{ who }}
{% for x in items %}{{ x }}{% endfor %}
{% set local_var = 1 %}{{ local_var }}
{% if %}
"""
    async with ggen_client(template_host, mode="legacy") as client:
        out = await call_ok(client, "template_validate", {"content": content})
    assert out["valid"] is False
    errors = [(e["line"], e["message"]) for e in out["errors"]]
    messages = " | ".join(m for _, m in errors)
    assert any(line == 14 and "unknown front-matter key 'unkown'" in m for line, m in errors), errors
    assert any(line == 3 and "rdf" in m and "missing.ttl does not exist" in m for line, m in errors), errors
    assert any(line == 4 and "shapes.ttl does not exist" in m for line, m in errors), errors
    assert any(line == 5 and "sparql query 'bad'" in m for line, m in errors), errors
    assert any(line == 9 and "rdf_inline[0]" in m for line, m in errors), errors
    assert any(line == 19 and "Jinja syntax error" in m for line, m in errors), errors
    assert "sparql query 'good'" not in messages
    warnings = " | ".join(w["message"] for w in out["warnings"])
    assert "sparql query 'dynamic'" not in messages and "`before` has no effect without `inject: true`" in warnings
    assert "template.allow_shell" in warnings


async def test_validate_undeclared_variables_and_yaml_errors(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/v/undeclared.tmpl", '---\nto: "{{ folder }}/x"\n---\nline\n{{ who }}\n')
    write(
        module_workspace,
        "templates/v/declared.tmpl",
        "---\nvariables: [name, {name: who, default: me}]\nvars: {folder: f}\n---\n{{ Name }} {{ who }} {{ folder }}"
        "{% set y = 1 %}{{ y }}{% for r in sparql_results.get('q', []) %}{{ local(r) }}{% endfor %}\n",
    )
    write(module_workspace, "templates/v/yaml.tmpl", "---\nto: a\n  bad: indent\n---\nx\n")
    async with ggen_client(template_host, mode="legacy") as client:
        out = await call_ok(client, "template_validate", {"template": "templates/v/undeclared.tmpl"})
        assert not out["valid"] and out["variables_detected"] == ["folder", "who"]
        assert [(e["line"], e["message"]) for e in out["errors"]] == [
            (2, "'folder' is undefined: pass it in `vars`, or declare it in `variables` with a default"),
            (5, "'who' is undefined: pass it in `vars`, or declare it in `variables` with a default"),
        ]
        out = await call_ok(client, "template_validate", {"template": "templates/v/declared.tmpl"})
        assert out["valid"], out["errors"]
        assert out["front_matter"]["vars"] == {"folder": "f"}
        out = await call_ok(client, "template_validate", {"template": "templates/v/yaml.tmpl"})
        assert out["errors"][0]["line"] == 3 and "not valid YAML" in out["errors"][0]["message"]
        assert out["errors"][0]["column"] is not None
        out = await call_ok(client, "template_validate", {"template": "templates/v"})
        assert not out["valid"] and len(out["templates"]) == 3
        assert out["errors"][0]["message"].startswith("templates/v/undeclared.tmpl: ")
        assert "exactly one" in await call_error(client, "template_validate", {})


async def test_validate_checks_include_free_templates_and_from(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/w/body.txt", "{{ undeclared_in_from }}")
    write(module_workspace, "templates/w/main.tmpl", "---\nfrom: body.txt\n---\n")
    write(module_workspace, "templates/w/gone.tmpl", "---\nfrom: nothere.txt\n---\n")
    async with ggen_client(template_host, mode="legacy") as client:
        out = await call_ok(client, "template_validate", {"template": "templates/w/main.tmpl"})
        assert out["variables_detected"] == ["undeclared_in_from"]
        out = await call_ok(client, "template_validate", {"template": "templates/w/gone.tmpl"})
        assert "nothere.txt does not exist" in out["errors"][0]["message"]


async def test_show(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/s/show.tmpl",
        '---\ndescription: Shows\ntags: [a, b]\nto: "{{ name }}.txt"\n'
        "variables:\n  - {name: name, required: true}\nvars: {extra: 1}\n---\n{{ name }} {{ extra }} {{ other }}\n",
    )
    async with ggen_client(template_host, mode="legacy") as client:
        out = await call_ok(client, "template_show", {"template": "templates/s/show.tmpl"})
        assert out["description"] == "Shows" and out["tags"] == ["a", "b"]
        assert out["body"] == "{{ name }} {{ extra }} {{ other }}\n"
        assert out["front_matter"]["to"] == "{{ name }}.txt" and out["front_matter_text"].startswith("description")
        assert [(v["name"], v["required"], v["default"], v["declared"]) for v in out["variables"]] == [
            ("name", True, None, True),
            ("extra", False, 1, True),
            ("other", False, None, False),
        ]
        assert "template set" in await call_error(client, "template_show", {"template": "templates/s"})
