"""The real validators, reached only through the host's call pipeline (``ctx.call_tool``): the graph pack's
Turtle parser and store, its read-only SPARQL guard and deadline, the template pack's checker. Python and
JSON are checked with their own parsers (``ast``, ``json``), nothing is executed.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from typing import Any

from ggen_ai.loop import Check
from ggen_mcp_core import ToolContext, ToolError

DRAFT_GRAPH = "urn:ggen-ai:draft:"
SANITY_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix g: <urn:ggen-ai:shapes#> .

g:ClassLabel a sh:NodeShape ;
  sh:targetClass owl:Class, rdfs:Class ;
  sh:or ( [ sh:nodeKind sh:BlankNode ] [ sh:path rdfs:label ; sh:minCount 1 ] ) ;
  sh:message "is a class without an rdfs:label" .
g:PropertyDomain a sh:NodeShape ;
  sh:targetClass owl:ObjectProperty, owl:DatatypeProperty, rdf:Property ;
  sh:property [ sh:path rdfs:domain ; sh:minCount 1 ; sh:message "is a property without an rdfs:domain" ] ;
  sh:property [ sh:path rdfs:range ; sh:minCount 1 ; sh:message "is a property without an rdfs:range" ] .
"""
"""The ontology sanity rules, as SHACL for the graph pack's validator: every (named) class has a label, every
property a domain and a range."""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { { ?c a owl:Class } UNION { ?c a rdfs:Class } }"


def draft_graph() -> str:
    """A fresh scratch named graph for one candidate (cleared after the check)."""
    return f"{DRAFT_GRAPH}{uuid.uuid4().hex}"


CALL_ID = re.compile(r"\b[0-9a-f]{32}\b")


def _failure(exc: ToolError, graph: str | None = None, draft: str = "<the draft graph>") -> str:
    """A validator's refusal as a problem for the model. On 2026-07-28 the handler runs again each round and
    the feedback must read the same every time (a question is matched to its recorded answer by digest), so
    the random draft graph and call ids are named, not quoted."""
    text = str(exc)
    if graph is not None:
        text = text.replace(graph, draft)
    return CALL_ID.sub("<call id>", text)[:2000]


async def check_turtle(ctx: ToolContext[Any], text: str, base: str | None = None) -> Check:
    """Parse ``text`` (after ``base``, the Turtle it extends) in the graph store, then the ontology sanity
    rules: classes exist, each has a label, each property a domain and a range."""
    graph = draft_graph()
    validators = ["graph_load (Turtle parser)"]
    try:
        before = 0
        if base is not None:
            loaded = await ctx.call_tool("graph_load", {"content": base, "format": "turtle", "graph": graph})
            before = int(_field(loaded, "graph_size"))
        try:
            loaded = await ctx.call_tool("graph_load", {"content": text, "format": "turtle", "graph": graph})
        except ToolError as exc:
            return Check(problems=[_failure(exc, graph)], validators=validators)
        added = int(_field(loaded, "triples_added"))
        problems, validators = await _sanity(ctx, graph, validators)
        if base is not None and added == 0:
            problems.append("the answer adds no triple the graph does not already have")
        return Check(problems=problems, validators=validators, data={"triples_added": added, "before": before})
    finally:
        await _clear(ctx, graph)


async def _sanity(ctx: ToolContext[Any], graph: str, validators: list[str]) -> tuple[list[str], list[str]]:
    validators = [*validators, "graph_query (declares classes)", "graph_validate (SHACL sanity rules)"]
    problems: list[str] = []
    counted = await ctx.call_tool("graph_query", {"sparql": CLASSES, "graph": graph})
    rows = _field(counted, "rows")  # one column: ?n
    if not rows or str(rows[0][0]) in ("0", "None"):
        problems.append("the ontology declares no class (owl:Class or rdfs:Class)")
    report = await ctx.call_tool("graph_validate", {"shapes_content": SANITY_SHAPES, "graph": graph})
    problems += [f"{v['focus_node']} {v['message']}" for v in _field(report, "violations")]
    return problems, validators


async def _clear(ctx: ToolContext[Any], graph: str) -> None:
    try:
        await ctx.call_tool("graph_clear", {"graph": graph})
    except ToolError as exc:
        ctx.log.warning("draft graph not cleared", graph=graph, error=str(exc)[:200])


def _field(result: dict[str, Any] | str, name: str) -> Any:
    if not isinstance(result, dict):
        raise ToolError(f"expected a structured result with {name!r}, got text")
    return result.get(name)


DECLARED = (
    "SELECT DISTINCT ?x ?k WHERE { { ?x a owl:Class BIND('c' AS ?k) } UNION { ?x a rdfs:Class BIND('c' AS ?k) } "
    "UNION { ?x a owl:ObjectProperty BIND('p' AS ?k) } UNION { ?x a owl:DatatypeProperty BIND('p' AS ?k) } "
    "UNION { ?x a rdf:Property BIND('p' AS ?k) } FILTER(isIRI(?x)) } ORDER BY ?x LIMIT 200"
)


