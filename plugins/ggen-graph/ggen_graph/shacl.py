"""SHACL validation with pyshacl, run inside a graph worker process (killed at its deadline).

Both graphs reach rdflib as N-Triples that pyoxigraph produced, so rdflib never parses user RDF/XML or
JSON-LD and never resolves a URL or an entity; ``owl:imports`` are not followed. Every SHACL-SPARQL text in
the shapes (``sh:select``, ``sh:ask``, ``sh:construct``, ``sh:update``) passes the SPARQL guard before
pyshacl sees the shapes, so a ``SERVICE``, ``LOAD`` or ``FROM`` there is refused by name; the worker also
blocks Python-level network access.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from ggen_graph.errors import rdf_syntax_error
from ggen_graph.formats import FORMATS
from ggen_graph.sparql_guard import DEFAULT_MAX_NESTING, DEFAULT_PARSE_BYTES, check_read_only_query, check_update
from ggen_mcp_core import ToolError

SH = "http://www.w3.org/ns/shacl#"
SPARQL_QUERIES = ("select", "ask", "construct")


def to_ntriples(data: bytes, format: str, base_iri: str | None = None) -> bytes:
    """Parse any supported format with pyoxigraph and write it back as N-Triples (named graphs merged)."""
    try:
        quads = ox.parse(input=data, format=FORMATS[format], base_iri=base_iri)
        return "".join(f"{quad.triple} .\n" for quad in quads).encode("utf-8")
    except SyntaxError as exc:
        raise rdf_syntax_error(exc, f"shapes ({format})") from None


def check_shapes_sparql(
    shapes_graph: Any, rdflib: Any, *, max_nesting: int = DEFAULT_MAX_NESTING, parse_bytes: int = DEFAULT_PARSE_BYTES
) -> None:
    """Run the SPARQL guard on every SHACL-SPARQL text of the shapes; ``QueryRefused`` names the shape."""
    from ggen_graph.errors import QueryRefused

    texts = [(name, "query") for name in SPARQL_QUERIES] + [("update", "update")]
    for name, kind in texts:
        for node, _, text in shapes_graph.triples((None, rdflib.URIRef(SH + name), None)):
            try:
                if kind == "query":
                    check_read_only_query(str(text), max_nesting=max_nesting, parse_bytes=parse_bytes)
                else:
                    check_update(str(text), max_nesting=max_nesting, parse_bytes=parse_bytes)
            except QueryRefused as exc:
                raise QueryRefused(f"the SHACL-SPARQL sh:{name} of {_text(node)} was refused: {exc}") from None


def validate(
    *,
    data: bytes,
    shapes: bytes,
    shapes_format: str,
    max_violations: int,
    max_nesting: int = DEFAULT_MAX_NESTING,
    parse_bytes: int = DEFAULT_PARSE_BYTES,
) -> dict[str, Any]:
    """Validate N-Triples ``data`` against ``shapes``; return conforms, violations and their total."""
    import pyshacl
    import rdflib
    import rdflib.plugins.sparql

    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    shapes_nt = to_ntriples(shapes, shapes_format)
    data_graph = rdflib.Graph().parse(data=data, format="nt")
    shapes_graph = rdflib.Graph().parse(data=shapes_nt, format="nt")
    if not any(shapes_graph.triples((None, rdflib.RDF.type, rdflib.URIRef(SH + "NodeShape")))) and not any(
        shapes_graph.triples((None, rdflib.URIRef(SH + "path"), None))
    ):
        raise ToolError("the shapes graph holds no sh:NodeShape and no property shape: nothing to validate")
    check_shapes_sparql(shapes_graph, rdflib, max_nesting=max_nesting, parse_bytes=parse_bytes)
    try:
        conforms, report, _ = pyshacl.validate(
            data_graph,
            shacl_graph=shapes_graph,
            inference="none",
            abort_on_first=False,
            allow_infos=True,
            allow_warnings=True,
            advanced=True,
            do_owl_imports=False,
        )
    except Exception as exc:  # pyshacl reports bad shapes with several exception types
        raise ToolError(f"SHACL validation failed: {type(exc).__name__}: {exc}") from None
    violations = _violations(report, rdflib)
    return {"conforms": bool(conforms), "violations": violations[:max_violations], "total": len(violations)}


def _violations(report: Any, rdflib: Any) -> list[dict[str, str | None]]:
    sh = rdflib.Namespace(SH)
    found = []
    for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        found.append(
            {
                "focus_node": _text(report.value(result, sh.focusNode)),
                "path": _text(report.value(result, sh.resultPath)),
                "message": _text(report.value(result, sh.resultMessage)),
                "severity": _local(report.value(result, sh.resultSeverity)),
                "source_shape": _text(report.value(result, sh.sourceShape)),
                "constraint": _local(report.value(result, sh.sourceConstraintComponent)),
                "value": _text(report.value(result, sh.value)),
            }
        )
    found.sort(key=lambda v: (v["focus_node"] or "", v["path"] or "", v["message"] or ""))
    return found


def _text(term: Any) -> str | None:
    if term is None:
        return None
    if type(term).__name__ == "BNode":
        return f"_:{term}"
    return str(term)


def _local(term: Any) -> str | None:
    text = _text(term)
    if text is None:
        return None
    return text.split("#")[-1] if text.startswith(SH) else text
