"""Test data for the graph pack's tests (a unique module name, so other packs' helpers never shadow it)."""

from __future__ import annotations

from pathlib import Path

EX = "http://example.org/"
TURTLE = f"""@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:alice a ex:Person ; ex:name "Alice"@en ; ex:age 42 ; ex:knows ex:bob .
ex:bob a ex:Person ; ex:name "Bob" .
ex:acme a ex:Company ; rdfs:label "ACME" .
"""


def ntriples(count: int, predicates: int = 10, padding: int = 0) -> str:
    """``count`` N-Triples lines over ``predicates`` predicates (each literal ``padding`` characters longer)."""
    pad = "x" * padding
    return "".join(f'<{EX}s{i}> <{EX}p{i % predicates}> "{i}{pad}" .\n' for i in range(count))


def write(workspace: Path, name: str, text: str) -> Path:
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