async def schema_summary(ctx: ToolContext[Any], graph: str | None) -> str:
    """The declared and used classes and predicates of ``graph``, for the model writing a query against it."""
    scoped: dict[str, Any] = {"graph": graph} if graph else {}
    stats = await ctx.call_tool("graph_stats", scoped)
    declared = await ctx.call_tool("graph_query", {"sparql": DECLARED, **scoped})
    rows = _field(declared, "rows") or []  # [?x, ?k] each
    classes = [x for x, k in rows if k == "c"] + [str(c["iri"]) for c in _field(stats, "classes")]
    predicates = [x for x, k in rows if k == "p"] + [str(p["iri"]) for p in _field(stats, "predicates")]
    unique_classes = ", ".join(list(dict.fromkeys(classes))[:40])
    unique_predicates = ", ".join(list(dict.fromkeys(predicates))[:60])
    return f"classes: {unique_classes or '(none)'}; predicates: {unique_predicates or '(none)'}"


async def check_sparql(ctx: ToolContext[Any], query: str, graph: str | None) -> Check:
    """Run the query read-only under the graph pack's guard and deadline; no rows is a problem too."""
    validators = ["graph_query (parser, read-only guard, deadline)"]
    arguments: dict[str, Any] = {"sparql": query, "limit": 100}
    if graph:
        arguments["graph"] = graph
    try:
        result = await ctx.call_tool("graph_query", arguments)
    except ToolError as exc:
        draft = graph if graph is not None and graph.startswith(DRAFT_GRAPH) else None
        return Check(problems=[_failure(exc, draft)], validators=validators)
    form = _field(result, "form")
    rows = _field(result, "rows") or []
    empty = form != "ASK" and not _field(result, "count")
    if empty:
        summary = await schema_summary(ctx, graph)
        return Check(
            problems=[f"the query ran but returned no results; the graph has {summary}"],
            validators=[*validators, "graph_stats (schema summary)"],
        )
    variables = _field(result, "variables") or []
    return Check(problems=[], validators=validators, data={"variables": variables, "rows": rows[:20], "form": form})


async def check_template(ctx: ToolContext[Any], content: str) -> Check:
    """The template pack's checker: front matter, Jinja2 syntax, sandbox rules."""
    validators = ["template_validate"]
    try:
        result = await ctx.call_tool("template_validate", {"content": content})
    except ToolError as exc:
        return Check(problems=[_failure(exc)], validators=validators)
    problems = [_problem(p) for p in _field(result, "errors") or []]
    return Check(problems=problems, validators=validators, data={"variables": _field(result, "variables_detected")})


DRAFTS = "ai-drafts"
"""Server-state folder (``.ggen/ai-drafts/``) where a candidate template is rendered before it is saved."""


async def check_template_renders(ctx: ToolContext[Any], content: str, graph: str | None) -> Check:
    """``template_validate``, then ``template_render`` against ``graph`` (nothing written): the candidate is put
    in a scratch state file for the render, removed afterwards; a render refusal is a problem."""
    check = await check_template(ctx, content)
    if check.problems:
        return check
    validators = [*check.validators, "template_render (sandbox, against the graph)"]
    draft = f"{DRAFTS}/{uuid.uuid4().hex}.tmpl"
    path = await ctx.run_sync(ctx.workspace.write_state, draft, content)
    reference = ctx.workspace.relative(path)
    try:
        arguments: dict[str, Any] = {"template": reference, **({"graph": graph} if graph else {})}
        result = await ctx.call_tool("template_render", arguments)
    except ToolError as exc:
        return Check(problems=[_failure(exc, reference, "<the draft template>")], validators=validators)
    finally:
        await ctx.run_sync(path.unlink, True)
    files = [str(f["path"]) for f in _field(result, "files") or []]
    if not files:
        return Check(
            problems=["the template renders no file (check `to:` and the sparql rows it reads)"], validators=validators
        )
    return Check(problems=[], validators=validators, data={**check.data, "rendered": files})


def _problem(problem: dict[str, Any]) -> str:
    where = f"line {problem['line']}: " if problem.get("line") else ""
    return f"{where}{problem.get('message')}"


def check_python(text: str) -> Check:
    """Python syntax (``ast.parse``; nothing runs)."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return Check(problems=[f"line {exc.lineno}: {exc.msg}"], validators=["python ast.parse"])
    return Check(problems=[], validators=["python ast.parse"])


def check_json(text: str) -> Check:
    """JSON syntax."""
    try:
        json.loads(text)
    except ValueError as exc:
        return Check(problems=[str(exc)], validators=["json"])
    return Check(problems=[], validators=["json"])
