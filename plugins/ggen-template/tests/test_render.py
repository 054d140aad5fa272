"""Rendering: front matter, variables, RDF and SPARQL, functions, determinism, includes (template_render)."""

from __future__ import annotations

import pytest
from conftest import call_error, call_ok, write

pytestmark = pytest.mark.anyio
HINT = ": pass it in `vars`, or declare it in `variables` with a default"


async def render(client, template: str, **arguments) -> dict:
    return await call_ok(client, "template_render", {"template": template, **arguments})


async def test_worked_example_of_the_predecessor(template_host, ggen_client, module_workspace) -> None:
    """ggen's greet.tmpl example: rdf_inline, a sparql() loop over full IRIs and local()."""
    write(
        module_workspace,
        "templates/greet.tmpl",
        """
        ---
        to: src/{{ name | snake }}.rs
        prefixes:
          ex: http://example.org/
        rdf_inline:
          - "ex:{{ name }} a ex:Person ."
        ---
        {% for row in sparql(query="SELECT ?p WHERE { ?p a <http://example.org/Person> }") -%}
        fn {{ local(row.p) | snake }}() {}
        {% endfor -%}
        """,
    )
    async with ggen_client(template_host, mode="legacy") as client:
        out = await render(client, "greet", vars={"name": "AliceSmith"})
    assert out["files"] == [
        {
            "path": "src/alice_smith.rs",
            "template": "templates/greet.tmpl",
            "mode": "write",
            "content": "fn alice_smith() {}\n",
            "bytes": 20,
        }
    ]


async def test_named_queries_files_prefixes_and_helpers(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/onto/people.ttl",
        """
        @prefix ex: <http://example.org/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:alice a ex:Person ; rdfs:label "Alice" ; ex:age 42 .
        ex:bob a ex:Person ; rdfs:label "Bob"@en .
        """,
    )
    write(
        module_workspace,
        "templates/people.tmpl",
        """
        ---
        to: people.txt
        prefixes:
          ex: http://example.org/
          rdfs: http://www.w3.org/2000/01/rdf-schema#
        rdf: onto/people.ttl
        rdf_inline: "ex:carol a ex:Person ; rdfs:label \\"Carol\\" ."
        sparql:
          people: >-
            SELECT ?p ?label ?age WHERE { ?p a ex:Person ; rdfs:label ?label OPTIONAL { ?p ex:age ?age } }
            ORDER BY ?label
          has_bob: "ASK { ex:bob a ex:Person }"
        ---
        {% for row in sparql_results.people %}{{ row.label }}={{ row.age or '-' }} {{ local(row.p) }};{% endfor %}
        count={{ sparql_count(sparql_results.people) }} first={{ sparql_first(sparql_results.people, '?label') }}
        {% set people = sparql_results.people -%}
        column={{ sparql_column(people, 'label') | join(',') }} {# -#}
        values={{ sparql_values(people, 'p') | map('local') | join(',') }}
        row1={{ sparql_row(people, 1).label }} empty={{ sparql_empty(people) }} {# -#}
        ask={{ sparql_results.has_bob }} askcount={{ sparql_count(sparql_results.has_bob) }}
        {% set q = "SELECT ?l WHERE { ex:alice rdfs:label ?l }" -%}
        byname={{ sparql(query="people") | length }} var={{ sparql(query=q, var="l") }}
        missing={{ sparql_first([], 'x') }}|{{ sparql_row(sparql_results.people, 9) }}
        """,
    )
    async with ggen_client(template_host, mode="legacy") as client:
        out = await render(client, "people")
    assert out["files"][0]["content"] == (
        "Alice=42 alice;Bob=- bob;Carol=- carol;\n"
        "count=3 first=Alice\n"
        "column=Alice,Bob,Carol values=alice,bob,carol\n"
        "row1=Bob empty=False ask=True askcount=1\n"
        "byname=3 var=Alice\n"
        "missing=|None\n"
    )


