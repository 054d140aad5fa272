"""The small binary payloads the fixtures return: a 1x1 PNG image and a short silent WAV clip."""

from __future__ import annotations

import base64
import struct
import zlib

PNG_MIME = "image/png"
WAV_MIME = "audio/wav"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_pixel() -> bytes:
    """A valid 1x1 RGBA PNG (one opaque black pixel)."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def wav_silence(samples: int = 1, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV file holding ``samples`` samples of silence."""
    data = b"\x00\x00" * samples
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def b64(data: bytes) -> str:
    """Standard base64 text, as MCP image, audio and blob fields carry it."""
    return base64.b64encode(data).decode("ascii")


PNG_BASE64 = b64(png_pixel())
WAV_BASE64 = b64(wav_silence())
