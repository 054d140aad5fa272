"""Every ai_* tool through an MCP session in both protocol eras, the model scripted through the SDK client's
sampling callback: a first answer the real validator refuses, a second it accepts; the loop converges and
reports both rounds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ai_script import BROKEN_TTL, ERAS, EX, QUERY, TEMPLATE, UNLABELLED_TTL, VALID_TTL, ScriptedModel, fenced

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
GRAPH = "urn:test:shop"


async def call(
    host: PluginHost, ggen_client: Any, mode: str, model: ScriptedModel, name: str, args: dict[str, Any]
) -> Any:
    async with ggen_client(host, mode=mode, sampling_callback=model) as client:
        result = await client.call_tool(name, args)
    assert not result.is_error, tool_text(result)
    return result.structured_content


def two_rounds(loop: dict[str, Any]) -> None:
    assert loop["valid"] and loop["stopped"] == "valid"
    assert [r["round"] for r in loop["rounds"]] == [1, 2]
    assert loop["rounds"][0]["problems"] and not loop["rounds"][1]["problems"]
    assert loop["final_problems"] == [] and loop["model"] == "scripted"


async def load(host: PluginHost, ggen_client: Any, text: str = VALID_TTL) -> None:
    async with ggen_client(host, mode="legacy") as client:
        result = await client.call_tool("graph_load", {"content": text, "format": "turtle", "graph": GRAPH})
    assert not result.is_error, tool_text(result)


@pytest.mark.parametrize("mode", ERAS)
async def test_ontology_converges_and_is_loaded_and_written(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    model = ScriptedModel([fenced(BROKEN_TTL, "turtle"), fenced(VALID_TTL, "turtle")])
    host = ai_host()
    out = await call(
        host,
        ggen_client,
        mode,
        model,
        "ai_generate_ontology",
        {
            "description": "a shop",
            "requirements": ["orders"],
            "output_file": "shop.ttl",
            "graph": GRAPH,
        },
    )
    two_rounds(out["loop"])
    assert out["loop"]["validators"] == [
        "graph_load (Turtle parser)",
        "graph_query (declares classes)",
        "graph_validate (SHACL sanity rules)",
    ]
    assert (ggen_workspace / "shop.ttl").read_text() == out["ontology"]
    assert out["graph"] == GRAPH and out["triples"] > 0
    assert "orders" in model.prompts[0]
    assert "previous answer" in model.prompts[1]  # the problems went back to the model
    async with ggen_client(host, mode="legacy") as client:
        listed = await client.call_tool("graph_query", {"sparql": QUERY, "graph": GRAPH})
    assert len(listed.structured_content["rows"]) == 2


@pytest.mark.parametrize("mode", ERAS)
async def test_sanity_rules_are_fed_back(ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str) -> None:
    model = ScriptedModel([fenced(UNLABELLED_TTL), fenced(VALID_TTL)])
    out = await call(ai_host(), ggen_client, mode, model, "ai_generate_ontology", {"description": "a shop"})
    two_rounds(out["loop"])
    problems = " ".join(out["loop"]["rounds"][0]["problems"])
    assert f"{EX}Order is a class without an rdfs:label" in problems
    assert f"{EX}price is a property without an rdfs:range" in problems
    assert "rdfs:label" in model.prompts[1]


@pytest.mark.parametrize("mode", ERAS)
async def test_extend_graph_returns_the_added_triples(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    (ggen_workspace / "shop.ttl").write_text(VALID_TTL)
    addition = (
        f"@prefix ex: <{EX}> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:Customer a owl:Class ; rdfs:label "Customer" .\n'
        'ex:placedBy a owl:ObjectProperty ; rdfs:label "placed by" ; rdfs:domain ex:Order ; rdfs:range ex:Customer .'
    )
    model = ScriptedModel([fenced(VALID_TTL), fenced(addition)])  # first: nothing new
    out = await call(
        ai_host(),
        ggen_client,
        mode,
        model,
        "ai_extend_graph",
        {
            "graph_file": "shop.ttl",
            "description": "customers place orders",
            "output_file": "shop2.ttl",
        },
    )
    two_rounds(out["loop"])
    assert "adds no triple" in out["loop"]["rounds"][0]["problems"][0]
    assert out["new_triples"] == 6 and out["total_triples"] == out["original_triples"] + 6
    assert "ex:Customer" in out["added"]
    assert (ggen_workspace / "shop.ttl").read_text() == VALID_TTL  # never rewritten
    written = (ggen_workspace / "shop2.ttl").read_text()
    assert written.startswith(VALID_TTL.rstrip()) and "ex:placedBy" in written


@pytest.mark.parametrize("mode", ERAS)
async def test_sparql_errors_and_empty_results_are_fed_back(
    ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str
) -> None:
    host = ai_host()
    await load(host, ggen_client)
    empty = f"PREFIX ex: <{EX}>\nSELECT ?x WHERE {{ ?x a ex:Nothing }}"
    model = ScriptedModel([fenced("SELEKT ?x WHERE {"), fenced(empty), fenced(QUERY, "sparql")])
    async with ggen_client(host, mode=mode, sampling_callback=model) as client:
        result = await client.call_tool("ai_generate_sparql", {"description": "which classes?", "graph": GRAPH})
    out = result.structured_content
    assert out["loop"]["valid"] and [r["round"] for r in out["loop"]["rounds"]] == [1, 2, 3]
    assert "returned no results" in out["loop"]["rounds"][1]["problems"][0]
    assert f"{EX}price" in out["loop"]["rounds"][1]["problems"][0]  # the schema summary
    assert out["variables"] == ["c"] and out["rows"] == [[f"{EX}Order"], [f"{EX}Product"]]


@pytest.mark.parametrize("mode", ERAS)
async def test_sparql_against_a_graph_file(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    (ggen_workspace / "shop.ttl").write_text(VALID_TTL)
    model = ScriptedModel([fenced("SELECT ?x WHERE { ?x ?y }"), fenced(QUERY)])
    out = await call(
        ai_host(),
        ggen_client,
        mode,
        model,
        "ai_generate_sparql",
        {
            "description": "which classes?",
            "graph_file": "shop.ttl",
            "output_file": "q.rq",
        },
    )
    two_rounds(out["loop"])
    assert out["graph_triples"] > 0 and len(out["rows"]) == 2
    assert (ggen_workspace / "q.rq").read_text() == out["query"]


@pytest.mark.parametrize("mode", ERAS)
async def test_template_is_validated_saved_and_rendered(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    host = ai_host()
    await load(host, ggen_client)
    broken = TEMPLATE.replace("{% endfor %}", "")
    model = ScriptedModel([fenced(broken), fenced(TEMPLATE)])
    out = await call(
        host,
        ggen_client,
        mode,
        model,
        "ai_generate_template",
        {
            "description": "list the classes",
            "graph": GRAPH,
            "output_file": "templates/classes.tmpl",
        },
    )
    two_rounds(out["loop"])
    assert out["loop"]["validators"] == ["template_validate", "template_render (sandbox, against the graph)"]
    assert out["output_file"] == "templates/classes.tmpl" and out["valid"]
    assert (ggen_workspace / "templates/classes.tmpl").read_text().startswith("---")
    assert out["rendered_files"] == ["out/classes.txt"]
    assert not (ggen_workspace / "out").exists()  # rendered to check, not written


@pytest.mark.parametrize("mode", ERAS)
async def test_validate_and_improve_reports_each_round(
    ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str
) -> None:
    model = ScriptedModel([fenced("def f(:\n    pass"), fenced("def f() -> int:\n    return 1")])
    out = await call(
        ai_host(),
        ggen_client,
        mode,
        model,
        "ai_validate_and_improve",
        {
            "content": "def f(\n",
            "content_type": "python",
            "max_iterations": 3,
        },
    )
    loop = out["loop"]
    assert [r["source"] for r in loop["rounds"]] == ["given", "model", "model"]
    assert all(r["problems"] for r in loop["rounds"][:2]) and not loop["rounds"][2]["problems"]
    assert out["validated"] and out["iterations"] == 2 and out["improvements_made"]
    assert out["content"] == "def f() -> int:\n    return 1\n"


@pytest.mark.parametrize("mode", ERAS)
async def test_valid_content_needs_no_model(ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str) -> None:
    async with ggen_client(ai_host(), mode=mode) as client:  # no sampling at all
        result = await client.call_tool("ai_validate_and_improve", {"content": '{"a": 1}', "content_type": "json"})
    out = result.structured_content
    assert out["validated"] and out["iterations"] == 0 and out["loop"]["validators"] == ["json"]


@pytest.mark.parametrize("mode", ERAS)
async def test_project_is_planned_never_applied(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    import json

    good = json.dumps({"templates": [{"name": "classes", "content": TEMPLATE}]})
    model = ScriptedModel([fenced(VALID_TTL), fenced('{"templates": []}', "json"), fenced(good, "json")])
    host = ai_host()
    out = await call(
        host,
        ggen_client,
        mode,
        model,
        "ai_generate_project",
        {
            "description": "a shop",
            "name": "shop",
            "language": "python",
            "output_dir": "gen",
        },
    )
    assert out["valid"] and out["ontology_loop"]["rounds"][0]["problems"] == []
    two_rounds(out["templates_loop"])
    assert out["templates"] == ["templates/shop/classes.tmpl"]
    assert out["files"] == ["gen/out/classes.txt"] and out["plan_id"]
    assert not (ggen_workspace / "gen").exists()
    async with ggen_client(host, mode="legacy") as client:
        applied = await client.call_tool("project_apply", {"plan": out["plan_id"]})
    assert not applied.is_error, tool_text(applied)
    assert (ggen_workspace / "gen/out/classes.txt").read_text().split() == [f"{EX}Order", f"{EX}Product"]


@pytest.mark.parametrize("mode", ERAS)
async def test_list_providers(ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str) -> None:
    async with ggen_client(ai_host(), mode=mode, sampling_callback=ScriptedModel([])) as client:
        sampling = (await client.call_tool("ai_list_providers", {})).structured_content
    async with ggen_client(ai_host(), mode=mode) as client:
        plain = (await client.call_tool("ai_list_providers", {})).structured_content
    assert sampling["providers"][0] == {
        "name": "client",
        "type": "client",
        "status": "available",
        "detail": f"MCP sampling, protocol {'2025-11-25' if mode == 'legacy' else '2026-07-28'}",
    }
    assert plain["providers"][0]["status"] == "unavailable"
    assert plain["providers"][1]["detail"] == "no server-side model: ai.model is not set"
    assert plain["available"] == 0 and sampling["available"] == 1


async def test_anonymous_classes_need_no_label(ai_host: Callable[..., PluginHost], ggen_client: Any) -> None:
    """The SHACL sanity rules ask labels of named classes only (an owl:unionOf class is a blank node)."""
    union = VALID_TTL + 'ex:total a owl:DatatypeProperty ; rdfs:label "total" ; rdfs:range xsd:decimal ;\n'
    union += "  rdfs:domain [ a owl:Class ; owl:unionOf ( ex:Order ex:Product ) ] .\n"
    async with ggen_client(ai_host(), mode="legacy") as client:
        result = await client.call_tool("ai_validate_and_improve", {"content": union, "content_type": "turtle"})
    out = result.structured_content
    assert out["validated"] and out["iterations"] == 0, out["loop"]


@pytest.mark.parametrize("mode", ERAS)
async def test_sql_is_run_by_sqlite(ai_host: Callable[..., PluginHost], ggen_client: Any, mode: str) -> None:
    """PostgreSQL's `::` cast is refused by the SQLite engine (named as a dialect limit), a query on a table the
    content never creates fails at execution, the third answer runs: the loop reports all three rounds."""
    schema = "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL);\nINSERT INTO orders VALUES (1, 9.5);\n"
    fixed = schema + "SELECT id, CAST(total AS INTEGER) FROM orders;"
    model = ScriptedModel([fenced("SELECT id FROM orders;", "sql"), fenced(fixed, "sql")])
    out = await call(
        ai_host(),
        ggen_client,
        mode,
        model,
        "ai_validate_and_improve",
        {"content": schema + "SELECT id, total::int FROM orders;", "content_type": "sql"},
    )
    loop = out["loop"]
    assert [r["source"] for r in loop["rounds"]] == ["given", "model", "model"]
    given, missing, valid = (r["problems"] for r in loop["rounds"])
    assert given[0].startswith('statement 3 (line 3): unrecognized token: ":"') and "PostgreSQL" in given[0]
    assert missing[0].startswith("statement 1 (line 1): no such table: orders") and "CREATE TABLE" in missing[0]
    assert valid == [] and out["validated"] and out["content"] == fixed + "\n"
    assert loop["validators"][0].startswith("sqlite3 ")


@pytest.mark.parametrize("mode", ERAS)
async def test_sql_reaches_no_file_and_is_bounded(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    """ATTACH and VACUUM INTO would create files: refused; a runaway statement stops at the time limit; the
    content's own BEGIN/COMMIT run as written; `code` (the predecessor's default name) is checked as Python."""
    target = ggen_workspace / "leak.db"
    cases = {
        f"ATTACH DATABASE '{target}' AS leak;": "not authorized",
        f"CREATE TABLE t(a); VACUUM INTO '{target}';": "not authorized",
        "CREATE TABLE t(a);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)\n"
        "INSERT INTO t SELECT x FROM c;": "statement 2 (line 2): ",
        "SELECT 'unterminated;": "line 1 is incomplete",
        "-- a comment is no answer\n;": "no SQL statement found",
    }
    for content, expected in cases.items():
        model = ScriptedModel([fenced(content, "sql")])
        out = await call(
            ai_host(),
            ggen_client,
            mode,
            model,
            "ai_validate_and_improve",
            {"content": content, "content_type": "sql", "max_iterations": 1},
        )
        assert not out["validated"] and out["loop"]["stopped"] == "max_iterations"
        assert [expected in r["problems"][0] for r in out["loop"]["rounds"]] == [True, True], out["loop"]
    async with ggen_client(ai_host(), mode=mode) as client:  # valid content: no model needed
        ok = await client.call_tool(
            "ai_validate_and_improve",
            {"content": "BEGIN;\nCREATE TABLE t(a);\nINSERT INTO t VALUES (1);\nCOMMIT;", "content_type": "sql"},
        )
        code = await client.call_tool("ai_validate_and_improve", {"content": "x = 1", "content_type": "code"})
    assert ok.structured_content["validated"] and ok.structured_content["iterations"] == 0, tool_text(ok)
    assert code.structured_content["loop"]["validators"] == ["python ast.parse"]
    assert not target.exists()


@pytest.mark.parametrize("mode", ERAS)
async def test_template_render_failure_is_fed_back_and_saved_only_after(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    """An answer template_validate accepts but that fails to render against the graph (it reads a column its
    query does not select) goes back to the model as a problem; the next one renders and only it is saved."""
    host = ai_host()
    await load(host, ggen_client)
    unrenderable = TEMPLATE.replace("{{ row.c }}", "{{ row.label.upper() }}")
    model = ScriptedModel([fenced(unrenderable), fenced(TEMPLATE)])
    out = await call(
        host,
        ggen_client,
        mode,
        model,
        "ai_generate_template",
        {"description": "list the classes", "graph": GRAPH, "output_file": "classes"},
    )
    two_rounds(out["loop"])
    problem = out["loop"]["rounds"][0]["problems"][0]
    assert "template_render failed" in problem and "<the draft template>" in problem, problem
    assert "template_render failed" in model.prompts[1]
    assert (ggen_workspace / "templates/classes.tmpl").read_text() == out["template"]
    assert out["rendered_files"] == ["out/classes.txt"] and out["valid"]
    assert not list((ggen_workspace / ".ggen/ai-drafts").iterdir())  # drafts removed


@pytest.mark.parametrize("mode", ERAS)
async def test_template_never_valid_saves_nothing(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    host = ai_host(max_iterations=2)
    await load(host, ggen_client)
    unrenderable = TEMPLATE.replace("{{ row.c }}", "{{ row.label.upper() }}")
    model = ScriptedModel([fenced(unrenderable), fenced(TEMPLATE.replace("{% endfor %}", ""))])
    out = await call(
        host,
        ggen_client,
        mode,
        model,
        "ai_generate_template",
        {"description": "list the classes", "graph": GRAPH, "output_file": "classes"},
    )
    assert not out["valid"] and out["loop"]["stopped"] == "max_iterations" and out["output_file"] is None
    assert out["validation_errors"] == out["loop"]["final_problems"] != []
    assert out["rendered_files"] == []
    assert not (ggen_workspace / "templates").exists()


async def test_each_model_round_is_reported_as_progress(ai_host: Callable[..., PluginHost], ggen_client: Any) -> None:
    """A loop can run for minutes: each model round is a progress notification out of max_iterations."""
    model = ScriptedModel([fenced("def f(:\n    pass"), fenced("def f() -> int:\n    return 1")])
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    arguments = {"content": "def f(\n", "content_type": "python", "max_iterations": 3}
    async with ggen_client(ai_host(), mode="legacy", sampling_callback=model) as client:
        result = await client.call_tool("ai_validate_and_improve", arguments, progress_callback=on_progress)
    assert not result.is_error, tool_text(result)
    assert [(p, t) for p, t, _ in seen] == [(1, 3), (2, 3)]
    assert seen[0][2] == "round 1: 1 problem(s)" and seen[1][2] == "round 2: valid"


def test_a_statement_past_either_bound_gets_one_problem_text() -> None:
    """Time and size give the same text: a re-run of the check in a later 2026-07-28 round asks nothing new."""
    from ggen_ai.sql_check import BOUNDS, check_sql

    too_big = "CREATE TABLE t(a);\nINSERT INTO t VALUES (zeroblob(900000));\n" + "INSERT INTO t SELECT a FROM t;\n" * 6
    too_long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;"
    size = check_sql(too_big).problems
    time = check_sql(too_long).problems
    assert size and size[0].endswith(BOUNDS), size
    assert time == [f"statement 1 (line 1): {BOUNDS}"], time