async def test_sparql_string_and_list_forms_and_row_attributes(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/forms.tmpl",
        """
        ---
        base: http://example.org/
        rdf_inline: "<a> <values> \\"v\\" ; <items> \\"i\\" ."
        sparql:
          - "SELECT ?values ?items WHERE { <a> <values> ?values ; <items> ?items }"
          - "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        ---
        {{ sparql_results.query_0[0].values }}{{ sparql_results.query_0[0]['?items'] }}{{ sparql_results.query_1[0].n }}
        """,
    )
    write(
        module_workspace,
        "templates/single.tmpl",
        """
        ---
        sparql: "SELECT (1 AS ?one) WHERE {}"
        ---
        {{ sparql_results.default[0].one }}
        """,
    )
    async with ggen_client(template_host, mode="legacy") as client:
        assert (await render(client, "forms"))["files"][0]["content"] == "vi2\n"
        assert (await render(client, "single"))["files"][0]["content"] == "1\n"


async def test_rdf_and_sparql_errors_name_the_template(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/badq.tmpl", '---\nsparql:\n  q: "SELECT ?x WHERE { ?x ?y }"\n---\nx\n')
    write(module_workspace, "templates/badttl.tmpl", '---\nrdf_inline: "<a> <b> ."\n---\nx\n')
    write(module_workspace, "templates/nofile.tmpl", "---\nrdf: missing.ttl\n---\nx\n")
    write(module_workspace, "templates/update.tmpl", '---\nsparql: "DELETE WHERE { ?s ?p ?o }"\n---\nx\n')
    write(module_workspace, "templates/escape_rdf.tmpl", "---\nrdf: ../../../../etc/passwd\n---\nx\n")
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "badq"})
        assert "templates/badq.tmpl" in message and "sparql query 'q'" in message and "syntax" in message.lower()
        message = await call_error(client, "template_render", {"template": "badttl"})
        assert "rdf_inline[0]" in message and "syntax" in message.lower()
        assert "does not exist" in await call_error(client, "template_render", {"template": "nofile"})
        message = await call_error(client, "template_render", {"template": "update"})
        assert "templates/update.tmpl" in message
        assert "outside the workspace" in await call_error(client, "template_render", {"template": "escape_rdf"})


async def test_missing_variable_names_variable_template_and_line(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/miss.tmpl",
        """
        ---
        to: out.txt
        ---
        first line
        second {{ present }}
        third {{ absent }}
        """,
    )
    write(module_workspace, "templates/missfm.tmpl", '---\nto: "{{ nowhere }}.txt"\n---\nx\n')
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "miss", "vars": {"present": 1}})
        assert message == "templates/miss.tmpl line 6: 'absent' is undefined" + HINT
        message = await call_error(client, "template_render", {"template": "missfm"})
        assert message == "templates/missfm.tmpl line 2: 'nowhere' is undefined" + HINT


async def test_variables_precedence_required_and_name(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/vars.tmpl",
        """
        ---
        to: "{{ module }}/{{ name | snake }}.py"
        vars:
          module: pkg
          greeting: Hello
        variables:
          - name: name
            description: The class name
            required: true
          - name: flavour
            default: plain
        ---
        {{ greeting }} {{ Name }} {{ flavour }}
        """,
    )
    async with ggen_client(template_host, mode="legacy") as client:
        out = await render(client, "vars", vars={"name": "order_line", "greeting": "Hi"})
        assert out["files"][0]["path"] == "pkg/order_line.py"
        assert out["files"][0]["content"] == "Hi OrderLine plain\n"
        assert out["variables_used"]["module"] == "pkg" and out["variables_used"]["greeting"] == "Hi"
        message = await call_error(client, "template_render", {"template": "vars"})
        assert "missing required variable 'name' (The class name)" in message


async def test_front_matter_key_errors(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/typo.tmpl", "---\nto: a.txt\ntoo: b.txt\n---\nx\n")
    write(module_workspace, "templates/badtype.tmpl", "---\nat_line: first\n---\nx\n")
    write(module_workspace, "templates/unclosed.tmpl", "---\nto: a.txt\nx\n")
    write(module_workspace, "templates/badyaml.tmpl", "---\nto: [a\n---\nx\n")
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "typo"})
        assert message == "templates/typo.tmpl line 3: unknown front-matter key 'too' (did you mean 'to'?)"
        assert "'at_line'" in await call_error(client, "template_render", {"template": "badtype"})
        assert "never closed" in await call_error(client, "template_render", {"template": "unclosed"})
        assert "not valid YAML" in await call_error(client, "template_render", {"template": "badyaml"})


