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
import os
import pickle  # nosec B403 -- frames between the server and its own worker, as multiprocessing.connection uses
import struct
from typing import Any

MARSHALLED = b"M"  # a pickle starts with b"\x80"
READ_CHUNK = 256 * 1024  # bytes asked of the pipe per read


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


def decode(frame: bytes | bytearray) -> Any:
    """The message :func:`encode` wrote."""
    if frame[:1] == MARSHALLED:
        from ggen_graph.results import SelectResult

        request_id, fields = marshal.loads(memoryview(frame)[1:])  # noqa: S302  # nosec B302 -- our own worker's frame
        return request_id, True, SelectResult(*fields)
    return pickle.loads(frame)  # noqa: S301  # nosec B301 -- our own worker, as Connection.recv does


def take_frame(buffer: bytearray) -> bytes | None:
    """The next whole message of ``multiprocessing.connection``'s framing (a 4-byte big-endian size, or -1
    and an 8-byte size), removed from ``buffer``; None until one has fully arrived."""
    start = _body_start(buffer)
    if start is None:
        return None
    header, size = start
    end = header + size
    if len(buffer) < end:
        return None
    message = bytes(buffer[header:end])
    del buffer[:end]
    return message


def _body_start(buffer: bytearray) -> tuple[int, int] | None:
    """Where the first frame's body starts in ``buffer`` and its size; None before its header has arrived."""
    if len(buffer) < 4:
        return None
    (size,) = struct.unpack_from("!i", buffer)
    if size != -1:
        return 4, size
    if len(buffer) < 12:
        return None
    (size,) = struct.unpack_from("!Q", buffer, 4)
    return 12, size


class FrameReader:
    """Reads the frames of a pipe (the worker's side): one ``read`` per wake-up, however many frames it
    holds, where ``Connection.recv`` makes two system calls per frame (its size, then its body). A frame
    larger than a read is read into a buffer of its exact size, so a large load costs no second copy."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def read(self) -> bytes | bytearray | None:
        """The next frame's bytes; None once the pipe is closed (a partial frame at the end is dropped)."""
        buffer = self.buffer
        while True:
            message = take_frame(buffer)
            if message is not None:
                return message
            start = _body_start(buffer)
            if start is not None and start[0] + start[1] > READ_CHUNK:
                return self._read_large(*start)
            data = os.read(self.fd, READ_CHUNK)
            if not data:
                return None
            buffer += data

    def _read_large(self, header: int, size: int) -> bytearray | None:
        body = bytearray(size)
        have = len(self.buffer) - header
        body[:have] = self.buffer[header:]
        self.buffer.clear()
        view = memoryview(body)
        while have < size:
            count = os.readv(self.fd, [view[have:]])
            if count == 0:
                return None
            have += count
        return body
