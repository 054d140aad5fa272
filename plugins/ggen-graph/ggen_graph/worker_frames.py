"""The bytes of one message between the server and its graph worker (inside ``multiprocessing.connection``'s
size-prefixed framing).

A message is a pickle (protocol 5), except an answer carrying a SELECT result: that is ``M`` and a
``marshal`` dump of plain values (the rows as lists of strings and None), which encodes and decodes in less
than half the time of a pickle of the :class:`~ggen_graph.results.SelectResult` (no object to rebuild by
name, no memo of every string). Both ends are our own processes: neither format is ever read from anywhere
else.
"""

from __future__ import annotations

import marshal
import pickle  # nosec B403 -- frames between the server and its own worker, as multiprocessing.connection uses
from typing import Any

MARSHALLED = b"M"  # a pickle starts with b"\x80"


def encode(message: tuple[Any, ...]) -> bytes:
    """A request, a notice or an answer as the bytes of one frame."""
    from ggen_graph.results import SelectResult  # not at import: the server starts without pyoxigraph

    if len(message) == 3 and message[1] is True and type(message[2]) is SelectResult:
        request_id, _, result = message
        fields = (
            result.variables,
            result.rows,
            result.typed_rows,
            result.truncated,
            result.rows_json_bytes,
            result.typed_json_bytes,
            result.variables_json_bytes,
        )
        return MARSHALLED + marshal.dumps((request_id, fields))
    return pickle.dumps(message, pickle.HIGHEST_PROTOCOL)


def decode(frame: bytes) -> Any:
    """The message :func:`encode` wrote."""
    if frame[:1] == MARSHALLED:
        from ggen_graph.results import SelectResult

        request_id, fields = marshal.loads(memoryview(frame)[1:])  # noqa: S302  # nosec B302 -- our own worker's frame
        return request_id, True, SelectResult(*fields)
    return pickle.loads(frame)  # noqa: S301  # nosec B301 -- our own worker, as Connection.recv does
