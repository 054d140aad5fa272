"""RDF serialization formats by name and by file extension, and cutting a serialization at a statement."""

from __future__ import annotations

from pathlib import PurePosixPath

import pyoxigraph as ox

FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
"""Format name -> pyoxigraph format, for the six formats the tools accept."""

FORMAT_NAMES = tuple(FORMATS)

_ALIASES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "nq": "nquads",
    "n-quads": "nquads",
    "rdf": "rdfxml",
    "rdf/xml": "rdfxml",
    "xml": "rdfxml",
    "owl": "rdfxml",
    "json-ld": "jsonld",
}

_EXTENSIONS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
    ".jsonld": "jsonld",
    ".json": "jsonld",
}

DATASET_FORMATS = frozenset({"nquads", "trig"})
"""Formats that carry named graphs (a graph-scoped load or export uses the triple formats)."""


def format_from_name(name: str | None, filename: str | None = None) -> str:
    """The canonical format name for ``name`` (or, when it is None, for the extension of ``filename``).

    Raises ``ValueError`` naming the accepted names or extensions.
    """
    if name is not None:
        key = name.strip().lower()
        key = _ALIASES.get(key, key)
        if key in FORMATS:
            return key
        raise ValueError(f"unknown RDF format {name!r}; use one of: {', '.join(FORMAT_NAMES)}")
    if filename is None:
        raise ValueError(f"no RDF format given; use one of: {', '.join(FORMAT_NAMES)}")
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    known = ", ".join(sorted(_EXTENSIONS))
    raise ValueError(
        f"cannot tell the RDF format of {filename!r} from its extension ({suffix or 'none'}); "
        f"pass format (one of: {', '.join(FORMAT_NAMES)}) or use an extension among {known}"
    )


def rdf_format(name: str) -> ox.RdfFormat:
    """The pyoxigraph format for a canonical or alias name."""
    return FORMATS[format_from_name(name)]


def media_type(name: str) -> str:
    """The media type of a format (``text/turtle``...)."""
    return rdf_format(name).media_type


def cut_at_statement(data: bytes, fmt: str) -> bytes:
    """Cut a prefix of a serialization back to its last complete statement (or line)."""
    if fmt in {"ntriples", "nquads"}:
        end = data.rfind(b"\n")
    elif fmt in {"turtle", "trig"}:
        end = data.rfind(b" .\n")
        end = end + 2 if end >= 0 else -1
    else:
        end = data.rfind(b"\n")
    return data[: end + 1] if end >= 0 else b""
