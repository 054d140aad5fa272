"""RDF/XML documents may not declare entities: the prolog is read with expat before pyoxigraph parses them.

pyoxigraph's RDF/XML parser expands the internal entities a document's DTD declares, so nine nested
declarations of ten references each (a "billion laughs") would make one kilobyte of input a gigabyte of
text. No RDF/XML document needs entity declarations, so the check refuses any (``<!ENTITY ...>``, general
or parameter) with a clear error before the engine sees the document. It runs a real XML parser, Python's
expat, over the prolog only: it stops at the root element's start tag, and a prolog that is not
well-formed XML is refused too (pyoxigraph would otherwise be the judge of text expat could not read).
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterator
from pathlib import Path

from ggen_graph.errors import RdfSyntaxError

CHUNK = 64 * 1024


class _RootReached(Exception):
    """The root element started: the prolog (where a DTD lives) is over."""


def refuse_entity_declarations(*, data: bytes | None = None, path: str | None = None) -> None:
    """Raise :class:`RdfSyntaxError` when the RDF/XML document (``data`` or the file at ``path``) declares
    an entity or its prolog is not well-formed XML."""
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse_entity
    parser.StartElementHandler = _stop
    try:
        for chunk in _chunks(data, path):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RootReached:
        return
    except xml.parsers.expat.ExpatError as exc:
        raise RdfSyntaxError(
            f"rdfxml syntax error: the XML prolog is not well-formed: {xml.parsers.expat.errors.messages[exc.code]}",
            exc.lineno,
            exc.offset + 1,
        ) from None


def _chunks(data: bytes | None, path: str | None) -> Iterator[bytes]:
    if data is not None:
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]
        return
    if path is not None:
        with Path(path).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


def _refuse_entity(name: str, is_parameter: int, *_: object) -> None:
    kind = "parameter entity" if is_parameter else "entity"
    raise RdfSyntaxError(
        f"rdfxml: the document declares the {kind} {name!r} in its DTD; entity declarations are refused "
        "(they can expand a small document into gigabytes): write the values out in the document"
    )


def _stop(*_: object) -> None:
    raise _RootReached


__all__ = ["refuse_entity_declarations"]