async def test_determinism_seed(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/rand.tmpl",
        """
        ---
        determinism: 42
        ---
        {{ random() }} {{ randint(1, 1000000) }} {{ uuid() }} {{ [1, 2, 3, 4, 5, 6, 7, 8] | random }}
        {{ shuffle(range(10)) | join }}
        """,
    )
    write(module_workspace, "templates/unseeded.tmpl", "{{ random() }}")
    async with ggen_client(template_host, mode="legacy") as client:
        first = (await render(client, "rand"))["files"][0]["content"]
        assert (await render(client, "rand"))["files"][0]["content"] == first
        other = (await render(client, "rand", seed=7))["files"][0]["content"]
        assert other != first
        assert (await render(client, "rand", seed="7"))["files"][0]["content"] == other
        unseeded = {(await render(client, "unseeded"))["files"][0]["content"] for _ in range(3)}
        assert len(unseeded) == 3


async def test_from_includes_partials_and_conditional_output(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/set/_macros.tmpl", "{% macro field(n) %}field {{ n }}{% endmacro %}")
    write(module_workspace, "templates/set/_header.tmpl", "# header for {{ name }}\n")
    write(module_workspace, "templates/set/body.txt", "from file {{ name }}\n")
    write(
        module_workspace,
        "templates/set/a.py.tmpl",
        """
        {% include "_header.tmpl" %}{% from "_macros.tmpl" import field %}{{ field(name) }}
        """,
    )
    write(module_workspace, "templates/set/b.tmpl", "---\nto: b.txt\nfrom: body.txt\n---\nignored\n")
    write(module_workspace, "templates/set/c.tmpl", '---\nto: "{% if emit %}c.txt{% endif %}"\n---\nc\n')
    write(module_workspace, "templates/set/d.tmpl", '{% include "../../etc/passwd" %}')
    async with ggen_client(template_host, mode="legacy") as client:
        arguments = {"template": "templates/set", "vars": {"name": "n", "emit": False}}
        message = await call_error(client, "template_render", arguments)
        assert "templates/set/d.tmpl" in message and "passwd" in message
        (module_workspace / "templates/set/d.tmpl").unlink()
        out = await render(client, "templates/set", vars={"name": "n", "emit": False})
    files = {f["path"]: f["content"] for f in out["files"]}
    assert files == {"a.py": "# header for n\nfield n\n", "b.txt": "from file n\n"}
    assert out["warnings"] == ["templates/set/c.tmpl skipped: `to` rendered empty"]


async def test_undefined_in_an_include_names_the_included_file(template_host, ggen_client, module_workspace) -> None:
    write(module_workspace, "templates/inc/_part.tmpl", "ok\n{{ nope }}\n")
    write(module_workspace, "templates/inc/main.tmpl", "top\n{% include '_part.tmpl' %}\n")
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "templates/inc/main.tmpl"})
    assert message == "templates/inc/_part.tmpl line 2: 'nope' is undefined" + HINT


async def test_template_not_found_and_bad_references(template_host, ggen_client, module_workspace) -> None:
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "nothere"})
        assert "template 'nothere' not found" in message and "templates/nothere.tmpl" in message
        message = await call_error(client, "template_render", {"template": "some.pack:x.tmpl"})
        assert "pack-id:path" in message
        assert "outside the workspace" in await call_error(client, "template_render", {"template": "../../etc"})
        assert "NUL" in await call_error(client, "template_render", {"template": "a\x00b"})
        (module_workspace / "templates" / "linked.tmpl").symlink_to("/etc/hostname")
        assert "outside the workspace" in await call_error(client, "template_render", {"template": "linked"})
        message = await call_error(client, "template_render", {"template": "x", "vars": {"bad-name": 1}})
        assert "identifier" in message


async def test_fail_stops_the_render_with_a_message(template_host, ggen_client, module_workspace) -> None:
    write(
        module_workspace,
        "templates/stop.tmpl",
        "ok\n{% if dialect not in ['a', 'b'] %}{{ fail('dialect must be a or b') }}{% endif %}",
    )
    async with ggen_client(template_host, mode="legacy") as client:
        message = await call_error(client, "template_render", {"template": "stop", "vars": {"dialect": "c"}})
        assert message == "templates/stop.tmpl line 2: the template stopped: dialect must be a or b"
        assert (await render(client, "stop", vars={"dialect": "a"}))["files"][0]["content"] == "ok\n"
