"""The AI pack's test helpers: Turtle samples and a scripted model answering through the SDK client's
sampling callback (a module of its own: every pack's tests have a conftest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mcp.types as mt

ERAS = ["legacy", "auto"]
EX = "http://example.org/shop#"
VALID_TTL = f"""@prefix ex: <{EX}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:Product a owl:Class ; rdfs:label "Product" .
ex:Order a owl:Class ; rdfs:label "Order" .
ex:price a owl:DatatypeProperty ; rdfs:label "price" ; rdfs:domain ex:Product ; rdfs:range xsd:decimal .
"""
# parses, but breaks the sanity rules (no label on Order, no range on price)
UNLABELLED_TTL = f"""@prefix ex: <{EX}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Product a owl:Class ; rdfs:label "Product" .
ex:Order a owl:Class .
ex:price a owl:DatatypeProperty ; rdfs:label "price" ; rdfs:domain ex:Product .
"""
BROKEN_TTL = '@prefix ex: <http://example.org/shop#> .\nex:Product a owl:Class ; rdfs:label "Product" .'

QUERY = f"PREFIX ex: <{EX}>\nSELECT ?c WHERE {{ ?c a <http://www.w3.org/2002/07/owl#Class> }} ORDER BY ?c"
TEMPLATE = """---
to: out/classes.txt
sparql:
  classes: "SELECT ?c WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> } ORDER BY ?c"
---
{% for row in sparql_results.classes %}{{ row.c }}
{% endfor %}"""


def fenced(text: str, lang: str = "") -> str:
    """An answer the way models write it: some words and a fenced block."""
    return f"Here it is:\n```{lang}\n{text}\n```\nDone."


@dataclass
class ScriptedModel:
    """Answers sampling requests from a script, in order, and records what it was asked."""

    answers: list[str]
    prompts: list[str] = field(default_factory=list)
    max_tokens: list[int] = field(default_factory=list)

    async def __call__(self, context: Any, params: mt.CreateMessageRequestParams) -> mt.CreateMessageResult:
        content = params.messages[-1].content
        self.prompts.append(content.text if isinstance(content, mt.TextContent) else "")
        self.max_tokens.append(params.max_tokens)
        if not self.answers:
            raise AssertionError("the scripted model was asked more often than scripted")
        text = self.answers.pop(0)
        return mt.CreateMessageResult(
            role="assistant", content=mt.TextContent(type="text", text=text), model="scripted"
        )
