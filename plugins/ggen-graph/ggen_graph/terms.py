"""RDF terms to and from the plain values the tools exchange.

A binding value becomes an RDF term, never query text:

- ``<iri>`` or an absolute IRI (``scheme://...`` or ``urn:...``) -> an IRI;
- ``"text"``, ``"text"@lang`` or ``"lexical"^^<datatype>`` -> that literal;
- anything else -> a plain ``xsd:string`` literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_ABSOLUTE_IRI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"{}|^`\\]*|urn:[^\s<>\"{}|^`\\]+)$")
_BRACKETED = re.compile(r"^<([^<>\"{}|^`\\\x00-\x20]*)>$")
_LITERAL = re.compile(r'^"((?:[^"\\]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<([^<>\s]+)>)?$', re.DOTALL)
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_VARIABLE = re.compile(r"^[?$]?([A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class TypedValue:
    """A result value with its kind (``iri``, ``literal``, ``bnode``, ``triple``), datatype and language."""

    value: str
    type: str
    datatype: str | None = None
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: value, type and, for literals, datatype and language."""
        data: dict[str, Any] = {"value": self.value, "type": self.type}
        if self.datatype is not None:
            data["datatype"] = self.datatype
        if self.language is not None:
            data["language"] = self.language
        return data


def term_from_binding(value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term a binding value stands for (see the module docstring)."""
    bracketed = _BRACKETED.match(value)
    if bracketed:
        return _named_node(bracketed.group(1))
    if _ABSOLUTE_IRI.match(value):
        return _named_node(value)
    literal = _LITERAL.match(value)
    if literal:
        text = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), literal.group(1))
        if literal.group(2):
            return ox.Literal(text, language=literal.group(2).lower())
        if literal.group(3):
            return ox.Literal(text, datatype=_named_node(literal.group(3)))
        return ox.Literal(text)
    return ox.Literal(value)


def variable_name(name: str) -> str:
    """A binding key as a bare variable name (``?x``, ``$x`` and ``x`` all give ``x``)."""
    match = _VARIABLE.match(name.strip())
    if not match:
        raise ValueError(f"binding name {name!r} is not a SPARQL variable name (letters, digits and _)")
    return match.group(1)


def substitutions(bindings: dict[str, str] | None) -> dict[ox.Variable, Any] | None:
    """pyoxigraph ``substitutions`` for a bindings mapping (None when there are none)."""
    if not bindings:
        return None
    return {ox.Variable(variable_name(k)): term_from_binding(v) for k, v in bindings.items()}


def plain_value(term: Any) -> str | None:
    """IRIs as their IRI string, literals as their lexical form, blank nodes as ``_:id``."""
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def typed_value(term: Any) -> TypedValue | None:
    """The value with its kind, datatype and language."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return TypedValue(term.value, "iri")
    if isinstance(term, ox.BlankNode):
        return TypedValue(f"_:{term.value}", "bnode")
    if isinstance(term, ox.Literal):
        language = term.language
        datatype = None if language else term.datatype.value
        return TypedValue(term.value, "literal", datatype, language)
    return TypedValue(str(term), "triple")


def _named_node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise ValueError(f"{iri!r} is not a valid IRI: {exc}") from None
