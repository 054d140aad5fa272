"""Benchmark of the template pack: project_gen of the bookstore set on a generated N-class ontology.

    .venv/bin/python bench/template.py                  # 1,000 classes, 7 runs
    .venv/bin/python bench/template.py --classes 200 --repeat 3

It measures, on the same machine and in the same run:

- ``project_gen``: the bookstore template set (Python, SQL, TypeScript) generating into a new folder of the
  workspace through an in-memory MCP client (so every run writes every file), median wall time;
- plain Jinja2: the same template bodies rendered by a plain ``jinja2.Environment`` with the ggen filters,
  and the SPARQL results computed once beforehand (no RDF parsing, no queries, no sandbox, no MCP, no
  planning, no writes): the work any template engine must do;

and prints a Markdown table with the ratio. The ontology is generated into a temporary directory and removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bookstore"
XSD_TYPES = ("string", "integer", "decimal", "boolean", "date")


def ontology(classes: int) -> str:
    """A bookstore-shaped ontology: ``classes`` classes with 5 datatype properties and 1 object property each."""
    lines = [
        "@prefix bs: <http://example.org/bookstore#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
    ]
    for index in range(classes):
        cls = f"bs:Entity{index}"
        lines.append(f'{cls} a owl:Class ; rdfs:label "Entity {index}" ; rdfs:comment "Generated class {index}." ;')
        lines.append(
            f"  rdfs:subClassOf [ a owl:Restriction ; owl:onProperty bs:e{index}Field0 ; owl:minCardinality 1 ] ."
        )
        for field in range(5):
            xsd = XSD_TYPES[field % len(XSD_TYPES)]
            lines.append(
                f"bs:e{index}Field{field} a owl:DatatypeProperty ; rdfs:domain {cls} ; "
                f'rdfs:range xsd:{xsd} ; rdfs:comment "Field {field} of entity {index}." .'
            )
        target = f"bs:Entity{max(index - 1, 0)}"
        lines.append(f"bs:e{index}Link a owl:ObjectProperty ; rdfs:domain {cls} ; rdfs:range {target} .")
    return "\n".join(lines) + "\n"


def prepare(root: Path, classes: int) -> Path:
    """A workspace with the bookstore example whose ontology has ``classes`` classes."""
    workspace = root / "workspace"
    shutil.copytree(EXAMPLE, workspace / "bookstore")
    (workspace / "bookstore" / "bookstore.ttl").write_text(ontology(classes), encoding="utf-8")
    return workspace


async def time_project_gen(workspace: Path, repeat: int) -> tuple[list[float], dict[str, Any]]:
    """Wall times of project_gen through an in-memory MCP client (the first, warm-up call is not counted)."""
    from ggen_mcp_core.testing import make_host, open_client

    host = make_host(workspace, ["template"])
    times = []
    result: dict[str, Any] = {}
    async with open_client(host, mode="legacy") as client:
        for run in range(repeat + 1):
            started = time.perf_counter()
            answer = await client.call_tool(
                "project_gen", {"template": "bookstore/templates", "output": f"out/run{run}"}
            )
            elapsed = time.perf_counter() - started
            if answer.is_error:
                raise SystemExit(f"project_gen failed: {answer.content[0].text}")
            result = answer.structured_content
            if run:
                times.append(elapsed)
    return times, result


def time_plain_jinja(workspace: Path, repeat: int) -> list[float]:
    """Wall times of plain Jinja2 rendering the same bodies with precomputed query results."""
    import jinja2
    import pyoxigraph as ox
    from ggen_template.filters import GGEN_FILTERS
    from ggen_template.frontmatter import YamlBudget, parse_yaml, split_template
    from ggen_template.rdfdata import local

    templates = workspace / "bookstore" / "templates"
    bodies: dict[str, str] = {}
    query = ""
    for path in sorted(templates.rglob("*.tmpl")):
        split = split_template(path.read_text(encoding="utf-8"))
        bodies[path.relative_to(templates).as_posix()] = split.body
        front = parse_yaml(split.front_matter or "", name=path.name, first_line=2, budget=YamlBudget())
        query = front.get("sparql", {}).get("members", query) if isinstance(front.get("sparql"), dict) else query
    store = ox.Store()
    store.load(path=str(workspace / "bookstore" / "bookstore.ttl"), format=ox.RdfFormat.TURTLE)
    prefixes = {"owl": "http://www.w3.org/2002/07/owl#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    solutions = store.query(query, prefixes=prefixes)
    names = [v.value for v in solutions.variables]
    rows = [{n: (t.value if t is not None else None) for n, t in zip(names, s, strict=True)} for s in solutions]
    env = jinja2.Environment(  # code generation, not HTML: no autoescaping, like the pack
        loader=jinja2.DictLoader(bodies),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701
    )
    env.filters.update(GGEN_FILTERS)
    env.filters["local"] = local
    env.globals["local"] = local
    context = {"package": "bookstore", "sparql_results": {"members": rows}}
    rendered = [env.get_template(name) for name in bodies if not name.startswith("_")]
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        for template in rendered:
            template.render(context)
        times.append(time.perf_counter() - started)
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=1000, help="classes in the generated ontology")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each side (after one warm-up)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = prepare(Path(tmp), args.classes)
        gen_times, result = asyncio.run(time_project_gen(workspace, args.repeat))
        plain_times = time_plain_jinja(workspace, args.repeat)
        output_bytes = sum(p.stat().st_size for p in (workspace / "out" / "run1").rglob("*") if p.is_file())
        triples = len(ontology(args.classes).splitlines())
    gen, plain = statistics.median(gen_times), statistics.median(plain_times)
    print(
        f"## project_gen of the bookstore set, {args.classes} classes ({triples} Turtle lines, "
        f"{output_bytes / 1e6:.1f} MB written)\n"
    )
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.repeat} timed runs each, medians.\n")
    print("| what | median | min | max |")
    print("|---|---|---|---|")
    print(
        f"| project_gen (MCP client, 4 files written) | {gen * 1000:.1f} ms | {min(gen_times) * 1000:.1f} ms | "
        f"{max(gen_times) * 1000:.1f} ms |"
    )
    print(
        f"| plain Jinja2, precomputed query results | {plain * 1000:.1f} ms | {min(plain_times) * 1000:.1f} ms | "
        f"{max(plain_times) * 1000:.1f} ms |"
    )
    print(f"\nratio project_gen / plain Jinja2: **{gen / plain:.2f}x** (target <= 1.3x)")
    print(f"files written per run: {', '.join(result.get('files_created', []))}")
    if args.json:
        print(json.dumps({"classes": args.classes, "project_gen_s": gen_times, "plain_jinja_s": plain_times}))


if __name__ == "__main__":
    sys.exit(main())
