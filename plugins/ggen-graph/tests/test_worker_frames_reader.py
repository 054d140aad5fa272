"""The worker's frame reader against the framing ``multiprocessing.connection`` writes, over a real pipe: many
frames in one read, frames split across reads, a frame larger than a read, the 8-byte size form, the end."""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest
from ggen_graph.worker_frames import READ_CHUNK, FrameReader, take_frame


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, FrameReader, socket.socket]]:
    """A socket pair as the server and worker use it: the server's side a Connection, the worker's a reader."""
    server_side, worker_side = socket.socketpair()
    conn = Connection(server_side.detach())
    yield conn, FrameReader(worker_side.fileno()), worker_side
    conn.close()
    worker_side.close()


def test_frames_written_together_come_out_one_by_one(pipe: tuple[Connection, FrameReader, socket.socket]) -> None:
    conn, reader, _ = pipe
    messages = [os.urandom(n) for n in (0, 1, 7, 300, 5000)]
    for message in messages:
        conn.send_bytes(message)
    assert [bytes(reader.read() or b"") for _ in messages] == messages
    assert reader.buffer == bytearray()


def test_a_frame_trickling_in_is_read_whole(pipe: tuple[Connection, FrameReader, socket.socket]) -> None:
    conn, reader, _ = pipe
    message = os.urandom(1000)
    frame = struct.pack("!i", len(message)) + message
    raw = socket.socket(fileno=os.dup(conn.fileno()))

    def trickle() -> None:
        for start in range(0, len(frame), 3):
            raw.sendall(frame[start : start + 3])

    writer = threading.Thread(target=trickle)
    writer.start()
    assert reader.read() == message
    writer.join()
    raw.close()


def test_a_frame_larger_than_a_read_is_read_into_its_own_buffer(
    pipe: tuple[Connection, FrameReader, socket.socket],
) -> None:
    conn, reader, _ = pipe
    large, after = os.urandom(3 * READ_CHUNK + 17), b"next"
    writer = threading.Thread(target=lambda: (conn.send_bytes(large), conn.send_bytes(after)))
    writer.start()
    frame = reader.read()
    assert isinstance(frame, bytearray) and len(frame) == len(large) and frame == large
    assert reader.read() == after
    writer.join()


def test_the_eight_byte_size_form_is_understood() -> None:
    # multiprocessing.connection writes -1 and an 8-byte size for a frame over 2 GiB; the reader takes the same
    # header whatever the size
    buffer = bytearray(struct.pack("!i", -1) + struct.pack("!Q", 5) + b"hello" + struct.pack("!i", 2) + b"ok")
    assert take_frame(buffer) == b"hello" and take_frame(buffer) == b"ok" and take_frame(buffer) is None
    partial = bytearray(struct.pack("!i", -1) + b"\x00\x00")
    assert take_frame(partial) is None and len(partial) == 6


def test_the_end_of_the_pipe_is_none_and_a_cut_frame_is_dropped(
    pipe: tuple[Connection, FrameReader, socket.socket],
) -> None:
    conn, reader, _ = pipe
    conn.send_bytes(b"whole")
    raw = socket.socket(fileno=os.dup(conn.fileno()))
    raw.sendall(struct.pack("!i", 100) + b"only part")
    raw.close()
    conn.close()
    assert reader.read() == b"whole"
    assert reader.read() is None


def test_a_large_frame_cut_short_is_none(pipe: tuple[Connection, FrameReader, socket.socket]) -> None:
    conn, reader, _ = pipe
    raw = socket.socket(fileno=os.dup(conn.fileno()))
    raw.sendall(struct.pack("!i", 2 * READ_CHUNK) + b"x" * 1000)
    raw.close()
    conn.close()
    assert reader.read() is None
